"""Regression losses against real Keras: per-sample values, every reduction, edge values.

Per-sample values come from `losscli.registry.get(name)(...)`, reduced values from the
engine; both are compared with `keras.losses.<Class>` on the same arrays, in float64
(rel 1e-10) and float32 (rel 1e-5).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from keras_cases import (
    DTYPES,
    REDUCTIONS,
    RTOL,
    Arrays,
    close,
    every_loss_matches_jax,
    streamed_matches_keras,
)
from keras_cases import per_sample as check_per_sample
from keras_oracle import keras_jax, keras_loss

from losscli.engine import evaluate_arrays
from losscli.errors import UsageError
from losscli.registry import get

# name → (Keras class, Keras constructor params for that spec)
LOSSES: dict[str, tuple[str, dict[str, Any]]] = {
    "mse": ("MeanSquaredError", {}),
    "mae": ("MeanAbsoluteError", {}),
    "mape": ("MeanAbsolutePercentageError", {}),
    "msle": ("MeanSquaredLogarithmicError", {}),
    "cosine_similarity": ("CosineSimilarity", {}),
    "huber": ("Huber", {}),
    "huber(delta=0.5)": ("Huber", {"delta": 0.5}),
    "huber(delta=2.5)": ("Huber", {"delta": 2.5}),
    "log_cosh": ("LogCosh", {}),
}


def per_sample(spec: str, t: np.ndarray, p: np.ndarray, dtype: str, *, jax: bool = False) -> None:
    """Our per-sample values vs Keras's numpy backend (or its JAX backend, with jax=True)."""
    class_name, params = LOSSES[spec]
    check_per_sample(spec.split("(")[0], class_name, t, p, dtype, params=params, jax=jax)


# ---------------------------------------------------------------- data sets


def _normal(rng: np.random.Generator, k: int) -> Arrays:
    return rng.normal(size=(23, k)), rng.normal(size=(23, k))


def _wide(rng: np.random.Generator, k: int) -> Arrays:
    """Errors across magnitudes: tiny, near 1 and huge (log-cosh overflow region)."""
    t = rng.normal(size=(30, k))
    scale = 10.0 ** rng.integers(-9, 6, size=(30, k))
    return t, t + rng.normal(size=(30, k)) * scale


def _special(rng: np.random.Generator, k: int) -> Arrays:
    """Zeros, ones, exact epsilon, identical rows, negatives."""
    values = np.array([0.0, 1.0, -1.0, 1e-7, -1e-7, 5e-8, 2.0, 1e-3, -3.5, 1e7])
    t = rng.choice(values, size=(40, k))
    p = rng.choice(values, size=(40, k))
    p[:5] = t[:5]
    return t, p


DATA: dict[str, Callable[[np.random.Generator, int], Arrays]] = {
    "normal": _normal,
    "wide": _wide,
    "special": _special,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [1, 4])
@pytest.mark.parametrize("data", sorted(DATA))
@pytest.mark.parametrize("spec", sorted(LOSSES))
def test_per_sample_matches_keras(spec: str, data: str, k: int, dtype: str) -> None:
    t, p = DATA[data](np.random.default_rng(zlib.crc32(f"{spec}{data}{k}".encode())), k)
    # norms below 1e-7 (in "special") are where Keras's numpy backend departs from TF/JAX
    jax = spec == "cosine_similarity" and data == "special"
    with np.errstate(all="ignore"):  # Keras's own arithmetic warns on the edge values
        per_sample(spec, t, p, dtype, jax=jax)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("spec", sorted(LOSSES))
def test_reductions_match_keras(spec: str, reduction: str, weighted: bool, dtype: str) -> None:
    rng = np.random.default_rng(7)
    t, p = rng.uniform(0.0, 3.0, (41, 3)), rng.uniform(0.0, 3.0, (41, 3))
    w = rng.uniform(0.0, 2.0, 41) if weighted else None
    class_name, params = LOSSES[spec]
    t, p = t.astype(dtype), p.astype(dtype)
    streamed_matches_keras(spec, class_name, t, p, w, reduction, dtype, (None, 5), **params)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spec", sorted(LOSSES))
def test_scalar_column_and_single_row(spec: str, dtype: str) -> None:
    """A 1-D column is promoted to (N, 1); Keras sees the same (N, 1) arrays."""
    class_name, params = LOSSES[spec]
    for n in (1, 9):
        rng = np.random.default_rng(n)
        t, p = rng.uniform(0.0, 2.0, n), rng.uniform(0.0, 2.0, n)
        (result,) = evaluate_arrays(spec, t, p, reduction="sum", dtype=dtype)
        expected = keras_loss(
            class_name,
            t[:, None].astype(dtype),
            p[:, None].astype(dtype),
            reduction="sum",
            dtype=dtype,
            **params,
        )
        close(result.value, expected, dtype)


# ---------------------------------------------------------------- loss-specific edges


@pytest.mark.parametrize("dtype", DTYPES)
def test_mape_zero_and_epsilon_targets(dtype: str) -> None:
    eps = np.float64(np.asarray(1e-7, dtype=dtype))
    t = np.array([[0.0], [eps], [-eps], [eps / 2], [2 * eps], [0.0], [100.0]])
    p = np.array([[1.0], [0.0], [1.0], [3.0], [eps], [0.0], [-100.0]])
    per_sample("mape", t, p, dtype)
    ours = get("mape")(t.astype(dtype), p.astype(dtype))
    assert ours[0] == pytest.approx(1e9, rel=RTOL[dtype])  # |1 - 0| / 1e-7 * 100
    assert ours[5] == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_msle_clips_below_epsilon(dtype: str) -> None:
    t = np.array([[-5.0, 0.0], [1e-7, 1e-8], [0.0, 1e30], [-1.0, -2.0]])
    p = np.array([[0.0, -3.0], [0.0, 1e-7], [1e-6, 1.0], [1e-7, 1e-7]])
    per_sample("msle", t, p, dtype)
    assert get("msle")(t[3:].astype(dtype), p[3:].astype(dtype))[0] == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("delta", [0.5, 1.0, 2.5])
def test_huber_at_exactly_delta(delta: float, dtype: str) -> None:
    """|error| == delta takes the quadratic branch (both give delta^2 / 2 there)."""
    t = np.array([[0.0, 1.0], [-delta, 0.0], [3.0, 3.0 + delta]])
    p = np.array([[delta, 1.0 - delta], [0.0, np.nextafter(delta, 9)], [3.0, 3.0]])
    spec = "huber" if delta == 1.0 else f"huber(delta={delta})"
    per_sample(spec, t, p, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_cosh_extremes(dtype: str) -> None:
    """Huge errors don't overflow (|x| - log 2); tiny ones follow Keras's rounding."""
    x = np.array([0.0, 1e-12, -1e-8, 1e-4, 0.5, -20.0, 1e3, -1e5, 1e30])
    t = np.zeros((len(x), 1))
    per_sample("log_cosh", t, x[:, None], dtype)
    ours = get("log_cosh")(t.astype(dtype), x[:, None].astype(dtype))
    assert np.all(np.isfinite(ours))
    assert ours[6] == pytest.approx(1e3 - np.log(2), rel=RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cosine_zero_vectors_and_axis(dtype: str) -> None:
    t = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [1.0, 0.0, 0.0], [2.0, -1.0, 4.0]])
    p = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [0.0, 5.0, 0.0], [-4.0, 2.0, -8.0]])
    per_sample("cosine_similarity", t, p, dtype)
    ours = get("cosine_similarity")(t.astype(dtype), p.astype(dtype), axis=1)
    close(ours, [0.0, 0.0, 0.0, 1.0], dtype)
    expected = keras_loss("CosineSimilarity", t, p, reduction=None, dtype="float64", axis=1)
    close(get("CosineSimilarity")(t, p, axis=1), expected, "float64")


def test_cosine_scalar_columns_are_signs() -> None:
    t = np.array([[2.0], [-3.0], [0.0], [1.0]])
    p = np.array([[0.5], [4.0], [1.0], [-1e-3]])
    per_sample("cosine_similarity", t, p, "float64")
    np.testing.assert_array_equal(get("cosine_similarity")(t, p), [-1.0, 1.0, 0.0, 1.0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_tiny_norms_follow_tensorflow_and_jax(dtype: str) -> None:
    """Norms below 1e-7 are clamped on Keras's TF/JAX backends (its numpy backend does not)."""
    t = np.array([[3e-8, 4e-8], [1e-9, 0.0], [1.0, 1.0], [1e-20, -1e-20], [1e-7, 0.0]])
    p = np.array([[3.0, 4.0], [1e-9, 1e-9], [5e-8, 5e-8], [1.0, -1.0], [1.0, 0.0]])
    t, p = t.astype(dtype), p.astype(dtype)
    cases = [
        {"class_name": "CosineSimilarity", "y_true": t, "y_pred": p, "reduction": None,
         "dtype": dtype},
        {"class_name": "CosineSimilarity", "y_true": t, "y_pred": p, "dtype": dtype},
    ]  # fmt: skip
    per_row, mean = keras_jax(cases)
    close(get("cosine_similarity")(t, p), per_row, dtype)
    (result,) = evaluate_arrays("cosine_similarity", t, p, dtype=dtype)
    close(result.value, mean, dtype)
    # the first row's y_true has norm 5e-8: scaled by 1e7 it is half a unit vector
    assert float(per_row[0]) == pytest.approx(-0.5, rel=RTOL[dtype])


def test_every_loss_matches_keras_on_jax() -> None:
    """TF/JAX-backend Keras (what users train with) agrees on ordinary and extreme data."""
    rng = np.random.default_rng(3)
    arrays = {data: DATA[data](rng, 3) for data in DATA}
    every_loss_matches_jax(LOSSES, arrays.values(), errstate={"all": "ignore"})


# ---------------------------------------------------------------- hypothesis

_floats = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)


@settings(max_examples=60, deadline=None)
@given(
    spec=st.sampled_from(sorted(LOSSES)),
    dtype=st.sampled_from(DTYPES),
    arrays=st.integers(1, 5).flatmap(
        lambda k: st.tuples(
            hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.just(k)), elements=_floats),
            st.integers(0, 2**32 - 1),
        )
    ),
)
def test_hypothesis_per_sample(spec: str, dtype: str, arrays: tuple[np.ndarray, int]) -> None:
    t, seed = arrays
    rng = np.random.default_rng(seed)
    # predictions near and far from the targets, some exactly equal
    p = t + rng.choice([0.0, 1e-6, 0.3, 50.0], size=t.shape) * rng.normal(size=t.shape)
    with np.errstate(all="ignore"):
        if spec == "cosine_similarity":
            # keep norms away from (0, 1e-7], where the numpy oracle is not Keras on TF/JAX
            t = np.where(np.abs(t) < 1e-3, 0.0, t)
            p = np.where(np.abs(p) < 1e-3, 0.0, p)
        per_sample(spec, t, p, dtype)


# ---------------------------------------------------------------- catalogue


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("mape", "mean_absolute_percentage_error"),
        ("MAPE", "mean_absolute_percentage_error"),
        ("MeanAbsolutePercentageError", "mean_absolute_percentage_error"),
        ("msle", "mean_squared_logarithmic_error"),
        ("MSLE", "mean_squared_logarithmic_error"),
        ("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error"),
        ("CosineSimilarity", "cosine_similarity"),
        ("cosine_proximity", "cosine_similarity"),
        ("Huber", "huber"),
        ("huber_loss", "huber"),
        ("LogCosh", "log_cosh"),
        ("logcosh", "log_cosh"),
    ],
)
def test_aliases(alias: str, name: str) -> None:
    info = get(alias)
    assert info.name == name
    assert info.category == "regression"


def test_keras_string_names_resolve_to_the_same_function() -> None:
    keras = pytest.importorskip("keras")
    for alias in ("mape", "MAPE", "msle", "MSLE", "huber", "log_cosh", "cosine_similarity"):
        assert keras.losses.get(alias).__name__ == get(alias).name


@pytest.mark.parametrize("delta", [0.0, -1.0])
def test_huber_rejects_non_positive_delta(delta: float) -> None:
    with pytest.raises(UsageError, match="delta must be > 0"):
        get("huber")([[0.0]], [[1.0]], delta=delta)


def test_cosine_rejects_the_row_axis() -> None:
    with pytest.raises(UsageError, match="row axis"):
        get("cosine_similarity")([[0.0, 1.0]], [[1.0, 1.0]], axis=0)

"""KL divergence and Poisson against real Keras: per-sample values, reductions, edge values."""

from __future__ import annotations

import zlib
from collections.abc import Callable

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
from keras_oracle import keras_loss

from losscli.engine import evaluate_arrays
from losscli.registry import get

LOSSES = {"kl_divergence": "KLDivergence", "poisson": "Poisson"}


def per_sample(name: str, t: np.ndarray, p: np.ndarray, dtype: str) -> np.ndarray:
    # Keras's own log of a negative rate warns
    return check_per_sample(name, LOSSES[name], t, p, dtype, errstate={"all": "ignore"})


# ---------------------------------------------------------------- data sets

N = 31


def _probs(rng: np.random.Generator, k: int) -> np.ndarray:
    x = rng.uniform(0.0, 1.0, (N, k)) ** 3
    return x / x.sum(axis=1, keepdims=True)


def _distributions(rng: np.random.Generator, k: int) -> Arrays:
    return _probs(rng, k), _probs(rng, k)


def _onehot_vs_probs(rng: np.random.Generator, k: int) -> Arrays:
    """Hard labels: the zero entries are clipped to 1e-7 and still contribute."""
    return np.eye(k)[rng.integers(0, k, N)], _probs(rng, k)


def _counts(rng: np.random.Generator, k: int) -> Arrays:
    return rng.poisson(3.0, (N, k)).astype(float), rng.uniform(0.0, 8.0, (N, k))


def _special(rng: np.random.Generator, k: int) -> Arrays:
    """Zeros, exact epsilon, out-of-range values (clipped by KL, NaN for Poisson)."""
    values = np.array([0.0, 1.0, 1e-7, 5e-8, 2e-7, 0.5, 1.5, 7.0, -0.2, -1e-7, 1e-30])
    return rng.choice(values, (N, k)), rng.choice(values, (N, k))


DATA: dict[str, Callable[[np.random.Generator, int], Arrays]] = {
    "distributions": _distributions,
    "onehot": _onehot_vs_probs,
    "counts": _counts,
    "special": _special,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [1, 2, 5])
@pytest.mark.parametrize("data", sorted(DATA))
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_per_sample_matches_keras(name: str, data: str, k: int, dtype: str) -> None:
    t, p = DATA[data](np.random.default_rng(zlib.crc32(f"{name}{data}{k}".encode())), k)
    per_sample(name, t, p, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_reductions_match_keras(name: str, reduction: str, weighted: bool, dtype: str) -> None:
    rng = np.random.default_rng(17)
    t, p = (_distributions if name == "kl_divergence" else _counts)(rng, 4)
    w = rng.uniform(0.0, 2.0, N) if weighted else None
    t, p = t.astype(dtype), p.astype(dtype)
    streamed_matches_keras(name, LOSSES[name], t, p, w, reduction, dtype, (None, 4))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_scalar_column(name: str, dtype: str) -> None:
    rng = np.random.default_rng(2)
    t, p = rng.uniform(0.0, 1.0, 12), rng.uniform(0.0, 1.0, 12)
    (result,) = evaluate_arrays(name, t, p, reduction="sum_over_batch_size", dtype=dtype)
    expected = keras_loss(
        LOSSES[name], t[:, None].astype(dtype), p[:, None].astype(dtype), dtype=dtype
    )
    close(result.value, expected, dtype)


# ---------------------------------------------------------------- loss-specific edges


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_clipping(dtype: str) -> None:
    t = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0], [0.5, 0.5], [1e-9, 1.0]])
    p = np.array([[1.0, 0.0], [1.0, 0.0], [0.5, 0.5], [0.5, 0.5], [1.0, 3.0]])
    ours = per_sample("kl_divergence", t, p, dtype)
    assert ours[0] == 0.0 and ours[3] == 0.0
    # [0, 1] vs [1, 0]: both clipped to 1e-7 where zero, so log(1 / 1e-7) ≈ 16.118 (float64)
    expected = 1.0 * np.log(1.0 / 1e-7) + 1e-7 * np.log(1e-7 / 1.0)
    assert ours[1] == pytest.approx(expected, rel=RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_poisson_zero_and_negative_rates(dtype: str) -> None:
    t = np.array([[0.0], [3.0], [2.0], [0.0], [1.0]])
    p = np.array([[0.0], [0.0], [-1.0], [-1e-7], [1e30]])
    ours = per_sample("poisson", t, p, dtype)
    assert ours[0] == 0.0
    assert np.isnan(ours[2])
    (result,) = evaluate_arrays("poisson", t, p, reduction="none", dtype=dtype)
    assert np.isnan(result.values[2])


def test_every_loss_matches_keras_on_jax() -> None:
    rng = np.random.default_rng(9)
    arrays = [DATA[d](rng, 3) for d in sorted(DATA)]
    every_loss_matches_jax({name: (cls, {}) for name, cls in LOSSES.items()}, arrays)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(LOSSES)),
    dtype=st.sampled_from(DTYPES),
    t=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.integers(1, 4)),
        elements=st.floats(0.0, 50.0, allow_subnormal=False),
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_hypothesis_per_sample(name: str, dtype: str, t: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.abs(t + rng.choice([0.0, 1e-7, 0.1, 5.0], t.shape) * rng.normal(size=t.shape))
    if name == "kl_divergence":
        t, p = t / 50.0, p / max(p.max(), 1.0)
    per_sample(name, t, p, dtype)


# ---------------------------------------------------------------- catalogue


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("KLDivergence", "kl_divergence"),
        ("kld", "kl_divergence"),
        ("KLD", "kl_divergence"),
        ("kullback_leibler_divergence", "kl_divergence"),
        ("Poisson", "poisson"),
    ],
)
def test_aliases(alias: str, name: str) -> None:
    info = get(alias)
    assert info.name == name
    assert info.category == "probabilistic"


def test_keras_string_names_resolve_to_the_same_function() -> None:
    keras = pytest.importorskip("keras")
    for alias in ("kld", "KLD", "kl_divergence", "poisson"):
        assert keras.losses.get(alias).__name__ == get(alias).name

"""Hinge losses against real Keras, including the whole-file {0, 1} → {-1, +1} label check.

Keras converts binary labels for Hinge and SquaredHinge only when every label in the batch
is 0 or 1. losscli treats the file as one batch, so a streamed evaluation must give the
answer Keras gives on the whole file at once, whatever the batch size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from keras_cases import (
    DTYPES,
    REDUCTIONS,
    Arrays,
    close,
    every_loss_matches_jax,
    streamed_matches_keras,
)
from keras_cases import per_sample as check_per_sample
from keras_oracle import keras_loss

from losscli.engine import evaluate_arrays
from losscli.losses.hinge import hinge, squared_hinge
from losscli.registry import get, needs_prepass, run_prepass

LOSSES = {
    "hinge": "Hinge",
    "squared_hinge": "SquaredHinge",
    "categorical_hinge": "CategoricalHinge",
}
SIGNED = ("hinge", "squared_hinge")


def per_sample(name: str, t: np.ndarray, p: np.ndarray, dtype: str) -> np.ndarray:
    # Keras's own squares overflow to inf in float32
    return check_per_sample(name, LOSSES[name], t, p, dtype, errstate={"over": "ignore"})


def whole_file(name: str, t: np.ndarray, p: np.ndarray, w: Any, reduction: str, dtype: str) -> None:
    """Streamed in batches of every size, the engine gives Keras's one-batch answer."""
    t, p = t.astype(dtype), p.astype(dtype)
    batch_sizes = (None, 1, 2, 7, len(p) - 1)
    streamed_matches_keras(name, LOSSES[name], t, p, w, reduction, dtype, batch_sizes)


# ---------------------------------------------------------------- label sets

N = 29


def _binary(rng: np.random.Generator, k: int) -> Arrays:
    return rng.integers(0, 2, (N, k)).astype(float), rng.normal(0, 2, (N, k))


def _signed(rng: np.random.Generator, k: int) -> Arrays:
    return rng.choice([-1.0, 1.0], (N, k)), rng.normal(0, 2, (N, k))


def _mixed(rng: np.random.Generator, k: int) -> Arrays:
    """Mostly 0/1 with one -1 at the very end: no conversion anywhere in the file."""
    t, p = _binary(rng, k)
    t[-1, -1] = -1.0
    return t, p


def _soft(rng: np.random.Generator, k: int) -> Arrays:
    return rng.uniform(-1.0, 1.0, (N, k)), rng.normal(0, 2, (N, k))


def _large(rng: np.random.Generator, k: int) -> Arrays:
    t, _ = _binary(rng, k)
    return t, rng.choice([-1e8, -1.0, 0.0, 1.0, 1e8, 1e30], (N, k))


def _onehot(rng: np.random.Generator, k: int) -> Arrays:
    return np.eye(k)[rng.integers(0, k, N)], rng.normal(0, 2, (N, k))


def _all_zero(rng: np.random.Generator, k: int) -> Arrays:
    return np.zeros((N, k)), rng.normal(0, 2, (N, k))


DATA = {
    "binary": _binary,
    "signed": _signed,
    "mixed": _mixed,
    "soft": _soft,
    "large": _large,
    "onehot": _onehot,
    "all_zero": _all_zero,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("data", sorted(DATA))
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_per_sample_matches_keras(name: str, data: str, k: int, dtype: str) -> None:
    t, p = DATA[data](np.random.default_rng(k), k)
    per_sample(name, t, p, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("data", ["binary", "mixed", "signed", "onehot"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_reductions_match_keras_whole_file(
    name: str, data: str, reduction: str, weighted: bool, dtype: str
) -> None:
    rng = np.random.default_rng(11)
    t, p = DATA[data](rng, 3)
    w = rng.uniform(0.0, 2.0, N) if weighted else None
    whole_file(name, t, p, w, reduction, dtype)


# ---------------------------------------------------------------- the whole-file label check


@pytest.mark.parametrize("name", SIGNED)
def test_a_late_non_binary_label_turns_conversion_off_for_every_batch(name: str) -> None:
    """Batch by batch, the first batches look binary; Keras on the whole file does not convert."""
    t = np.array([[0.0], [1.0], [1.0], [0.0], [1.0], [-1.0]])
    p = np.array([[0.5], [0.5], [-2.0], [-0.3], [3.0], [-0.2]])
    whole_file(name, t, p, None, "sum_over_batch_size", "float64")
    whole_file(name, t, p, None, "none", "float64")
    # label 0 unconverted: the margin is 1 whatever the prediction
    (result,) = evaluate_arrays(name, t, p, reduction="none", batch_size=2)
    assert result.values[0] == 1.0
    # per batch (the wrong answer) the first row would have used label -1
    assert get(name).fn(t[:2], p[:2])[0] == (1.5 if name == "hinge" else 2.25)


@pytest.mark.parametrize("name", SIGNED)
def test_binary_file_converts_in_every_batch(name: str) -> None:
    t = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    p = np.array([[0.2, 0.4], [-1.0, 2.0], [0.9, -0.1], [0.0, 5.0]])
    whole_file(name, t, p, None, "none", "float64")
    whole_file(name, t, p, np.array([1.0, 0.0, 2.0, 0.5]), "sum", "float64")


def test_label_close_to_one_is_binary_only_in_float32() -> None:
    """The check runs on labels cast to the compute dtype, as Keras casts them first."""
    t = np.array([[0.0], [1.0 + 1e-12], [1.0]])
    p = np.array([[0.3], [0.3], [-0.3]])
    for dtype in DTYPES:
        whole_file("hinge", t, p, None, "none", dtype)
    (f64,) = evaluate_arrays("hinge", t, p, reduction="none", dtype="float64", batch_size=1)
    (f32,) = evaluate_arrays("hinge", t, p, reduction="none", dtype="float32", batch_size=1)
    assert f64.values[0] == 1.0  # label 0 kept
    assert f32.values[0] == pytest.approx(1.3)  # label 0 → -1


def test_prepass_is_declared_for_signed_hinges_only() -> None:
    assert needs_prepass(get("hinge"), {})
    assert needs_prepass(get("squared_hinge"), {})
    assert not needs_prepass(get("categorical_hinge"), {})
    t = np.array([[0.0], [1.0]])
    batches = [(t, t), (np.array([[2.0]]), np.array([[0.0]]))]
    assert run_prepass(get("hinge"), {}, batches) == {"binary": False}
    assert run_prepass(get("hinge"), {}, batches[:1]) == {"binary": True}


def test_direct_calls_see_the_whole_input() -> None:
    t = np.array([[0.0], [1.0], [-1.0]])
    p = np.array([[0.5], [0.5], [0.5]])
    # the registry call runs the prepass over the given arrays; so does the bare function
    np.testing.assert_array_equal(get("hinge")(t, p), [1.0, 0.5, 1.5])
    np.testing.assert_array_equal(hinge(t, p), [1.0, 0.5, 1.5])
    np.testing.assert_array_equal(squared_hinge(t[:2], p[:2]), [2.25, 0.25])
    # an explicit prepass result wins over what this batch shows
    np.testing.assert_array_equal(hinge(t[:2], p[:2], binary=False), [1.0, 0.5])
    # integer labels, as a user would pass them
    np.testing.assert_array_equal(get("hinge")(np.array([[0], [1]]), p[:2]), [1.5, 0.5])


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_label_disables_conversion_like_keras(dtype: str) -> None:
    t = np.array([[0.0], [1.0], [np.nan]])
    p = np.array([[0.5], [0.5], [0.5]])
    per_sample("hinge", t, p, dtype)
    whole_file("squared_hinge", t, p, None, "none", dtype)


# ---------------------------------------------------------------- JAX backend and hypothesis


def test_every_hinge_matches_keras_on_jax() -> None:
    rng = np.random.default_rng(5)
    arrays = [DATA[d](rng, 3) for d in sorted(DATA)]
    every_loss_matches_jax({name: (cls, {}) for name, cls in LOSSES.items()}, arrays)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(LOSSES)),
    dtype=st.sampled_from(DTYPES),
    labels=st.sampled_from([(0.0, 1.0), (-1.0, 1.0), (-1.0, 0.0, 1.0), (0.0, 0.5, 1.0)]),
    p=hnp.arrays(
        np.float64,
        st.tuples(st.integers(2, 12), st.integers(1, 4)),
        elements=st.floats(-1e4, 1e4, allow_nan=False, allow_subnormal=False),
    ),
    seed=st.integers(0, 2**32 - 1),
    batch_size=st.integers(1, 5),
)
def test_hypothesis_streaming_equals_whole_file(
    name: str,
    dtype: str,
    labels: tuple[float, ...],
    p: np.ndarray,
    seed: int,
    batch_size: int,
) -> None:
    t = np.random.default_rng(seed).choice(labels, p.shape)
    t, p = t.astype(dtype), p.astype(dtype)
    expected = keras_loss(LOSSES[name], t, p, reduction=None, dtype=dtype)
    (result,) = evaluate_arrays(name, t, p, reduction="none", dtype=dtype, batch_size=batch_size)
    close(result.values, expected, dtype)


# ---------------------------------------------------------------- catalogue


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("Hinge", "hinge"),
        ("SquaredHinge", "squared_hinge"),
        ("CategoricalHinge", "categorical_hinge"),
    ],
)
def test_names(alias: str, name: str) -> None:
    info = get(alias)
    assert info.name == name
    assert info.category == "hinge"


def test_keras_string_names_resolve_to_the_same_function() -> None:
    keras = pytest.importorskip("keras")
    for name in LOSSES:
        assert keras.losses.get(name).__name__ == get(name).name

"""CTC against real Keras (numpy backend, and the JAX backend for a cross-check).

y_true holds label ids with 0 as blank/padding, y_pred the logits per time step. Keras's
label length is the count of non-zero ids, its forward algorithm uses -1e5 for log(0), so
alignments that cannot fit give large finite losses; losscli reproduces all of it.
"""

from __future__ import annotations

from functools import partial

import keras_cases
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keras_cases import DTYPES, REDUCTIONS, Arrays, streamed_matches_keras
from keras_oracle import keras_jax, keras_loss

from losscli.engine import evaluate_arrays
from losscli.errors import InputDataError
from losscli.losses.sequence import ctc
from losscli.registry import get

ATOL = {"float64": 1e-12, "float32": 1e-5}
close = partial(keras_cases.close, atol=ATOL)


def labels(rng: np.random.Generator, n: int, width: int, classes: int, repeats: bool) -> np.ndarray:
    """Ids in 1..classes-1 with trailing zero padding; lengths 0..width."""
    out = np.zeros((n, width))
    for i, length in enumerate(rng.integers(0, width + 1, n)):
        ids = rng.integers(1, classes, length)
        if repeats and length > 1:
            ids[1] = ids[0]
        out[i, :length] = ids
    return out


def case(kind: str, seed: int = 0) -> Arrays:
    rng = np.random.default_rng(seed)
    if kind == "basic":  # (9, 6 steps, 5 classes), labels up to 3
        return labels(rng, 9, 3, 5, False), rng.normal(0, 1.5, (9, 6, 5))
    if kind == "repeats":  # same id twice in a row needs a blank between
        return labels(rng, 9, 4, 3, True), rng.normal(0, 1.5, (9, 8, 3))
    if kind == "tight":  # labels as long as (or longer than) the time steps: infeasible rows
        return labels(rng, 11, 5, 4, True), rng.normal(0, 1, (11, 4, 4))
    if kind == "one_step":
        return labels(rng, 7, 1, 2, False), rng.normal(0, 1, (7, 1, 2))
    if kind == "large_logits":
        return labels(rng, 8, 3, 6, False), rng.normal(0, 40, (8, 7, 6))
    if kind == "empty_labels":
        return np.zeros((5, 3)), rng.normal(0, 1, (5, 4, 3))
    if kind == "interior_zeros":  # Keras counts non-zeros but uses the first positions
        t = np.array([[0, 2, 1], [1, 0, 2], [0, 0, 3], [2, 2, 0], [3, 0, 0]], dtype=float)
        return t, rng.normal(0, 1, (5, 6, 4))
    if kind == "long":
        return labels(rng, 6, 10, 8, True), rng.normal(0, 2, (6, 40, 8))
    raise ValueError(kind)


KINDS = (
    "basic",
    "repeats",
    "tight",
    "one_step",
    "large_logits",
    "empty_labels",
    "interior_zeros",
    "long",
)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
def test_per_sample_matches_keras(kind: str, dtype: str) -> None:
    t, p = (a.astype(dtype) for a in case(kind))
    ours = get("ctc")(t, p)
    assert ours.shape == (len(p),)
    assert ours.dtype == np.dtype(dtype)
    close(ours, keras_loss("CTC", t, p, reduction=None, dtype=dtype), dtype)


def test_infeasible_rows_are_large_and_finite() -> None:
    t = np.array([[1, 2, 3], [1, 1, 0]], dtype=float)
    p = np.zeros((2, 2, 4))
    ours = ctc(t, p)
    assert np.all(np.isfinite(ours)) and np.all(ours > 1e4)
    close(ours, keras_loss("CTC", t, p, reduction=None), "float64")


def test_jax_backend_agrees() -> None:
    """Keras's numpy and JAX backends run the same recursion; losscli matches both."""
    kinds = ("repeats", "tight", "interior_zeros")
    cases = [
        {"class_name": "CTC", "y_true": case(k)[0], "y_pred": case(k)[1], "reduction": None}
        for k in kinds
    ]
    for c, jax_value in zip(cases, keras_jax(cases), strict=True):
        close(ctc(c["y_true"], c["y_pred"]), jax_value, "float64")
        close(keras_loss("CTC", c["y_true"], c["y_pred"], reduction=None), jax_value, "float64")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ["basic", "tight"])
def test_reduced_matches_keras(kind: str, reduction: str, weighted: bool, dtype: str) -> None:
    t, p = (a.astype(dtype) for a in case(kind, seed=1))
    w = np.random.default_rng(2).uniform(0, 2, len(p)).astype(dtype) if weighted else None
    streamed_matches_keras("ctc", "CTC", t, p, w, reduction, dtype, (None, 1, 7), atol=ATOL)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 6),
    steps=st.integers(1, 9),
    classes=st.integers(2, 6),
    width=st.integers(1, 6),
    scale=st.sampled_from([0.1, 1.0, 5.0, 30.0]),
    repeats=st.booleans(),
)
def test_hypothesis(
    seed: int, n: int, steps: int, classes: int, width: int, scale: float, repeats: bool
) -> None:
    rng = np.random.default_rng(seed)
    t = labels(rng, n, width, classes, repeats)
    p = rng.normal(0, scale, (n, steps, classes))
    close(ctc(t, p), keras_loss("CTC", t, p, reduction=None), "float64")


@pytest.mark.parametrize(
    ("t", "p_shape"),
    [
        ([[1, 5]], (1, 3, 5)),  # id out of range
        ([[1, -1]], (1, 3, 5)),  # negative id
        ([[1.5, 0]], (1, 3, 5)),  # not an integer
        ([[np.nan, 0]], (1, 3, 5)),
        ([[0, 0]], (1, 3, 1)),  # only the blank class
    ],
)
def test_bad_inputs(t: list, p_shape: tuple) -> None:
    with pytest.raises(InputDataError):
        ctc(np.asarray(t, dtype=float), np.zeros(p_shape))


def test_pred_must_be_three_dimensional() -> None:
    with pytest.raises(InputDataError):
        evaluate_arrays("ctc", np.ones((3, 2)), np.zeros((3, 4)))

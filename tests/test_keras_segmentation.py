"""Dice and Tversky against real Keras.

With axis=None Keras sums over every element of the batch and returns one scalar; losscli
treats the whole file as the batch, so streaming it in batches of any size must give Keras's
answer on the whole file at once (and the same answer for every batch size).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from keras_cases import DTYPES, REDUCTIONS, close, keras_reduced, streamed_matches_keras
from keras_oracle import keras_loss

from losscli.engine import evaluate_arrays
from losscli.errors import InputDataError, UsageError
from losscli.registry import get

CLASSES = {"dice": "Dice", "tversky": "Tversky"}
PARAMS: list[tuple[str, dict[str, Any]]] = [
    ("dice", {}),
    ("tversky", {}),
    ("tversky", {"alpha": 0.7, "beta": 0.3}),
    ("tversky", {"alpha": 0.0, "beta": 2.0}),
]


def spec(name: str, params: dict[str, Any]) -> str:
    items = ", ".join(
        f"{k}={v!r}" if not isinstance(v, tuple) else f"{k}={list(v)}" for k, v in params.items()
    )
    return f"{name}({items})" if items else name


def data(kind: str, shape: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "binary":
        return rng.integers(0, 2, shape).astype(float), rng.uniform(0, 1, shape)
    if kind == "soft":
        return rng.uniform(0, 1, shape), rng.uniform(0, 1, shape)
    if kind == "zeros":
        return np.zeros(shape), np.zeros(shape)
    if kind == "ones":
        return np.ones(shape), np.ones(shape)
    if kind == "empty_truth":
        return np.zeros(shape), rng.uniform(0, 1, shape)
    raise ValueError(kind)


KINDS = ("binary", "soft", "zeros", "ones", "empty_truth")
SHAPES = ((13, 1), (13, 5), (11, 4, 3))


# ---------------------------------------------------------------- per row (axis given)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("name", "params"), PARAMS)
def test_per_row_matches_keras(
    name: str, params: dict, shape: tuple, kind: str, dtype: str
) -> None:
    t, p = (a.astype(dtype) for a in data(kind, shape))
    for axis in (tuple(range(1, len(shape))), tuple(-a for a in range(1, len(shape)))):
        ours = get(name)(t, p, axis=list(axis), **params)
        assert ours.shape == (len(p),)
        assert ours.dtype == np.dtype(dtype)
        expected = keras_loss(CLASSES[name], t, p, reduction=None, dtype=dtype, axis=axis, **params)
        close(ours, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "params"), PARAMS[:3])
def test_per_row_reduced_matches_keras(
    name: str, params: dict, reduction: str, weighted: bool, dtype: str
) -> None:
    t, p = (a.astype(dtype) for a in data("soft", (17, 3, 2), seed=3))
    w = np.random.default_rng(4).uniform(0, 2, len(p)).astype(dtype) if weighted else None
    params = {**params, "axis": (1, 2)}
    streamed_matches_keras(
        spec(name, params), CLASSES[name], t, p, w, reduction, dtype, (None, 1, 7), **params
    )


# ---------------------------------------------------------------- whole file (axis=None)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("name", "params"), PARAMS)
def test_whole_batch_scalar_matches_keras(
    name: str, params: dict, shape: tuple, kind: str, dtype: str
) -> None:
    t, p = (a.astype(dtype) for a in data(kind, shape, seed=1))
    ours = get(name)(t, p, **params)
    assert ours.shape == ()
    assert ours.dtype == np.dtype(dtype)
    close(ours, keras_loss(CLASSES[name], t, p, reduction=None, dtype=dtype, **params), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "params"), PARAMS[:3])
def test_whole_file_streamed_matches_keras(
    name: str, params: dict, reduction: str, weighted: bool, dtype: str
) -> None:
    """Keras on the whole file as one batch; losscli streamed in batches of 1 and 7."""
    t, p = (a.astype(dtype) for a in data("soft", (23, 4), seed=5))
    w = np.random.default_rng(6).uniform(0, 2, len(p)).astype(dtype) if weighted else None
    expected = keras_reduced(CLASSES[name], t, p, w, reduction, dtype, **params)
    answers = []
    for batch_size in (None, 1, 7):
        (result,) = evaluate_arrays(
            spec(name, params), t, p, w, reduction=reduction, dtype=dtype, batch_size=batch_size
        )
        got = result.values if reduction == "none" else result.value
        if reduction == "none" and not weighted:
            # Keras returns the unreduced scalar itself
            assert np.shape(expected) == ()
            assert result.values.shape == (1,)
            got = result.values[0]
        close(got, expected, dtype)
        answers.append(np.asarray(got))
    # the prepass sums exactly, so the batch size cannot change a single bit
    for other in answers[1:]:
        np.testing.assert_array_equal(other, answers[0])


def test_whole_file_uses_every_row() -> None:
    """Batch-wise Dice would differ: the streamed answer is the whole-file one."""
    t, p = data("binary", (20, 3), seed=7)
    (result,) = evaluate_arrays("dice", t, p, batch_size=4)
    whole = keras_loss("Dice", t, p)
    first_batch = keras_loss("Dice", t[:4], p[:4])
    close(result.value, whole, "float64")
    assert abs(float(whole) - float(first_batch)) > 1e-3


def test_dice_is_tversky_at_one_half() -> None:
    """Equal up to epsilon, which Tversky effectively counts twice."""
    t, p = data("soft", (9, 4), seed=8)
    dice, tversky = get("dice")(t, p, axis=[1]), get("tversky")(t, p, axis=[1])
    np.testing.assert_allclose(dice, tversky, rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    arrays=st.integers(1, 6).flatmap(
        lambda k: st.tuples(
            hnp.arrays(np.float64, (5, k), elements=st.floats(0, 1)),
            hnp.arrays(np.float64, (5, k), elements=st.floats(0, 1)),
        )
    ),
    alpha=st.floats(0, 2),
    beta=st.floats(0, 2),
    per_row=st.booleans(),
)
def test_tversky_hypothesis(arrays: tuple, alpha: float, beta: float, per_row: bool) -> None:
    t, p = arrays
    axis = (1,) if per_row else None
    ours = get("tversky")(t, p, alpha=alpha, beta=beta, axis=axis)
    expected = keras_loss("Tversky", t, p, reduction=None, alpha=alpha, beta=beta, axis=axis)
    close(ours, expected, "float64")


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "bad", ["dice(axis=[0])", "dice(axis=[])", "tversky(axis=[1, 1])", "dice(axis=1)"]
)
def test_bad_axis_is_a_usage_error(bad: str) -> None:
    t, p = data("soft", (4, 3))
    with pytest.raises(UsageError):
        evaluate_arrays(bad, t, p)


@pytest.mark.parametrize("axis", [[2], [-1], [-3]])
def test_axis_must_cover_the_row(axis: list[int]) -> None:
    t, p = data("soft", (4, 3, 2))
    with pytest.raises(InputDataError):
        evaluate_arrays(f"dice(axis={axis})", t, p)

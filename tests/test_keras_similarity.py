"""Circle loss against real Keras.

Keras compares every row of a batch with every other row; losscli treats the whole file as
the batch, so streaming it in batches of any size must give Keras's answer on the whole file
at once. Keras masks out rows whose loss is 0 (no positive or no negative pair), which
changes the mean reductions.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import keras_cases
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keras_cases import DTYPES, REDUCTIONS, streamed_matches_keras
from keras_oracle import keras_loss

from losscli.engine import evaluate_arrays
from losscli.errors import InputDataError, UsageError
from losscli.losses.similarity import _References, circle
from losscli.registry import get

# Keras's divide_no_nan warns when every row is masked (its answer, 0, is right)
pytestmark = pytest.mark.filterwarnings("ignore:.*encountered in divide:RuntimeWarning")

ATOL = {"float64": 1e-12, "float32": 1e-5}
close = partial(keras_cases.close, atol=ATOL)
PARAMS: list[dict[str, Any]] = [
    {},
    {"gamma": 10.0, "margin": 0.25},
    {"remove_diagonal": False},
    {"gamma": 256.0, "margin": -0.1, "remove_diagonal": False},
]


def spec(params: dict[str, Any]) -> str:
    def lit(v: Any) -> str:
        return str(v).lower() if isinstance(v, bool) else repr(v)

    items = ", ".join(f"{k}={lit(v)}" for k, v in params.items())
    return f"circle({items})" if items else "circle"


def data(kind: str, n: int = 19, dim: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(labels as (n, 1), embeddings as (n, dim))."""
    rng = np.random.default_rng(seed)
    emb = rng.normal(size=(n, dim))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    if kind == "classes":
        labels = rng.integers(0, 3, n)
    elif kind == "one_class":  # no negatives anywhere: every row masked
        labels = np.zeros(n, dtype=int)
    elif kind == "distinct":  # no positives (with remove_diagonal)
        labels = np.arange(n)
    elif kind == "singleton":  # one row alone in its class
        labels = rng.integers(0, 2, n)
        labels[3] = 7
    elif kind == "duplicates":  # repeated rows: self-pairs must be told from twins
        labels = rng.integers(0, 2, n)
        emb[1::2] = emb[0::2][: len(emb[1::2])]
        labels[1::2] = labels[0::2][: len(labels[1::2])]
    elif kind == "clustered":  # embeddings that follow the labels: small losses
        labels = rng.integers(0, 3, n)
        centres = np.eye(dim)[:3] if dim >= 3 else rng.normal(size=(3, dim))
        emb = centres[labels] + 0.2 * rng.normal(size=(n, dim))
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    elif kind == "unnormalised":  # Keras does not normalise; neither does losscli
        labels = rng.integers(0, 3, n)
        emb = emb * rng.uniform(0.5, 3, (n, 1))
    else:
        raise ValueError(kind)
    return labels[:, None].astype(float), emb


KINDS = ("classes", "one_class", "distinct", "singleton", "duplicates", "clustered", "unnormalised")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [1, 4, 9])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("params", PARAMS)
def test_per_sample_matches_keras(params: dict, kind: str, dim: int, dtype: str) -> None:
    t, p = (a.astype(dtype) for a in data(kind, dim=dim))
    values, mask = circle(t, p, **params)
    assert values.dtype == np.dtype(dtype)
    assert values.shape == mask.shape == (len(p),)
    expected = keras_loss("Circle", t, p, reduction=None, dtype=dtype, **params)
    # reduction=None: Keras returns values * mask
    close(np.where(mask, values, 0.0), expected, dtype)
    np.testing.assert_array_equal(mask, values > 0)
    close(get("circle")(t, p, **params), values, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ["classes", "singleton", "one_class", "duplicates"])
@pytest.mark.parametrize("params", PARAMS[:3])
def test_streamed_whole_file_matches_keras(
    params: dict, kind: str, reduction: str, weighted: bool, dtype: str
) -> None:
    """Keras on the whole file as one batch; losscli streamed in batches of 1 and 7."""
    t, p = (a.astype(dtype) for a in data(kind, n=23, seed=2))
    w = np.random.default_rng(3).uniform(0, 2, len(p)).astype(dtype) if weighted else None
    answers = streamed_matches_keras(
        spec(params), "Circle", t, p, w, reduction, dtype, (None, 1, 7), atol=ATOL, **params
    )
    # only the matrix products' rounding depends on the batch size
    tight = {"float64": 1e-12, "float32": 1e-6}[dtype]
    for other in answers[1:]:
        np.testing.assert_allclose(other, answers[0], rtol=tight, atol=tight)


def test_pairs_span_batches() -> None:
    """A batch-wise Circle would differ: every row is compared with the whole file."""
    t, p = data("classes", n=20, seed=4)
    (result,) = evaluate_arrays("circle", t, p, batch_size=5)
    whole = keras_loss("Circle", t, p)
    first_batch = keras_loss("Circle", t[:5], p[:5])
    close(result.value, whole, "float64")
    assert abs(float(whole) - float(first_batch)) > 1e-3


def test_large_file_in_anchor_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Anchors are processed in chunks to bound memory; the chunking changes nothing."""
    import losscli.losses.similarity as similarity

    t, p = data("classes", n=40, seed=5)
    expected = keras_loss("Circle", t, p, reduction=None)
    monkeypatch.setattr(similarity, "_CELLS", 3 * 40)
    for batch_size in (None, 9):
        (result,) = evaluate_arrays("circle", t, p, reduction="none", batch_size=batch_size)
        close(result.values, expected, "float64")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 12),
    dim=st.integers(1, 5),
    classes=st.integers(1, 4),
    gamma=st.floats(0.5, 100),
    margin=st.floats(-0.5, 1.0),
    remove_diagonal=st.booleans(),
)
def test_hypothesis(
    seed: int, n: int, dim: int, classes: int, gamma: float, margin: float, remove_diagonal: bool
) -> None:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, classes, (n, 1)).astype(float)
    p = rng.normal(size=(n, dim))
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    params = {"gamma": gamma, "margin": margin, "remove_diagonal": remove_diagonal}
    values, mask = circle(t, p, **params)
    expected = keras_loss("Circle", t, p, reduction=None, **params)
    close(np.where(mask, values, 0.0), expected, "float64")


def test_labels_truncate_like_keras() -> None:
    t = np.array([[0.0], [0.7], [1.0], [1.9], [-0.5]])
    _, p = data("classes", n=5)
    close(get("circle")(t, p), keras_loss("Circle", t, p, reduction=None), "float64")


def test_batches_out_of_order_are_refused() -> None:
    t, p = data("classes", n=6)
    refs = _References(t[:, 0], p)
    circle(t[:3], p[:3], reference_set=refs)
    with pytest.raises(InputDataError):
        circle(t[:3] + 1, p[:3], reference_set=refs)


@pytest.mark.parametrize("bad", ["circle(gamma=0)", "circle(remove_diagonal=1)"])
def test_bad_params(bad: str) -> None:
    t, p = data("classes", n=4)
    with pytest.raises(UsageError):
        evaluate_arrays(bad, t, p)


def test_non_finite_labels_are_refused() -> None:
    t, p = data("classes", n=4)
    t[2] = np.nan
    with pytest.raises(InputDataError):
        evaluate_arrays("circle", t, p)

"""Segmentation overlap losses: Dice and Tversky.

With `axis=None` (the Keras class default) Keras sums over every element of the batch and
returns one scalar; losscli treats the whole file as that batch: a prepass accumulates the
sums exactly (so the answer does not depend on how the file is cut into batches) and every
batch returns the same 0-d value. With `axis` naming the per-row axes the loss is per row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from losscli.errors import InputDataError
from losscli.losses._common import as_pred_dtype, epsilon
from losscli.reduce import ExactSum
from losscli.registry import register_loss

_SHAPE = "values in [0, 1] (masks or probabilities), same shape as y_pred"
_AXIS_HELP = "axes to sum over per row, e.g. [1] (null: every element of the file, one scalar loss)"

#: name → fn(y_true, y_pred) of the elementwise terms a loss sums.
Terms = Mapping[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]

_DICE_TERMS: Terms = {
    "intersection": lambda t, p: t * p,
    "true": lambda t, p: t,
    "pred": lambda t, p: p,
}
_TVERSKY_TERMS: Terms = {
    "intersection": lambda t, p: t * p,
    "fp": lambda t, p: (1 - p) * t,
    "fn": lambda t, p: p * (1 - t),
}


def _validate_axis(params: Mapping[str, Any]) -> None:
    axis = params["axis"]
    if axis is None:
        return
    if len(axis) == 0:
        raise ValueError("axis must name at least one axis, or be null for the whole file")
    if 0 in axis:
        raise ValueError(
            "axis 0 is the row axis; use axis=null to reduce over every element of the file"
        )
    if len(set(axis)) != len(axis):
        raise ValueError(f"axis has a repeated entry: {list(axis)}")


def _row_axes(axis: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    """Check that `axis` covers exactly the per-row axes, so the loss is one value per row."""
    if ndim < 2:
        raise InputDataError(f"axis={list(axis)} needs rows of values, got shape rank {ndim}")
    normal = sorted(a + ndim if a < 0 else a for a in axis)
    if normal != list(range(1, ndim)):
        raise InputDataError(
            f"axis={list(axis)} does not cover the per-row axes {list(range(1, ndim))} "
            f"of {ndim}-d data; losscli needs one loss per row",
            hint="use axis=null for one loss over the whole file",
        )
    return tuple(normal)


def _sums(
    terms: Terms, y_true: np.ndarray, y_pred: np.ndarray, axis: tuple[int, ...] | None
) -> dict[str, np.ndarray]:
    """Per-row sums of each term, or (axis=None) exact whole-batch sums as 0-d arrays."""
    if axis is not None:
        return {name: np.sum(term(y_true, y_pred), axis=axis) for name, term in terms.items()}
    state = _TotalsState(terms)
    state.update(y_true, y_pred)
    return state.result()["totals"]


class _TotalsState:
    """Exact sums of a loss's elementwise terms over every batch of the file."""

    def __init__(self, terms: Terms) -> None:
        self.terms = terms
        self.sums = {name: ExactSum() for name in terms}
        self.dtype: np.dtype | None = None

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        y_true, y_pred = as_pred_dtype(y_true, y_pred)
        self.dtype = y_pred.dtype
        for name, term in self.terms.items():
            # the term is rounded in the compute dtype, as Keras computes it; only the
            # sum is exact, which is within Keras's own summation error
            self.sums[name].add(term(y_true, y_pred))

    def merge(self, other: _TotalsState) -> None:
        """Combine partitions' prepasses (losscli.partition): the sums stay exact."""
        for name, total in other.sums.items():
            self.sums[name].merge(total)
        self.dtype = self.dtype or other.dtype

    def result(self) -> dict[str, Any]:
        dtype = self.dtype or np.dtype(np.float64)
        return {"totals": {k: np.asarray(s.value, dtype=dtype) for k, s in self.sums.items()}}


def _prepass(terms: Terms) -> Callable[[Mapping[str, Any]], _TotalsState | None]:
    return lambda params: _TotalsState(terms) if params["axis"] is None else None


def _prepare(
    terms: Terms,
    y_true: Any,
    y_pred: Any,
    axis: tuple[int, ...] | None,
    totals: Mapping[str, np.ndarray] | None,
) -> tuple[dict[str, np.ndarray], np.dtype]:
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    if axis is not None:
        return _sums(terms, y_true, y_pred, _row_axes(tuple(axis), y_pred.ndim)), y_pred.dtype
    sums = dict(totals) if totals is not None else _sums(terms, y_true, y_pred, None)
    return {k: np.asarray(v, dtype=y_pred.dtype) for k, v in sums.items()}, y_pred.dtype


@register_loss(
    class_name="Dice",
    category="segmentation",
    formula="1 - 2*sum(y_true*y_pred) / (sum(y_true) + sum(y_pred) + 1e-7), sums over axis",
    y_true=_SHAPE,
    y_pred="predicted masks or probabilities per row (a vector or nested list)",
    params={"axis": _AXIS_HELP},
    prepass=_prepass(_DICE_TERMS),
    validate=_validate_axis,
    whole_file="with axis=null Keras sums over the whole batch; losscli sums over the whole file",
)
def dice(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    axis: tuple[int, ...] | None = None,
    *,
    totals: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Dice loss: one minus the overlap of predicted and true masks (F1 on soft masks).

    `totals` (from the prepass) holds the whole-file sums when axis is None.

    >>> dice([[1.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]], axis=[1]).round(4)
    array([0.3333, 1.    ])
    >>> round(float(dice([[1.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]])), 4)
    0.5
    """
    s, dtype = _prepare(_DICE_TERMS, y_true, y_pred, axis, totals)
    overlap = (2.0 * s["intersection"]) / (s["true"] + s["pred"] + epsilon(dtype))
    return np.asarray(1 - overlap, dtype=dtype)


@register_loss(
    class_name="Tversky",
    category="segmentation",
    formula="1 - TP / (TP + alpha*FP + beta*FN + 1e-7), TP=sum(y_true*y_pred), "
    "FP=sum((1-y_pred)*y_true), FN=sum(y_pred*(1-y_true)), sums over axis",
    y_true=_SHAPE,
    y_pred="predicted masks or probabilities per row (a vector or nested list)",
    params={
        "alpha": "weight of the (1-y_pred)*y_true term (Keras calls it false positives)",
        "beta": "weight of the y_pred*(1-y_true) term (Keras calls it false negatives)",
        "axis": _AXIS_HELP,
    },
    prepass=_prepass(_TVERSKY_TERMS),
    validate=_validate_axis,
    whole_file="with axis=null Keras sums over the whole batch; losscli sums over the whole file",
)
def tversky(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    alpha: float = 0.5,
    beta: float = 0.5,
    axis: tuple[int, ...] | None = None,
    *,
    totals: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Tversky loss: Dice with separate weights for the two kinds of error.

    As in Keras 3.15.1, `alpha` weighs sum((1 - y_pred) * y_true) (missed positives) and
    `beta` weighs sum(y_pred * (1 - y_true)) (false alarms), whatever the names suggest.
    alpha = beta = 0.5 gives Dice.

    >>> tversky([[1.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]], axis=[1], alpha=1.0).round(4)
    array([0.5, 1. ])
    >>> round(float(tversky([[1.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]])), 4)
    0.5
    """
    s, dtype = _prepare(_TVERSKY_TERMS, y_true, y_pred, axis, totals)
    tp = s["intersection"]
    ratio = tp / (tp + s["fp"] * alpha + s["fn"] * beta + epsilon(dtype))
    return np.asarray(1 - ratio, dtype=dtype)

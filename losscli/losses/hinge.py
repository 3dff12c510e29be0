"""Hinge losses: margin losses for labels in {-1, +1} (or {0, 1}, converted) and one-hot classes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.losses._common import as_pred_dtype, mean_last
from losscli.registry import register_loss

_SIGNED = "labels in {-1, +1} (or {0, 1}: converted when every label in the file is 0 or 1)"
_SCORES = "raw scores (decision values), same shape as y_true"


class BinaryLabels:
    """Prepass: are all labels in the file 0 or 1?

    Keras converts {0, 1} labels to {-1, +1} only when every label in the batch is 0 or 1;
    a file is one batch to losscli, so the check must see every streamed batch first.
    """

    def __init__(self) -> None:
        self.binary = True

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        if self.binary:
            self.binary = _all_binary(as_pred_dtype(y_true, y_pred)[0])

    def merge(self, other: BinaryLabels) -> None:
        """Combine partitions' prepasses (losscli.partition): binary only if all were."""
        self.binary = self.binary and other.binary

    def result(self) -> dict[str, Any]:
        return {"binary": self.binary}


def _binary_prepass(params: Mapping[str, Any]) -> BinaryLabels:
    return BinaryLabels()


def _all_binary(y_true: np.ndarray) -> bool:
    return bool(np.all((y_true == 0) | (y_true == 1)))


def _signed_margin(y_true: np.ndarray, y_pred: np.ndarray, binary: bool | None) -> np.ndarray:
    """max(1 - y_true * y_pred, 0) after Keras's {0, 1} → {-1, +1} label conversion."""
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    if binary is None:  # called without the prepass: this batch is the whole input
        binary = _all_binary(y_true)
    if binary:
        y_true = 2.0 * y_true - 1.0
    with np.errstate(over="ignore", invalid="ignore"):  # inf is a result, not an error
        return np.maximum(1.0 - y_true * y_pred, 0.0)


@register_loss(
    class_name="Hinge",
    category="hinge",
    formula="mean(max(1 - y_true * y_pred, 0), axis=-1)",
    y_true=_SIGNED,
    y_pred=_SCORES,
    prepass=_binary_prepass,
)
def hinge(y_true: np.ndarray, y_pred: np.ndarray, *, binary: bool | None = None) -> np.ndarray:
    """Margin loss of a linear classifier (SVM): zero once y_true * y_pred reaches 1.

    >>> hinge([[1.0], [0.0]], [[0.3], [-2.0]])
    array([0.7, 0. ])
    """
    margin = _signed_margin(y_true, y_pred, binary)
    return mean_last(margin)


@register_loss(
    class_name="SquaredHinge",
    category="hinge",
    formula="mean(max(1 - y_true * y_pred, 0)^2, axis=-1)",
    y_true=_SIGNED,
    y_pred=_SCORES,
    prepass=_binary_prepass,
)
def squared_hinge(
    y_true: np.ndarray, y_pred: np.ndarray, *, binary: bool | None = None
) -> np.ndarray:
    """Squared margin loss: smooth at the margin, punishes large violations harder.

    >>> squared_hinge([[-1.0], [1.0]], [[0.5], [2.0]])
    array([2.25, 0.  ])
    """
    margin = _signed_margin(y_true, y_pred, binary)
    with np.errstate(over="ignore", invalid="ignore"):
        return mean_last(np.square(margin))


@register_loss(
    class_name="CategoricalHinge",
    category="hinge",
    vector=True,
    formula="max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0), along the last axis",
    y_true="one-hot class vector per sample (or {-1, +1} vector)",
    y_pred="one score per class",
)
def categorical_hinge(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Multi-class margin loss: the true class's score must beat every other by 1.

    >>> categorical_hinge([[0.0, 1.0, 0.0]], [[0.2, 0.6, 0.1]])
    array([0.6])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    with np.errstate(over="ignore", invalid="ignore"):
        pos = np.sum(y_true * y_pred, axis=-1)
        neg = np.max((1.0 - y_true) * y_pred, axis=-1)
        return np.maximum(neg - pos + 1.0, np.asarray(0.0, dtype=y_pred.dtype))

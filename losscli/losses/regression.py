"""Regression losses: mean squared / absolute / percentage / log errors, Huber, log-cosh, cosine."""

from __future__ import annotations

import numpy as np

from losscli.losses._common import as_pred_dtype
from losscli.registry import register_loss

_ANY = "a number or a vector per sample, same shape as y_pred"


@register_loss(
    class_name="MeanSquaredError",
    aliases=("mse", "MSE"),
    category="regression",
    formula="mean((y_true - y_pred)^2, axis=-1)",
    y_true=_ANY,
    y_pred=_ANY,
)
def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Mean of squared differences: the default regression loss.

    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])
    array([0.5])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    return np.mean(np.square(y_true - y_pred), axis=-1)


@register_loss(
    class_name="MeanAbsoluteError",
    aliases=("mae", "MAE"),
    category="regression",
    formula="mean(|y_true - y_pred|, axis=-1)",
    y_true=_ANY,
    y_pred=_ANY,
)
def mean_absolute_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Mean of absolute differences: robust to outliers, gradient of constant size.

    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 1.0]])
    array([0.5])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    return np.mean(np.abs(y_true - y_pred), axis=-1)

"""Regression losses: mean squared / absolute / percentage / log errors, Huber, log-cosh, cosine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.losses._common import EPSILON, as_pred_dtype, epsilon, mean_last
from losscli.registry import register_loss

_ANY = "a number or a vector per sample, same shape as y_pred"
_ANY_PRED = "a number or a vector per sample, same shape as y_true"


@register_loss(
    class_name="MeanSquaredError",
    aliases=("mse", "MSE"),
    category="regression",
    formula="mean((y_true - y_pred)^2, axis=-1)",
    y_true=_ANY,
    y_pred=_ANY_PRED,
)
def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Mean of squared differences: the default regression loss.

    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])
    array([0.5])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    return mean_last(np.square(y_true - y_pred))


@register_loss(
    class_name="MeanAbsoluteError",
    aliases=("mae", "MAE"),
    category="regression",
    formula="mean(|y_true - y_pred|, axis=-1)",
    y_true=_ANY,
    y_pred=_ANY_PRED,
)
def mean_absolute_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Mean of absolute differences: robust to outliers, gradient of constant size.

    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 1.0]])
    array([0.5])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    return mean_last(np.abs(y_true - y_pred))


@register_loss(
    class_name="MeanAbsolutePercentageError",
    aliases=("mape", "MAPE"),
    category="regression",
    formula="100 * mean(|y_true - y_pred| / max(|y_true|, epsilon), axis=-1)",
    y_true=_ANY,
    y_pred=_ANY_PRED,
)
def mean_absolute_percentage_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Mean absolute error relative to |y_true|, in percent; a zero target counts as 1e-7.

    >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]])
    array([37.5])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    # a zero target gives |y_pred| * 1e9 percent: Keras's behaviour, kept on purpose
    scale = np.maximum(np.abs(y_true), epsilon(y_pred.dtype))
    with np.errstate(over="ignore", invalid="ignore"):  # inf is a result, not an error
        return 100.0 * mean_last(np.abs((y_true - y_pred) / scale))


@register_loss(
    class_name="MeanSquaredLogarithmicError",
    aliases=("msle", "MSLE"),
    category="regression",
    formula="mean((log(max(y_pred, epsilon) + 1) - log(max(y_true, epsilon) + 1))^2, axis=-1)",
    y_true="non-negative targets, same shape as y_pred (values below 1e-7 count as 1e-7)",
    y_pred="non-negative predictions (values below 1e-7 count as 1e-7)",
)
def mean_squared_logarithmic_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Mean squared error of log(1 + x): relative errors, for targets spanning magnitudes.

    >>> mean_squared_logarithmic_error([[0.0, 3.0]], [[0.0, 3.0]])
    array([0.])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    eps = epsilon(y_pred.dtype)
    # log(x + 1), not log1p: Keras's rounding, which matters near zero at 1e-10 tolerance
    with np.errstate(over="ignore", invalid="ignore"):
        first = np.log(np.maximum(y_pred, eps) + 1.0)
        second = np.log(np.maximum(y_true, eps) + 1.0)
        return mean_last(np.square(first - second))


def _check_axis(params: Mapping[str, Any]) -> None:
    if params["axis"] == 0:
        raise ValueError("axis 0 is the row axis; use -1 (the values within each row)")


@register_loss(
    class_name="CosineSimilarity",
    aliases=("cosine_proximity",),
    category="regression",
    formula="-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)",
    y_true="a vector per sample, same shape as y_pred",
    y_pred="a vector per sample",
    params={"axis": "axis along which vectors are compared (the features axis)"},
    validate=_check_axis,
)
def cosine_similarity(y_true: np.ndarray, y_pred: np.ndarray, axis: int = -1) -> np.ndarray:
    """Negative cosine similarity: -1 for parallel vectors, 0 orthogonal or zero, +1 opposite.

    Norms below 1e-7 are clamped to 1e-7, as on Keras's TensorFlow and JAX backends
    (its numpy backend normalises such tiny vectors fully).

    >>> cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [-1.0, -1.0]])
    array([-0.,  1.])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return -np.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def _l2_normalize(x: np.ndarray, axis: int) -> np.ndarray:
    """x / max(||x||, epsilon), written as x * min(1/sqrt(sum x^2), 1/epsilon) like Keras."""
    square_sum = np.sum(np.square(x), axis=axis, keepdims=True)
    inv_norm = 1.0 / np.sqrt(square_sum)  # a zero vector gives inf, clamped to 1/epsilon
    return x * np.minimum(inv_norm, np.asarray(1.0 / EPSILON, dtype=x.dtype))


def _check_delta(params: Mapping[str, Any]) -> None:
    if not params["delta"] > 0:
        raise ValueError(f"delta must be > 0, got {params['delta']}")


@register_loss(
    class_name="Huber",
    aliases=("huber_loss",),
    category="regression",
    formula="mean(0.5 e^2 if |e| <= delta else delta |e| - 0.5 delta^2, axis=-1), e = y_pred - y_true",
    y_true=_ANY,
    y_pred=_ANY_PRED,
    params={"delta": "where the loss turns from quadratic to linear (> 0)"},
    validate=_check_delta,
)
def huber(y_true: np.ndarray, y_pred: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """Squared error for small errors, absolute error beyond delta: robust to outliers.

    >>> huber([[0.0, 0.0]], [[0.5, 3.0]])
    array([1.3125])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    d = np.asarray(delta, dtype=y_pred.dtype)
    half = np.asarray(0.5, dtype=y_pred.dtype)
    # both branches are computed: the unused quadratic one may overflow harmlessly
    with np.errstate(over="ignore", invalid="ignore"):
        error = y_pred - y_true
        abs_error = np.abs(error)
        quadratic = half * np.square(error)
        linear = d * abs_error - half * np.square(d)
        return mean_last(np.where(abs_error <= d, quadratic, linear))


@register_loss(
    class_name="LogCosh",
    aliases=("logcosh",),
    category="regression",
    formula="mean(log(cosh(y_pred - y_true)), axis=-1)",
    y_true=_ANY,
    y_pred=_ANY_PRED,
)
def log_cosh(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Log of the hyperbolic cosine of the error: like MSE/2 when small, MAE - log 2 when large.

    Computed as x + softplus(-2x) - log(2), as Keras does, so it does not overflow and
    agrees with Keras to the last bits (that form loses relative precision for |x| < 1e-4).

    >>> log_cosh([[0.0, 0.0]], [[0.0, 1000.0]]).round(6)
    array([499.653426])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    log2 = np.log(np.asarray(2.0, dtype=y_pred.dtype))
    zero = np.asarray(0.0, dtype=y_pred.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        x = y_pred - y_true
        return mean_last(x + np.logaddexp(x * -2.0, zero) - log2)

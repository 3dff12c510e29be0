"""PyTorch's torch.nn losses (`torch.*`): regression and class losses, with torch's semantics.

Reductions: torch's elementwise losses (l1, mse, smooth_l1, huber, bce, bce_with_logits,
poisson_nll, gaussian_nll, kl_div, soft_margin) average over every element, so with a
vector per row they return one value per element, shape (N, C), and losscli's reductions
count all of them: `sum_over_batch_size` is torch's 'mean', `sum` its 'sum', `none` its
'none'. The class losses return one value per row. nll and cross_entropy with class indices
divide 'mean' by the summed class weights of the rows not ignored (a float mask carries
them to the accumulator). The likelihood losses are in torch_likelihood.py, the margin and
embedding losses in torch_margin.py. Checked against torch in tests/test_torch_losses.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.losses._common import as_pred_dtype, log_softmax
from losscli.registry import register_loss

_ANY = "a number or a vector per sample, same shape as y_pred"
ELEMENTWISE = " (one value per element: a vector row gives one value per column)"


def home(class_name: str, function: str) -> dict[str, Any]:
    """The names torch users know: torch.nn.Class and torch.nn.functional.function."""
    return {
        "class_name": f"torch.nn.{class_name}",
        "aliases": (f"torch.nn.functional.{function}",),
        "source": "torch",
    }


def per_element(values: np.ndarray) -> np.ndarray:
    """(N,) for one column, (N, C) for C columns: torch reduces over every element."""
    values = values.reshape(len(values), -1)
    return values[:, 0] if values.shape[1] == 1 else values


def pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = as_pred_dtype(y_true, y_pred)
    return t.reshape(len(t), -1), p.reshape(len(p), -1)


def class_weights(weight: list[float] | None, classes: int, dtype: np.dtype) -> np.ndarray:
    if weight is None:
        return np.ones(classes, dtype=dtype)
    if len(weight) != classes:
        raise ValueError(f"weight has {len(weight)} values but y_pred has {classes} classes")
    return np.asarray(weight, dtype=dtype)


@register_loss(
    "torch.l1",
    **home("L1Loss", "l1_loss"),
    category="regression",
    formula="|y_pred - y_true|" + ELEMENTWISE,
    y_true=_ANY,
    y_pred=_ANY,
)
def l1(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Absolute error, torch.nn.L1Loss.

    >>> l1([[0.0, 1.0]], [[1.0, 1.0]])
    array([[1., 0.]])
    """
    t, p = pair(y_true, y_pred)
    return per_element(np.abs(p - t))


@register_loss(
    "torch.mse",
    **home("MSELoss", "mse_loss"),
    category="regression",
    formula="(y_pred - y_true)^2" + ELEMENTWISE,
    y_true=_ANY,
    y_pred=_ANY,
)
def mse(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Squared error, torch.nn.MSELoss.

    >>> mse([[0.0], [1.0]], [[2.0], [1.0]])
    array([4., 0.])
    """
    t, p = pair(y_true, y_pred)
    return per_element((p - t) ** 2)


def _non_negative(name: str) -> Any:
    def check(params: Mapping[str, Any]) -> None:
        if params[name] < 0:
            raise ValueError(f"{name} must be >= 0, got {params[name]}")

    return check


@register_loss(
    "torch.smooth_l1",
    **home("SmoothL1Loss", "smooth_l1_loss"),
    category="regression",
    formula="0.5 e^2 / beta if |e| < beta else |e| - 0.5 beta, e = y_pred - y_true" + ELEMENTWISE,
    y_true=_ANY,
    y_pred=_ANY,
    params={"beta": "where the loss turns from quadratic to linear (0: L1)"},
    validate=_non_negative("beta"),
)
def smooth_l1(y_true: np.ndarray, y_pred: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """Smooth L1: torch's Huber divided by beta (its slope beyond beta is 1).

    >>> smooth_l1([[0.0, 0.0]], [[0.5, 3.0]])
    array([[0.125, 2.5  ]])
    """
    t, p = pair(y_true, y_pred)
    e = np.abs(p - t)
    if beta == 0:
        return per_element(e)
    with np.errstate(over="ignore"):
        return per_element(np.where(e < beta, 0.5 * e * e / beta, e - 0.5 * beta))


@register_loss(
    "torch.huber",
    **home("HuberLoss", "huber_loss"),
    category="regression",
    formula="0.5 e^2 if |e| < delta else delta (|e| - 0.5 delta), e = y_pred - y_true"
    + ELEMENTWISE,
    y_true=_ANY,
    y_pred=_ANY,
    params={"delta": "where the loss turns from quadratic to linear (> 0)"},
)
def huber(y_true: np.ndarray, y_pred: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """Huber loss, torch.nn.HuberLoss: per element (Keras's huber averages each row).

    >>> huber([[0.0, 0.0]], [[0.5, 3.0]])
    array([[0.125, 2.5  ]])
    """
    t, p = pair(y_true, y_pred)
    e = np.abs(p - t)
    with np.errstate(over="ignore"):
        return per_element(np.where(e < delta, 0.5 * e * e, delta * (e - 0.5 * delta)))


def class_indices(
    y_true: np.ndarray, classes: int, ignore_index: int
) -> tuple[np.ndarray, np.ndarray]:
    """(index with ignored rows set to 0, kept) from one class index per row."""
    t = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    if t.shape[1] != 1:
        raise ValueError(f"y_true needs one class index per row, got {t.shape[1]} values")
    t = t[:, 0]
    kept = t != ignore_index
    bad = kept & ((t != np.floor(t)) | (t < 0) | (t >= classes))
    if bad.any():
        raise ValueError(
            f"class index {t[bad][0]:g} is not in 0..{classes - 1} (nor ignore_index "
            f"{ignore_index})"
        )
    return np.where(kept, t, 0).astype(np.intp), kept


def _nll_rows(
    log_probs: np.ndarray, y_true: np.ndarray, weight: list[float] | None, ignore_index: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(w_y * -log_probs[y], divisor weights, class weights, rows kept) for class indices."""
    n, classes = log_probs.shape
    w = class_weights(weight, classes, log_probs.dtype)
    index, kept = class_indices(y_true, classes, ignore_index)
    row_w = np.where(kept, w[index], 0)
    picked = log_probs[np.arange(n), index]
    return np.where(kept, -row_w * picked, 0), row_w, w, kept


def _mask(divisor: np.ndarray, weighted: bool) -> np.ndarray:
    """A boolean mask (the mean counts kept rows) or, with class weights, the float weights."""
    return divisor if weighted else divisor != 0


@register_loss(
    "torch.nll",
    **home("NLLLoss", "nll_loss"),
    category="probabilistic",
    formula="-weight[y] * y_pred[y]; mean = sum / sum(weight[y]) over rows not ignored",
    y_true="one class index per row (ignore_index: left out)",
    y_pred="log-probabilities, one column per class (e.g. log_softmax output)",
    labels="ids",
    params={
        "weight": "one weight per class (null: all 1)",
        "ignore_index": "a label to leave out of the loss and of the mean",
    },
)
def nll(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    weight: list[float] | None = None,
    ignore_index: int = -100,
) -> tuple[np.ndarray, np.ndarray]:
    """Negative log-likelihood of log-probabilities, torch.nn.NLLLoss.

    >>> values, mask = nll([[1], [0]], np.log([[0.2, 0.8], [0.5, 0.5]]))
    >>> values.round(4)
    array([0.2231, 0.6931])
    """
    _, p = pair(np.zeros(1), y_pred)
    values, divisor, _, _ = _nll_rows(p, y_true, weight, ignore_index)
    return values, _mask(divisor, weight is not None)


def _check_smoothing(params: Mapping[str, Any]) -> None:
    if not 0 <= params["label_smoothing"] <= 1:
        raise ValueError(f"label_smoothing must be in [0, 1], got {params['label_smoothing']}")


@register_loss(
    "torch.cross_entropy",
    **home("CrossEntropyLoss", "cross_entropy"),
    category="probabilistic",
    formula="-sum_c weight_c * q_c * log_softmax(y_pred)_c, q = one-hot(y) or y_true, smoothed: "
    "(1 - s) q + s / C; with indices mean = sum / sum(weight[y]) over rows not ignored",
    y_true="one class index per row, or class probabilities (one column per class)",
    y_pred="logits (unnormalised scores), one column per class",
    labels="ids",
    params={
        "weight": "one weight per class (null: all 1)",
        "ignore_index": "a label to leave out of the loss and of the mean (indices only)",
        "label_smoothing": "s in [0, 1]: mix the target with the uniform distribution",
    },
    validate=_check_smoothing,
)
def cross_entropy(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    weight: list[float] | None = None,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Softmax cross-entropy of logits, torch.nn.CrossEntropyLoss.

    With class probabilities as targets torch's 'mean' divides by the number of rows, with
    class indices by the summed weights of the rows not ignored.

    >>> values, mask = cross_entropy([[1], [0]], [[0.0, 2.0], [1.0, 1.0]])
    >>> values.round(4)
    array([0.1269, 0.6931])
    """
    t, p = pair(y_true, y_pred)
    classes = p.shape[1]
    logp = log_softmax(p)
    if t.shape == p.shape and classes > 1:  # class probabilities
        w = class_weights(weight, classes, p.dtype)
        q = t * (1 - label_smoothing) + label_smoothing / classes
        return -np.sum(w * q * logp, axis=1), None
    values, divisor, w, kept = _nll_rows(logp, t, weight, ignore_index)
    if label_smoothing:  # torch's smoothing term shares the nll term's divisor
        smooth = np.where(kept, -np.sum(logp * w, axis=1), 0)
        values = (1 - label_smoothing) * values + smooth * (label_smoothing / classes)
    return values, _mask(divisor, weight is not None)

"""PyTorch's torch.nn losses (`torch.*`): regression and classification, with torch's semantics.

Reductions: torch's elementwise losses (l1, mse, smooth_l1, huber, bce, bce_with_logits,
poisson_nll, gaussian_nll, kl_div, soft_margin) average over every element, so with a
vector per row they return one value per element, shape (N, C), and losscli's reductions
count all of them: `sum_over_batch_size` is torch's 'mean', `sum` its 'sum', `none` its
'none'. The class losses return one value per row. nll and cross_entropy with class indices
divide 'mean' by the summed class weights of the rows not ignored (a float mask carries
them to the accumulator). Checked against torch in tests/test_torch_losses.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.losses._common import as_pred_dtype, log_softmax, softplus
from losscli.registry import register_loss

_ANY = "a number or a vector per sample, same shape as y_pred"
_ELEMENTWISE = " (one value per element: a vector row gives one value per column)"


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


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = as_pred_dtype(y_true, y_pred)
    return t.reshape(len(t), -1), p.reshape(len(p), -1)


def _class_weights(weight: list[float] | None, classes: int, dtype: np.dtype) -> np.ndarray:
    if weight is None:
        return np.ones(classes, dtype=dtype)
    if len(weight) != classes:
        raise ValueError(f"weight has {len(weight)} values but y_pred has {classes} classes")
    return np.asarray(weight, dtype=dtype)


@register_loss(
    "torch.l1",
    **home("L1Loss", "l1_loss"),
    category="regression",
    formula="|y_pred - y_true|" + _ELEMENTWISE,
    y_true=_ANY,
    y_pred=_ANY,
)
def l1(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Absolute error, torch.nn.L1Loss.

    >>> l1([[0.0, 1.0]], [[1.0, 1.0]])
    array([[1., 0.]])
    """
    t, p = _pair(y_true, y_pred)
    return per_element(np.abs(p - t))


@register_loss(
    "torch.mse",
    **home("MSELoss", "mse_loss"),
    category="regression",
    formula="(y_pred - y_true)^2" + _ELEMENTWISE,
    y_true=_ANY,
    y_pred=_ANY,
)
def mse(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Squared error, torch.nn.MSELoss.

    >>> mse([[0.0], [1.0]], [[2.0], [1.0]])
    array([4., 0.])
    """
    t, p = _pair(y_true, y_pred)
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
    formula="0.5 e^2 / beta if |e| < beta else |e| - 0.5 beta, e = y_pred - y_true" + _ELEMENTWISE,
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
    t, p = _pair(y_true, y_pred)
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
    + _ELEMENTWISE,
    y_true=_ANY,
    y_pred=_ANY,
    params={"delta": "where the loss turns from quadratic to linear (> 0)"},
)
def huber(y_true: np.ndarray, y_pred: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """Huber loss, torch.nn.HuberLoss: per element (Keras's huber averages each row).

    >>> huber([[0.0, 0.0]], [[0.5, 3.0]])
    array([[0.125, 2.5  ]])
    """
    t, p = _pair(y_true, y_pred)
    e = np.abs(p - t)
    with np.errstate(over="ignore"):
        return per_element(np.where(e < delta, 0.5 * e * e, delta * (e - 0.5 * delta)))


def _indices(y_true: np.ndarray, classes: int, ignore_index: int) -> tuple[np.ndarray, np.ndarray]:
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
    w = _class_weights(weight, classes, log_probs.dtype)
    index, kept = _indices(y_true, classes, ignore_index)
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
    _, p = _pair(np.zeros(1), y_pred)
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
    t, p = _pair(y_true, y_pred)
    classes = p.shape[1]
    logp = log_softmax(p)
    if t.shape == p.shape and classes > 1:  # class probabilities
        w = _class_weights(weight, classes, p.dtype)
        q = t * (1 - label_smoothing) + label_smoothing / classes
        return -np.sum(w * q * logp, axis=1), None
    values, divisor, w, kept = _nll_rows(logp, t, weight, ignore_index)
    if label_smoothing:  # torch's smoothing term shares the nll term's divisor
        smooth = np.where(kept, -np.sum(logp * w, axis=1), 0)
        values = (1 - label_smoothing) * values + smooth * (label_smoothing / classes)
    return values, _mask(divisor, weight is not None)


def _log_clamped(x: np.ndarray) -> np.ndarray:
    """torch's BCELoss clamps log to >= -100, so a wrong certain prediction costs 100."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), -100.0)


@register_loss(
    "torch.bce",
    **home("BCELoss", "binary_cross_entropy"),
    category="probabilistic",
    formula="-weight (y log(p) + (1 - y) log(1 - p)), logs clamped at -100" + _ELEMENTWISE,
    y_true="targets in [0, 1], same shape as y_pred",
    y_pred="probabilities in [0, 1]",
    params={"weight": "one weight per column (null: all 1)"},
)
def bce(y_true: np.ndarray, y_pred: np.ndarray, weight: list[float] | None = None) -> np.ndarray:
    """Binary cross-entropy of probabilities, torch.nn.BCELoss (no epsilon clipping).

    >>> bce([[1.0], [0.0]], [[0.9], [0.2]]).round(4)
    array([0.1054, 0.2231])
    """
    t, p = _pair(y_true, y_pred)
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("y_pred holds values outside [0, 1]; torch's BCELoss refuses them")
    w = _class_weights(weight, p.shape[1], p.dtype)
    return per_element(-w * (t * _log_clamped(p) + (1 - t) * _log_clamped(1 - p)))


@register_loss(
    "torch.bce_with_logits",
    **home("BCEWithLogitsLoss", "binary_cross_entropy_with_logits"),
    category="probabilistic",
    formula="-weight (pos_weight y log sigmoid(x) + (1 - y) log sigmoid(-x))" + _ELEMENTWISE,
    y_true="targets in [0, 1], same shape as y_pred",
    y_pred="logits",
    params={
        "pos_weight": "weight of the positive term, one per column (null: all 1)",
        "weight": "one weight per column (null: all 1)",
    },
)
def bce_with_logits(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    pos_weight: list[float] | None = None,
    weight: list[float] | None = None,
) -> np.ndarray:
    """Binary cross-entropy of logits, torch.nn.BCEWithLogitsLoss.

    >>> bce_with_logits([[1.0], [0.0]], [[2.0], [-1.0]]).round(4)
    array([0.1269, 0.3133])
    """
    t, x = _pair(y_true, y_pred)
    w = _class_weights(weight, x.shape[1], x.dtype)
    pw = _class_weights(pos_weight, x.shape[1], x.dtype)
    return per_element(w * (pw * t * softplus(-x) + (1 - t) * softplus(x)))


@register_loss(
    "torch.poisson_nll",
    **home("PoissonNLLLoss", "poisson_nll_loss"),
    category="probabilistic",
    formula="exp(x) - y x (log_input) or x - y log(x + eps); full adds y log y - y + "
    "0.5 log(2 pi y) where y > 1" + _ELEMENTWISE,
    y_true="counts (the Poisson targets)",
    y_pred="log-rates (log_input=true) or rates",
    params={
        "log_input": "y_pred is the log of the rate",
        "full": "add the Stirling approximation term",
        "eps": "added to the rate before its log when log_input=false",
    },
)
def poisson_nll(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    log_input: bool = True,
    full: bool = False,
    eps: float = 1e-8,
) -> np.ndarray:
    """Poisson negative log-likelihood, torch.nn.PoissonNLLLoss.

    >>> poisson_nll([[2.0]], [[0.0]])
    array([1.])
    """
    t, x = _pair(y_true, y_pred)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        loss = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
        if full:
            stirling = t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)
            loss = loss + np.where(t <= 1, 0, stirling)
    return per_element(loss)


@register_loss(
    "torch.gaussian_nll",
    **home("GaussianNLLLoss", "gaussian_nll_loss"),
    category="probabilistic",
    formula="0.5 (log(max(var, eps)) + (y_pred - y_true)^2 / max(var, eps)) (+ 0.5 log 2 pi)"
    + _ELEMENTWISE,
    y_true="the targets, D values per row",
    y_pred="the predicted means then the variances: 2·D columns (--y-pred 'mu_*,var_*'), or "
    "D + 1 (one variance for the row)",
    labels="ids",
    params={"full": "add the constant 0.5 log(2 pi)", "eps": "variances are clamped to >= eps"},
)
def gaussian_nll(
    y_true: np.ndarray, y_pred: np.ndarray, full: bool = False, eps: float = 1e-6
) -> np.ndarray:
    """Gaussian negative log-likelihood with a predicted variance, torch.nn.GaussianNLLLoss.

    >>> gaussian_nll([[1.0]], [[1.0, 1.0]])
    array([0.])
    """
    t, p = _pair(y_true, y_pred)
    d = t.shape[1]
    if p.shape[1] not in (2 * d, d + 1):
        raise ValueError(
            f"y_pred needs the {d} means then {d} variances (or 1): {2 * d} or {d + 1} "
            f"columns, got {p.shape[1]}"
        )
    mean, var = p[:, :d], p[:, d:]
    if np.any(var < 0):
        raise ValueError("the variance column holds negative values; torch refuses them")
    var = np.maximum(var, eps)
    loss = 0.5 * (np.log(var) + (mean - t) ** 2 / var)
    return per_element(loss + 0.5 * np.log(2 * np.pi) if full else loss)


@register_loss(
    "torch.kl_div",
    **home("KLDivLoss", "kl_div"),
    category="probabilistic",
    formula="y (log y - x), or exp(y) (y - x) with log_target; x = y_pred in log-space"
    + _ELEMENTWISE,
    y_true="target probabilities (log-probabilities with log_target=true)",
    y_pred="log-probabilities (torch's input is in log-space)",
    params={
        "log_target": "y_true is in log-space too",
        "batchmean": "one value per row (the row's sum): the default reduction is then "
        "torch's reduction='batchmean' (the true KL divergence)",
    },
)
def kl_div(
    y_true: np.ndarray, y_pred: np.ndarray, log_target: bool = False, batchmean: bool = False
) -> np.ndarray:
    """Kullback-Leibler divergence of log-probabilities, torch.nn.KLDivLoss.

    torch's reduction='mean' averages over every element (the default here); pass
    batchmean=true for reduction='batchmean', the sum over classes averaged over rows.

    >>> kl_div([[0.5, 0.5]], np.log([[0.5, 0.5]]), batchmean=True)
    array([0.])
    """
    t, x = _pair(y_true, y_pred)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if log_target:
            loss = np.exp(t) * (t - x)
        else:
            loss = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - x), 0.0)
    return np.sum(loss, axis=1) if batchmean else per_element(loss)

"""PyTorch's likelihood losses (`torch.*`): binary cross-entropy, Poisson, Gaussian, KL.

All are elementwise in torch: one value per element, which losscli's reductions count as
torch's do (see torch_nn.py). Checked against torch in tests/test_torch_losses.py.
"""

from __future__ import annotations

import numpy as np

from losscli.losses._common import softplus
from losscli.losses.torch_nn import ELEMENTWISE, class_weights, home, pair, per_element
from losscli.registry import register_loss


def _log_clamped(x: np.ndarray) -> np.ndarray:
    """torch's BCELoss clamps log to >= -100, so a wrong certain prediction costs 100."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), -100.0)


@register_loss(
    "torch.bce",
    **home("BCELoss", "binary_cross_entropy"),
    category="probabilistic",
    formula="-weight (y log(p) + (1 - y) log(1 - p)), logs clamped at -100" + ELEMENTWISE,
    y_true="targets in [0, 1], same shape as y_pred",
    y_pred="probabilities in [0, 1]",
    params={"weight": "one weight per column (null: all 1)"},
)
def bce(y_true: np.ndarray, y_pred: np.ndarray, weight: list[float] | None = None) -> np.ndarray:
    """Binary cross-entropy of probabilities, torch.nn.BCELoss (no epsilon clipping).

    >>> bce([[1.0], [0.0]], [[0.9], [0.2]]).round(4)
    array([0.1054, 0.2231])
    """
    t, p = pair(y_true, y_pred)
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError("y_pred holds values outside [0, 1]; torch's BCELoss refuses them")
    w = class_weights(weight, p.shape[1], p.dtype)
    return per_element(-w * (t * _log_clamped(p) + (1 - t) * _log_clamped(1 - p)))


@register_loss(
    "torch.bce_with_logits",
    **home("BCEWithLogitsLoss", "binary_cross_entropy_with_logits"),
    category="probabilistic",
    formula="-weight (pos_weight y log sigmoid(x) + (1 - y) log sigmoid(-x))" + ELEMENTWISE,
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
    t, x = pair(y_true, y_pred)
    w = class_weights(weight, x.shape[1], x.dtype)
    pw = class_weights(pos_weight, x.shape[1], x.dtype)
    return per_element(w * (pw * t * softplus(-x) + (1 - t) * softplus(x)))


@register_loss(
    "torch.poisson_nll",
    **home("PoissonNLLLoss", "poisson_nll_loss"),
    category="probabilistic",
    formula="exp(x) - y x (log_input) or x - y log(x + eps); full adds y log y - y + "
    "0.5 log(2 pi y) where y > 1" + ELEMENTWISE,
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
    t, x = pair(y_true, y_pred)
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
    + ELEMENTWISE,
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
    t, p = pair(y_true, y_pred)
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
    + ELEMENTWISE,
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
    t, x = pair(y_true, y_pred)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if log_target:
            loss = np.exp(t) * (t - x)
        else:
            loss = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - x), 0.0)
    return np.sum(loss, axis=1) if batchmean else per_element(loss)

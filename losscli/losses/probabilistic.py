"""Probabilistic losses comparing distributions or counts: KL divergence and Poisson."""

from __future__ import annotations

import numpy as np

from losscli.losses._common import as_pred_dtype, epsilon, mean_last
from losscli.registry import register_loss


@register_loss(
    class_name="KLDivergence",
    aliases=("kld", "KLD", "kullback_leibler_divergence"),
    category="probabilistic",
    formula="sum(t * log(t / p), axis=-1), t = clip(y_true, epsilon, 1), p = clip(y_pred, epsilon, 1)",
    y_true="a probability distribution per sample (values clipped to [1e-7, 1])",
    y_pred="a probability distribution per sample (values clipped to [1e-7, 1])",
)
def kl_divergence(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Kullback-Leibler divergence of y_pred from y_true; both clipped to [1e-7, 1] first.

    >>> kl_divergence([[0.5, 0.5]], [[0.5, 0.5]])
    array([0.])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    eps = epsilon(y_pred.dtype)
    one = np.asarray(1.0, dtype=y_pred.dtype)
    y_true = np.clip(y_true, eps, one)
    y_pred = np.clip(y_pred, eps, one)
    return np.sum(y_true * np.log(y_true / y_pred), axis=-1)


@register_loss(
    class_name="Poisson",
    category="probabilistic",
    formula="mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)",
    y_true="observed counts, same shape as y_pred",
    y_pred="predicted rates (>= 0; negative rates give NaN, as in Keras)",
)
def poisson(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Negative Poisson log-likelihood without the log(y_true!) term, for count targets.

    >>> poisson([[0.0, 2.0]], [[1.0, 2.0]]).round(6)
    array([0.806853])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        log_rate = np.log(y_pred + epsilon(y_pred.dtype))  # negative rates give NaN
        return mean_last(y_pred - y_true * log_rate)

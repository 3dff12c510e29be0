"""TensorFlow Addons' per-sample losses (`tfa.*`), with tfa.losses' semantics.

TFA no longer installs with current TensorFlow, so these are checked against the values in
TFA's own tests and docstrings and against closed forms (tests/test_tfa_losses.py). Its
losses were tf.keras losses: the reductions are Keras's, over the values the function
returns (contrastive returns one per element; the others one per row).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.losses._common import as_pred_dtype, epsilon, mean_last, sigmoid
from losscli.losses.torch_nn import per_element
from losscli.registry import register_loss


def home(class_name: str, function: str) -> dict[str, Any]:
    """The names TFA users know: tfa.losses.Class and tfa.losses.function."""
    return {
        "class_name": f"tfa.losses.{class_name}",
        "aliases": (f"tfa.losses.{function}",),
        "source": "tfa",
    }


def _check_gamma(params: Mapping[str, Any]) -> None:
    if params["gamma"] is not None and params["gamma"] < 0:
        raise ValueError(f"gamma must be >= 0, got {params['gamma']}")


def tf_keras_bce(t: np.ndarray, p: np.ndarray, from_logits: bool) -> np.ndarray:
    """tf.keras.backend.binary_crossentropy (Keras 2), elementwise: logits through
    sigmoid_cross_entropy_with_logits; probabilities clipped to [eps, 1 - eps] *and* eps
    added inside the logs (Keras 3 only clips)."""
    if from_logits:
        return np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))
    eps = epsilon(p.dtype)
    p = np.clip(p, eps, 1 - eps)
    return -(t * np.log(p + eps) + (1 - t) * np.log(1 - p + eps))


@register_loss(
    "tfa.sigmoid_focal_crossentropy",
    **home("SigmoidFocalCrossEntropy", "sigmoid_focal_crossentropy"),
    category="probabilistic",
    formula="sum over the last axis of alpha_t (1 - p_t)^gamma bce(y, p); alpha_t = y alpha + "
    "(1 - y)(1 - alpha), p_t = y p + (1 - y)(1 - p)",
    y_true="0/1 targets, same shape as y_pred",
    y_pred="probabilities (or logits with from_logits=true)",
    params={
        "alpha": "balance of positives and negatives (0 or null: no alpha factor, as TFA)",
        "gamma": "focusing power (0 or null: no modulating factor, as TFA)",
        "from_logits": "y_pred holds logits",
    },
    validate=_check_gamma,
)
def sigmoid_focal_crossentropy(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    alpha: float | None = 0.25,
    gamma: float | None = 2.0,
    from_logits: bool = False,
) -> np.ndarray:
    """Focal loss of RetinaNet, tfa.losses.SigmoidFocalCrossEntropy: sums the last axis.

    Keras's BinaryFocalCrossentropy averages the last axis instead. TFA's class defaults
    to reduction NONE: its values are `--reduction none`.

    >>> sigmoid_focal_crossentropy([[1.0], [0.0]], [[0.97], [0.03]]).round(8)
    array([6.850e-06, 2.056e-05])
    """
    t, p = as_pred_dtype(y_true, y_pred)
    ce = tf_keras_bce(t, p, from_logits)
    prob = sigmoid(p) if from_logits else p
    p_t = t * prob + (1 - t) * (1 - prob)
    factor = np.ones_like(ce)
    if alpha:
        factor = factor * (t * alpha + (1 - t) * (1 - alpha))
    if gamma:
        factor = factor * (1.0 - p_t) ** gamma
    return np.sum(factor * ce, axis=-1)


def _boxes(x: np.ndarray, what: str) -> list[np.ndarray]:
    x = x.reshape(len(x), -1)
    if x.shape[1] != 4:
        raise ValueError(f"{what} needs 4 values per row [y_min, x_min, y_max, x_max]")
    return [x[:, i] for i in range(4)]


def _check_mode(params: Mapping[str, Any]) -> None:
    if params["mode"] not in ("giou", "iou"):
        raise ValueError(f"mode must be 'giou' or 'iou', got {params['mode']!r}")


@register_loss(
    "tfa.giou",
    **home("GIoULoss", "giou_loss"),
    category="regression",
    formula="1 - (IoU - (enclosing area - union) / enclosing area); mode='iou': 1 - IoU",
    y_true="a box per row: 4 columns or a list [y_min, x_min, y_max, x_max]",
    y_pred="a predicted box per row, same layout",
    params={"mode": "'giou' or 'iou'"},
    validate=_check_mode,
)
def giou(y_true: np.ndarray, y_pred: np.ndarray, mode: str = "giou") -> np.ndarray:
    """Generalized IoU loss of bounding boxes, tfa.losses.GIoULoss.

    >>> giou([[4.0, 3.0, 7.0, 5.0]], [[3.0, 4.0, 6.0, 8.0]])
    array([1.075])
    """
    t, p = as_pred_dtype(y_true, y_pred)
    b1_ymin, b1_xmin, b1_ymax, b1_xmax = _boxes(p, "y_pred")
    b2_ymin, b2_xmin, b2_ymax, b2_xmax = _boxes(t, "y_true")
    zero = np.zeros((), dtype=p.dtype)
    b1_area = np.maximum(zero, b1_xmax - b1_xmin) * np.maximum(zero, b1_ymax - b1_ymin)
    b2_area = np.maximum(zero, b2_xmax - b2_xmin) * np.maximum(zero, b2_ymax - b2_ymin)
    inter_w = np.maximum(zero, np.minimum(b1_xmax, b2_xmax) - np.maximum(b1_xmin, b2_xmin))
    inter_h = np.maximum(zero, np.minimum(b1_ymax, b2_ymax) - np.maximum(b1_ymin, b2_ymin))
    intersect = inter_w * inter_h
    union = b1_area + b2_area - intersect
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union != 0, intersect / union, 0)  # tf.math.divide_no_nan
        if mode == "iou":
            return 1 - iou
        enclose_w = np.maximum(zero, np.maximum(b1_xmax, b2_xmax) - np.minimum(b1_xmin, b2_xmin))
        enclose_h = np.maximum(zero, np.maximum(b1_ymax, b2_ymax) - np.minimum(b1_ymin, b2_ymin))
        enclose = enclose_w * enclose_h
        penalty = np.where(enclose != 0, (enclose - union) / enclose, 0)
    return 1 - (iou - penalty)


@register_loss(
    "tfa.contrastive",
    **home("ContrastiveLoss", "contrastive_loss"),
    category="similarity",
    formula="y d^2 + (1 - y) max(margin - d, 0)^2 (per element)",
    y_true="1 for a similar pair, 0 for a dissimilar one",
    y_pred="the distance between the pair's embeddings (e.g. Euclidean)",
    params={"margin": "dissimilar pairs should be at least this far apart"},
)
def contrastive(y_true: np.ndarray, y_pred: np.ndarray, margin: float = 1.0) -> np.ndarray:
    """Contrastive loss of pair distances, tfa.losses.ContrastiveLoss.

    >>> contrastive([[0], [1]], [[0.1], [1.3]]).round(4)
    array([0.81, 1.69])
    """
    t, d = as_pred_dtype(y_true, y_pred)
    return per_element(t * d**2 + (1 - t) * np.maximum(margin - d, 0) ** 2)


def _check_tau(params: Mapping[str, Any]) -> None:
    if not 0 <= params["tau"] <= 1:
        raise ValueError(f"tau must be in [0, 1], got {params['tau']}")


@register_loss(
    "tfa.pinball",
    **home("PinballLoss", "pinball_loss"),
    category="regression",
    formula="mean(max(tau (y_true - y_pred), (tau - 1)(y_true - y_pred)), axis=-1)",
    y_true="a number or a vector per sample, same shape as y_pred",
    y_pred="the predicted tau-quantile",
    params={"tau": "the quantile, in [0, 1]"},
    validate=_check_tau,
)
def pinball(y_true: np.ndarray, y_pred: np.ndarray, tau: float = 0.5) -> np.ndarray:
    """Pinball (quantile) loss, tfa.losses.PinballLoss.

    >>> pinball([[0.0], [0.0], [1.0], [1.0]], [[1.0], [1.0], [1.0], [0.0]], tau=0.1).mean()
    np.float64(0.475)
    """
    t, p = as_pred_dtype(y_true, y_pred)
    delta = t - p
    values = np.maximum(tau * delta, (tau - 1) * delta)
    return mean_last(values.reshape(len(values), -1))


def sparsemax(z: np.ndarray) -> np.ndarray:
    """tfa.activations.sparsemax over the last axis: the Euclidean projection of the logits
    onto the simplex (NaN rows where TFA gives NaN)."""
    dims = z.shape[1]
    z_sorted = -np.sort(-z, axis=1)
    with np.errstate(invalid="ignore"):
        z_cumsum = np.cumsum(z_sorted, axis=1)
        k = np.arange(1, dims + 1, dtype=z.dtype)
        k_z = np.sum(1 + k * z_sorted > z_cumsum, axis=1)
        tau_sum = z_cumsum[np.arange(len(z)), np.maximum(k_z, 1) - 1]
        tau_z = (tau_sum - 1) / k_z
        p = np.maximum(0, z - tau_z[:, None])
    bad = (k_z == 0) | np.isnan(z_cumsum[:, -1])
    return np.where(bad[:, None], np.nan, p)


@register_loss(
    "tfa.sparsemax",
    **home("SparsemaxLoss", "sparsemax_loss"),
    category="probabilistic",
    formula="sum_{p_i > 0} p_i (z_i - p_i / 2) + sum q_i (q_i / 2 - z_i), p = sparsemax(z)",
    y_true="target distribution q (one-hot or multi-label), one column per class",
    y_pred="logits z, one column per class",
    vector=True,
)
def sparsemax_loss(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Sparsemax loss of logits, tfa.losses.SparsemaxLoss (from_logits=True, as TFA requires).

    >>> sparsemax_loss([[1.0, 0.0]], [[2.0, 0.0]])
    array([0.])
    """
    q, z = as_pred_dtype(y_true, y_pred)
    p = sparsemax(z)
    with np.errstate(invalid="ignore"):
        sum_s = np.where((p > 0) | np.isnan(p), p * (z - 0.5 * p), 0)
        q_part = q * (0.5 * q - z)
        q_part = np.where((q == 0) & np.isinf(z), 0, q_part)
        return np.sum(sum_s + q_part, axis=1)

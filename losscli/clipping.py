"""How much Keras's epsilon clipping changed a crossentropy: the loss with and without it.

Keras clips probabilities to [1e-7, 1 - 1e-7] before the log (the categorical losses after
dividing each row by its sum). On the correct side of a label that moves the loss by at
most ~1e-7 per value; on the wrong side (the true class given a probability below 1e-7, or
exactly 0) it caps a loss that would be larger, or infinite, at about 16.1. So a warning
about clipping must weigh the change, not count clipped values: `clip_change` gives, per
loss value (per row, or per row and timestep), the unclipped loss minus Keras's.

Only rows where a value is clipped against y_true are passed here (`wrong_side_rows` finds
them); a file of moderate probabilities costs one min/max per batch, and one of confident,
correct ones an elementwise comparison on the batches that hold such values.
"""

from __future__ import annotations

import math

import numpy as np

from losscli.registry import BoundLoss

#: Keras's epsilon
EPS = 1e-7
#: a clipping warning needs clipping to change the loss per value by more than this share of
#: the result (and by more than CLIP_FLOOR); without the result, by more than this itself
CLIP_CHANGE = 0.01
#: changes below this (correct-side clipping moves a loss by at most ~1e-7) are never material
CLIP_FLOOR = 1e-6


def clip_message(change: float, result: float | None, where: str, logits: str) -> str | None:
    """The warning when clipping changed the loss per value by `change` materially (`logits`:
    the spec that avoids clipping); None when it did not matter."""
    cap = f"Keras clips y_pred to [{EPS:g}, 1 - {EPS:g}], which caps each at {-math.log(EPS):.1f}"
    if math.isinf(change):
        return (
            f"y_pred is exactly 0 or 1 against y_true ({where}): the loss without clipping is "
            f"infinite; {cap}, so the result hides how wrong these predictions are; give "
            f"probabilities rather than hard 0/1 labels, or the model's logits with {logits!r}"
        )
    material = CLIP_CHANGE if result is None else max(CLIP_FLOOR, CLIP_CHANGE * abs(result))
    if not abs(change) > material:
        return None
    share = f" ({change / result:.0%} of the result)" if result else ""
    return (
        f"y_pred is within {EPS:g} of 0 or 1 against y_true ({where}); {cap}, so the loss "
        f"without clipping would be higher by {change:.4g} per value{share}; the result is "
        "Keras's, but these predictions are more wrong than it shows (for the unclipped "
        f"loss, give the model's logits with {logits!r})"
    )


def wrong_side_rows(loss: BoundLoss, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Rows where Keras clips a probability against y_true: the only clipping that can move
    the loss by more than 1e-7 per value (with label smoothing, every clipped value is).

    Categorical losses clip after dividing by the row sum; rows summing to under 2 have
    p / sum below 1e-7 only where p is below 2e-7, so that is the threshold there.
    """
    n = len(y_pred)
    p = y_pred.reshape(n, -1)
    smoothing = bool(loss.params.get("label_smoothing"))
    if loss.info.labels == "sparse":
        k = y_pred.shape[-1]
        labels = y_true.reshape(-1)
        valid = np.isfinite(labels) & (labels >= 0) & (labels < k)
        index = np.where(valid, labels, 0).astype(np.int64)
        at_label = np.take_along_axis(y_pred.reshape(-1, k), index[:, None], axis=1)[:, 0]
        return ((at_label < 2 * EPS) & valid).reshape(n, -1).any(axis=1)
    t = y_true.reshape(n, -1)
    if loss.info.vector:
        low = p < 2 * EPS
        return (low if smoothing else low & (t > 0)).any(axis=1)
    clipped_low, clipped_high = p < EPS, p > 1 - EPS
    if smoothing:
        return (clipped_low | clipped_high).any(axis=1)
    return ((clipped_low & (t > 0)) | (clipped_high & (t < 1))).any(axis=1)


def clip_change(loss: BoundLoss, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Unclipped loss minus Keras's clipped loss, one per loss value (+inf where the
    unclipped loss is infinite). Rows must be finite; y_pred values in [0, 1]."""
    from losscli.losses.crossentropy import (
        _binary_smoothing,
        _categorical_smoothing,
        _clip_probabilities,
    )

    params = loss.params
    y_true = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    smoothing = float(params.get("label_smoothing", 0.0))
    if loss.info.labels == "sparse":
        y_true = _one_hot(y_true, p.shape, params.get("ignore_class"))
    elif not loss.info.vector:  # binary: both sides of each value are a class
        t = _binary_smoothing(y_true.reshape(p.shape), smoothing)
        pc = _clip_probabilities(p.astype(y_pred.dtype)).astype(np.float64)
        gap = _log_gap(t, p, pc) + _log_gap(1.0 - t, 1.0 - p, 1.0 - pc)
        if "gamma" in params:  # focal: (1 - p_t)^gamma of the unclipped p, in both losses
            with np.errstate(invalid="ignore"):
                gap = gap * np.power(1.0 - (t * p + (1 - t) * (1 - p)), params["gamma"])
            if params.get("apply_class_balancing"):
                gap = gap * (t * params["alpha"] + (1 - t) * (1 - params["alpha"]))
        return _no_nan(gap).mean(axis=-1)
    else:
        y_true = _categorical_smoothing(y_true.reshape(p.shape), smoothing)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = p / p.sum(axis=-1, keepdims=True)
    qc = _clip_probabilities(q.astype(y_pred.dtype)).astype(np.float64)
    if "gamma" not in params:
        gap = _log_gap(y_true, q, qc)
    else:  # focal: alpha * (1 - p)^gamma, with Keras's clipped p in Keras's loss
        alpha = np.asarray(params["alpha"], dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            unclipped = np.where(y_true > 0, -y_true * np.log(q), 0.0)
            clipped = np.where(y_true > 0, -y_true * np.log(qc), 0.0)
            gap = alpha * (
                np.power(1.0 - q, params["gamma"]) * unclipped
                - np.power(1.0 - qc, params["gamma"]) * clipped
            )
    return _no_nan(gap).sum(axis=-1)


def _no_nan(gap: np.ndarray) -> np.ndarray:
    """0 × inf terms (a focal factor of 0 on an infinite log) count as 0, as in the limit."""
    return np.where(np.isnan(gap), 0.0, gap)


def _log_gap(t: np.ndarray, p: np.ndarray, pc: np.ndarray) -> np.ndarray:
    """-t log p - (-t log pc): 0 where t is 0 (0 log 0 counts as 0), inf where p is 0 < t."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t > 0, t * (np.log(pc) - np.log(p)), 0.0)


def _one_hot(labels: np.ndarray, shape: tuple[int, ...], ignore: int | None) -> np.ndarray:
    """Class indices → one-hot rows of y_pred's shape; ignored or invalid labels → zeros."""
    k = shape[-1]
    labels = labels.reshape(shape[:-1])
    valid = np.isfinite(labels) & (labels >= 0) & (labels < k)
    if ignore is not None:
        valid &= labels != ignore
    eye = np.eye(k)[np.where(valid, labels, 0).astype(np.int64)]
    return eye * valid[..., None]

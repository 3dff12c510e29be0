"""Numeric helpers shared by the loss modules, mirroring Keras's backend conventions."""

from __future__ import annotations

import numpy as np

#: keras.backend.epsilon(); applied in the compute dtype, so float32 clips at 1 - 1.19e-7.
EPSILON = 1e-7


def epsilon(dtype: np.dtype) -> np.floating:
    """Keras's epsilon as a scalar of the compute dtype (it is converted before clipping)."""
    return np.asarray(EPSILON, dtype=dtype)[()]


def same_rank(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras's squeeze_or_expand_to_same_rank: fix a rank difference of one trailing 1."""
    t_rank, p_rank = y_true.ndim, y_pred.ndim
    if t_rank == p_rank + 1 and y_true.shape[-1] == 1:
        if p_rank == 1:
            y_pred = y_pred[..., None]
        else:
            y_true = y_true[..., 0]
    elif p_rank == t_rank + 1 and y_pred.shape[-1] == 1:
        if t_rank == 1:
            y_true = y_true[..., None]
        else:
            y_pred = y_pred[..., 0]
    return y_true, y_pred


def as_pred_dtype(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras casts y_true to y_pred's dtype and aligns ranks before every loss."""
    y_pred = np.asarray(y_pred)
    if not np.issubdtype(y_pred.dtype, np.floating):
        y_pred = y_pred.astype(np.float64)
    return same_rank(np.asarray(y_true, dtype=y_pred.dtype), y_pred)


# Stable activations, written the way Keras's JAX backend (and TensorFlow) computes them, so
# large logits give exact answers instead of the numpy backend's clipped probabilities.


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)) as max(x, 0) + log1p(exp(-|x|)): no overflow, exact tails."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """x - logsumexp(x) along `axis`, shifted by the maximum so exp never overflows."""
    with np.errstate(invalid="ignore"):
        shifted = x - np.max(x, axis=axis, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x) / sum(exp(x)) along `axis`, shifted by the maximum like Keras's backends."""
    with np.errstate(invalid="ignore"):
        unnormalised = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return unnormalised / np.sum(unnormalised, axis=axis, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) in x's dtype; exp overflowing to inf correctly gives 0."""
    one = np.asarray(1.0, dtype=x.dtype)
    with np.errstate(over="ignore"):
        return one / (one + np.exp(-x))


def mean_last(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """np.mean over `axis`, the reduction every Keras loss ends with.

    A length-1 axis (one scalar column per row, the common case) is returned as a view: the
    mean of one number is that number exactly, and skipping the pass saves time per loss.
    """
    if values.shape[axis] == 1:
        return np.squeeze(values, axis=axis)
    return np.mean(values, axis=axis)

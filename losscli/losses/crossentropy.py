"""Cross-entropy losses: binary, categorical, sparse, their focal variants and generalized CE.

Each mirrors Keras 3.15.1 operation by operation, in the compute dtype: probabilities are
clipped to [epsilon, 1 - epsilon] (categorical ones renormalised along `axis` first), and
`from_logits=True` uses log-sum-exp / log1p(exp(-|x|)) as Keras's TensorFlow and JAX
backends do, so a logit of 30 gives a loss of 30, not the numpy backend's clipped 16.118.
The focal losses turn logits into probabilities first in every backend, so they saturate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.errors import InputDataError
from losscli.losses._common import (
    EPSILON,
    as_pred_dtype,
    epsilon,
    log_softmax,
    mean_last,
    sigmoid,
    softmax,
    softplus,
)
from losscli.registry import register_loss

_BINARY_TRUE = "0/1 labels (or soft labels in [0, 1]), same shape as y_pred"
_BINARY_PRED = "probabilities in [0, 1] (or logits with from_logits=true), one or more per sample"
_ONE_HOT = "one-hot (or soft) labels, one column per class, same shape as y_pred"
_CLASS_PRED = "one probability (or logit with from_logits=true) per class"
_SPARSE_TRUE = "one integer class index per sample (0 .. K-1)"

_HELP_LOGITS = "y_pred holds logits, not probabilities"
_HELP_AXIS = "the class/feature axis the loss reduces (0 is the row axis and is refused)"
_HELP_BINARY_SMOOTHING = "squeeze labels towards 0.5: t * (1 - s) + s / 2"
_HELP_CATEGORICAL_SMOOTHING = (
    "t * (1 - s) + s / K, with K the size of the last axis whatever `axis` is"
)
_HELP_GAMMA = "focusing exponent of the (1 - p_t) factor; 0 gives plain cross-entropy"


def _refuse_row_axis(params: Mapping[str, Any]) -> None:
    if params.get("axis") == 0:
        raise ValueError("axis=0 is the row axis; losses are computed per row (use -1)")


def _feature_axis(axis: int, ndim: int) -> int:
    """`axis` as a non-negative index, refusing the row axis and axes y_pred lacks."""
    resolved = axis + ndim if axis < 0 else axis
    if not 0 < resolved < ndim:
        raise InputDataError(
            f"axis={axis} is not a feature axis of y_pred, which has {ndim} axes (rows first)",
            hint="axis 0 is the row axis; the default axis=-1 is the last feature axis",
        )
    return resolved


def _paired(name: str, y_true: Any, y_pred: Any, axis: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Labels and predictions in y_pred's float dtype and of one shape, with `axis` resolved
    (see _feature_axis): what every loss comparing them element by element starts from."""
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise InputDataError(
            f"{name} needs y_true and y_pred of the same shape per row, "
            f"got {y_true.shape[1:]} and {y_pred.shape[1:]}"
        )
    return y_true, y_pred, _feature_axis(axis, y_pred.ndim)


def _clip_probabilities(p: np.ndarray) -> np.ndarray:
    """Keras's clip to [epsilon, 1 - epsilon], both bounds rounded to p's dtype."""
    return np.clip(p, epsilon(p.dtype), np.asarray(1.0 - EPSILON, dtype=p.dtype))


def _class_probabilities(p: np.ndarray, axis: int) -> np.ndarray:
    """Rescaled along `axis` to sum to 1 (0/0 gives NaN), then clipped, as Keras does."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return _clip_probabilities(p / np.sum(p, axis=axis, keepdims=True))


def _binary_smoothing(y_true: np.ndarray, label_smoothing: float) -> np.ndarray:
    if not label_smoothing:
        return y_true
    dtype = y_true.dtype
    keep = np.asarray(1.0 - label_smoothing, dtype=dtype)
    return y_true * keep + np.asarray(0.5 * label_smoothing, dtype=dtype)


def _categorical_smoothing(y_true: np.ndarray, label_smoothing: float) -> np.ndarray:
    """Keras takes the class count from the last axis even when `axis` names another one;
    s / K is divided in the compute dtype."""
    if not label_smoothing:
        return y_true
    dtype = y_true.dtype
    keep = np.asarray(1.0 - label_smoothing, dtype=dtype)
    share = np.asarray(label_smoothing, dtype=dtype) / np.asarray(y_true.shape[-1], dtype=dtype)
    return y_true * keep + share


def _bce_from_probabilities(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Elementwise -(t log p + (1 - t) log(1 - p)) with p clipped, in Keras's order."""
    p = _clip_probabilities(y_pred)
    with np.errstate(invalid="ignore", divide="ignore"):
        bce = y_true * np.log(p)
        bce += (1.0 - y_true) * np.log(1.0 - p)
    return -bce


@register_loss(
    class_name="BinaryCrossentropy",
    aliases=("bce", "BCE"),
    category="probabilistic",
    formula=(
        "mean(-(t*log(p) + (1-t)*log(1-p)), axis), p = clip(y_pred, 1e-7, 1-1e-7); "
        "logits: t*softplus(-x) + (1-t)*softplus(x)"
    ),
    y_true=_BINARY_TRUE,
    y_pred=_BINARY_PRED,
    params={
        "from_logits": _HELP_LOGITS,
        "label_smoothing": _HELP_BINARY_SMOOTHING,
        "axis": _HELP_AXIS,
    },
    validate=_refuse_row_axis,
)
def binary_crossentropy(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    """Binary cross-entropy (log loss), averaged over the values of each sample.

    >>> binary_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).round(6)
    array([0.693147])
    >>> binary_crossentropy([[1.0]], [[-30.0]], from_logits=True)
    array([30.])
    """
    y_true, y_pred, axis = _paired("binary_crossentropy", y_true, y_pred, axis)
    y_true = _binary_smoothing(y_true, label_smoothing)
    if from_logits:
        # the JAX backend's -t*log_sigmoid(x) - (1-t)*log_sigmoid(-x)
        with np.errstate(invalid="ignore"):
            values = y_true * softplus(-y_pred) + (1.0 - y_true) * softplus(y_pred)
    else:
        values = _bce_from_probabilities(y_true, y_pred)
    return mean_last(values, axis)


@register_loss(
    class_name="BinaryFocalCrossentropy",
    category="probabilistic",
    formula=(
        "mean(w * (1 - p_t)^gamma * bce(t, p), axis), p_t = t*p + (1-t)*(1-p), "
        "w = t*alpha + (1-t)*(1-alpha) if apply_class_balancing else 1"
    ),
    y_true=_BINARY_TRUE,
    y_pred=_BINARY_PRED,
    params={
        "apply_class_balancing": "weigh class 1 by alpha and class 0 by 1 - alpha",
        "alpha": "weight of class 1 when apply_class_balancing is true",
        "gamma": _HELP_GAMMA,
        "from_logits": _HELP_LOGITS + " (turned into clipped probabilities, as in Keras)",
        "label_smoothing": _HELP_BINARY_SMOOTHING,
        "axis": _HELP_AXIS,
    },
    validate=_refuse_row_axis,
)
def binary_focal_crossentropy(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    """Binary cross-entropy down-weighting easy examples by (1 - p_t)^gamma (Lin et al.).

    >>> binary_focal_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).round(6)
    array([0.173287])
    """
    y_true, y_pred, axis = _paired("binary_focal_crossentropy", y_true, y_pred, axis)
    dtype = y_pred.dtype
    y_true = _binary_smoothing(y_true, label_smoothing)
    if from_logits:
        y_pred = sigmoid(y_pred)
    bce = _bce_from_probabilities(y_true, y_pred)
    with np.errstate(invalid="ignore", divide="ignore"):
        # p_t uses the unclipped probabilities, as Keras does
        p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
        focal = np.power(1.0 - p_t, np.asarray(gamma, dtype=dtype)) * bce
        if apply_class_balancing:
            one = y_true * np.asarray(alpha, dtype=dtype)
            zero = (1 - y_true) * np.asarray(1 - alpha, dtype=dtype)
            focal = (one + zero) * focal
    return mean_last(focal, axis)


@register_loss(
    class_name="CategoricalCrossentropy",
    category="probabilistic",
    vector=True,
    formula=(
        "-sum(t * log(clip(p / sum(p, axis), 1e-7, 1-1e-7)), axis); "
        "logits: -sum(t * log_softmax(x, axis), axis)"
    ),
    y_true=_ONE_HOT,
    y_pred=_CLASS_PRED,
    params={
        "from_logits": _HELP_LOGITS,
        "label_smoothing": _HELP_CATEGORICAL_SMOOTHING,
        "axis": _HELP_AXIS,
    },
    validate=_refuse_row_axis,
)
def categorical_crossentropy(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    """Cross-entropy between one-hot labels and a predicted class distribution.

    Probabilities are renormalised to sum to 1 along `axis` before clipping, as in Keras.

    >>> categorical_crossentropy([[0.0, 1.0, 0.0]], [[0.25, 0.5, 0.25]]).round(6)
    array([0.693147])
    """
    y_true, y_pred, axis = _paired("categorical_crossentropy", y_true, y_pred, axis)
    y_true = _categorical_smoothing(y_true, label_smoothing)
    if from_logits:
        log_prob = log_softmax(y_pred, axis=axis)
    else:
        log_prob = np.log(_class_probabilities(y_pred, axis))
    with np.errstate(invalid="ignore"):
        return -np.sum(y_true * log_prob, axis=axis)


@register_loss(
    class_name="CategoricalFocalCrossentropy",
    category="probabilistic",
    vector=True,
    formula=(
        "sum(alpha * (1 - p)^gamma * -t * log(p), axis), "
        "p = clip(y_pred / sum(y_pred, axis), 1e-7, 1-1e-7)"
    ),
    y_true=_ONE_HOT,
    y_pred=_CLASS_PRED,
    params={
        "alpha": "class weight: one number, or a list with one weight per class",
        "gamma": _HELP_GAMMA,
        "from_logits": _HELP_LOGITS + " (softmax, then clipped like probabilities, as in Keras)",
        "label_smoothing": _HELP_CATEGORICAL_SMOOTHING,
        "axis": _HELP_AXIS,
    },
    validate=_refuse_row_axis,
)
def categorical_focal_crossentropy(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    alpha: float | list[float] = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    """Categorical cross-entropy scaled by alpha * (1 - p)^gamma per class (Lin et al.).

    >>> categorical_focal_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).round(6)
    array([0.043322])
    """
    y_true, y_pred, axis = _paired("categorical_focal_crossentropy", y_true, y_pred, axis)
    dtype = y_pred.dtype
    weights = np.asarray(alpha, dtype=dtype)
    if weights.ndim == 1 and len(weights) not in (1, y_pred.shape[-1]):
        raise InputDataError(
            f"alpha has {len(weights)} class weights but y_pred has {y_pred.shape[-1]} classes"
        )
    y_true = _categorical_smoothing(y_true, label_smoothing)
    if from_logits:
        y_pred = softmax(y_pred, axis=axis)
    p = _class_probabilities(y_pred, axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = -y_true * np.log(p)
        modulating = np.power(1.0 - p, np.asarray(gamma, dtype=dtype))
        return np.sum(modulating * weights * cross, axis=axis)


def _class_indices(
    y_true: np.ndarray, num_classes: int, valid: np.ndarray | None = None
) -> np.ndarray:
    """Keras's int cast (truncation towards zero); labels outside [0, K) are refused
    because Keras's backends disagree on them (TensorFlow raises, numpy/JAX give 0)."""
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(y_true)
        labels = np.where(finite, y_true, -1).astype(np.int64)
    bad = (labels < 0) | (labels >= num_classes)
    if valid is not None:
        bad &= valid
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise InputDataError(
            f"class index {y_true[bad][0]!r} (row {row} of the batch) is outside "
            f"0 .. {num_classes - 1}: y_pred has {num_classes} classes",
            hint="mark unlabelled rows with ignore_class=<value>"
            if valid is None
            else "only the ignore_class value may lie outside the class range",
        )
    return labels


def _one_hot(labels: np.ndarray, num_classes: int, dtype: np.dtype) -> np.ndarray:
    return (labels[..., None] == np.arange(num_classes)).astype(dtype)


def _label_log_loss(labels: np.ndarray, y_pred: np.ndarray, from_logits: bool) -> np.ndarray:
    """-log p[label], picking the label's column first: bit-identical to Keras's
    -sum(one_hot * log p) (every other term is ±0) and about 3× cheaper. Rows where a
    non-finite or zero-sum row makes another class's term NaN take Keras's full path."""
    picked = labels[..., None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if from_logits:
            shifted = y_pred - np.max(y_pred, axis=-1, keepdims=True)
            log_sum = np.log(np.sum(np.exp(shifted), axis=-1))
            values = -(np.take_along_axis(shifted, picked, axis=-1)[..., 0] - log_sum)
            exact = np.isfinite(np.sum(y_pred, axis=-1))
        else:
            total = np.sum(y_pred, axis=-1)
            label_p = np.take_along_axis(y_pred, picked, axis=-1)[..., 0] / total
            values = -np.log(_clip_probabilities(label_p))
            exact = np.isfinite(total) & (total != 0)
    if exact.all():
        return values
    rows = ~exact  # rare: recompute only these rows the long way, as Keras does
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if from_logits:
            log_prob = log_softmax(y_pred[rows], axis=-1)
        else:
            log_prob = np.log(_class_probabilities(y_pred[rows], -1))
        one_hot = _one_hot(labels[rows], y_pred.shape[-1], y_pred.dtype)
        values[rows] = -np.sum(one_hot * log_prob, axis=-1)
    return values


def _squeeze_labels(y_true: np.ndarray, y_pred: np.ndarray, name: str) -> np.ndarray:
    """(N, 1) labels → (N,), then check they line up with y_pred minus its class axis."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise InputDataError(
            f"{name} needs one class index per row of y_pred, "
            f"got y_true {y_true.shape[1:]} and y_pred {y_pred.shape[1:]} per row",
        )
    return y_true


@register_loss(
    class_name="SparseCategoricalCrossentropy",
    category="probabilistic",
    formula=(
        "-log(clip(p[label] / sum(p), 1e-7, 1-1e-7)); logits: -log_softmax(x)[label]; "
        "rows whose label is ignore_class are masked out"
    ),
    y_true=_SPARSE_TRUE,
    y_pred=_CLASS_PRED,
    labels="sparse",
    params={
        "from_logits": _HELP_LOGITS,
        "ignore_class": "label value whose rows are masked (loss 0, left out of the mean)",
        "axis": "the class axis; Keras supports only the last one (-1)",
    },
    validate=_refuse_row_axis,
)
def sparse_categorical_crossentropy(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Categorical cross-entropy with integer class labels instead of one-hot rows.

    With ignore_class, rows carrying that label get loss 0 and a False mask, so the
    means divide by the number of other rows, exactly as Keras's mask does.

    >>> sparse_categorical_crossentropy([[1.0]], [[0.25, 0.5, 0.25]]).round(6)
    array([0.693147])
    >>> values, mask = sparse_categorical_crossentropy(
    ...     [[1.0], [-1.0]], [[0.25, 0.5, 0.25], [0.2, 0.2, 0.6]], ignore_class=-1)
    >>> values.round(6), mask
    (array([0.693147, 0.      ]), array([ True, False]))
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    if _feature_axis(axis, y_pred.ndim) != y_pred.ndim - 1:
        raise InputDataError(
            f"sparse_categorical_crossentropy supports only the last axis as the class "
            f"axis (as Keras does), got axis={axis}"
        )
    y_true = _squeeze_labels(y_true, y_pred, "sparse_categorical_crossentropy")
    num_classes = y_pred.shape[-1]
    valid = None
    if ignore_class is not None:
        # Keras compares the float labels before casting them to int
        valid = y_true != np.asarray(ignore_class, dtype=y_pred.dtype)
        y_true = np.where(valid, y_true, 0)
        y_pred = np.where(valid[..., None], y_pred, 0)
    labels = _class_indices(y_true, num_classes, valid)
    values = _label_log_loss(labels, y_pred, from_logits)
    if valid is None:
        return values
    return np.where(valid, values, 0.0), valid


def _refuse_q_outside_unit(params: Mapping[str, Any]) -> None:
    q = params["q"]
    if not (isinstance(q, (int, float)) and 0 < q < 1):
        raise ValueError(f"q must be in the interval (0, 1), got {q!r}")


@register_loss(
    class_name="CategoricalGeneralizedCrossEntropy",
    category="probabilistic",
    formula="(1 - p[label]^q) / q, p = y_pred as given (no clipping, no renormalising)",
    y_true=_SPARSE_TRUE,
    y_pred="one probability per class",
    labels="sparse",
    params={"q": "noise parameter in (0, 1): towards 0 like cross-entropy, towards 1 like MAE"},
    validate=_refuse_q_outside_unit,
)
def categorical_generalized_cross_entropy(
    y_true: np.ndarray, y_pred: np.ndarray, q: float = 0.5
) -> np.ndarray:
    """Generalized cross-entropy (Zhang & Sabuncu 2018), robust to noisy labels.

    Keras's name table lacks it, so `keras.losses.get` cannot find it; losscli can.

    >>> categorical_generalized_cross_entropy([[1.0]], [[0.75, 0.25]])
    array([1.])
    """
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    y_true = _squeeze_labels(y_true, y_pred, "categorical_generalized_cross_entropy")
    num_classes = y_pred.shape[-1]
    labels = _class_indices(y_true, num_classes)
    dtype = y_pred.dtype
    with np.errstate(invalid="ignore"):
        p = np.sum(y_pred * _one_hot(labels, num_classes, dtype), axis=-1)
        q_ = np.asarray(q, dtype=dtype)
        return (1 - np.power(p, q_)) / q_

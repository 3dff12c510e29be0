"""scikit-learn's metrics that are losses (`sklearn.*`), with sklearn.metrics' semantics.

Per-sample metrics give one value per row, so losscli's default reduction is sklearn's
mean and `mean_with_sample_weight` its `sample_weight` average. Labels are class indices
0..C-1 into the probability columns (sklearn sorts its classes, so index i is the i-th
smallest label); `labels=[...]` maps other label values the same way. The median and max
errors and the d2 scores, one value for the whole file, are in sklearn_scores.py.
Checked against scikit-learn itself in tests/test_sklearn_losses.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from losscli.losses._common import as_pred_dtype, mean_last
from losscli.registry import register_loss

_LABELS = "class labels in column order, sorted (null: y_true holds indices 0..C-1)"
_INDEX = "one class index 0..C-1 per row (or a label listed in `labels`; or a one-hot row)"
_PROBA = "P(class 1) as one column, or one probability column per class"
_REG = "a number per sample (or a vector: the outputs are averaged uniformly)"
_BATCH = "scikit-learn computes it over all rows at once; losscli's batch is the whole file"


def home(function: str, *more: str) -> dict[str, Any]:
    """The names sklearn users know: sklearn.metrics.X and sklearn.X."""
    return {"class_name": f"sklearn.metrics.{function}", "aliases": more, "source": "sklearn"}


def _class_index(y_true: np.ndarray, labels: Sequence[float] | None, classes: int) -> np.ndarray:
    """Row → column index, as sklearn's label encoding gives (sorted labels)."""
    t = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    if t.shape[1] != 1:
        raise ValueError(f"y_true needs one label per row, got {t.shape[1]} values")
    t = t[:, 0]
    if labels is not None:
        ordered = np.sort(np.asarray(labels, dtype=np.float64))
        if len(ordered) != classes:
            raise ValueError(f"labels has {len(ordered)} classes but y_pred has {classes}")
        index = np.searchsorted(ordered, t).clip(0, classes - 1)
        if not np.all(ordered[index] == t):
            bad = t[ordered[index] != t][0]
            raise ValueError(f"label {bad:g} is not one of labels={list(labels)}")
        return index
    if np.any((t != np.floor(t)) | (t < 0) | (t >= classes)):
        bad = t[(t != np.floor(t)) | (t < 0) | (t >= classes)][0]
        raise ValueError(
            f"label {bad:g} is not a class index 0..{classes - 1}; give labels=[...] for "
            "other label values"
        )
    return t.astype(np.intp)


def one_hot(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """(indicator, probabilities), both (N, C); one probability column is [1 - p, p]."""
    p = np.asarray(y_pred)
    p = p.reshape(len(p), -1)
    if p.shape[1] == 1:
        p = np.concatenate([1 - p, p], axis=1)
    t = np.asarray(y_true, dtype=p.dtype).reshape(len(y_true), -1)
    if t.shape[1] == p.shape[1] and t.shape[1] > 1 and labels is None:
        return t, p  # a label indicator matrix
    onehot = np.zeros_like(p)
    onehot[np.arange(len(p)), _class_index(t, labels, p.shape[1])] = 1
    return onehot, p


def check_probabilities(p: np.ndarray) -> None:
    if p.size and (p.max() > 1 or p.min() < 0):
        raise ValueError("y_pred holds values outside [0, 1]; scikit-learn refuses them")


@register_loss(
    "sklearn.log_loss",
    **home("log_loss"),
    category="probabilistic",
    formula="-sum(y_true * log(clip(y_pred, eps, 1 - eps))), eps = machine epsilon of the dtype",
    y_true=_INDEX,
    y_pred=_PROBA,
    labels="ids",
    params={"labels": _LABELS},
)
def log_loss(
    y_true: np.ndarray, y_pred: np.ndarray, labels: list[float] | None = None
) -> np.ndarray:
    """Log loss (cross-entropy) as sklearn.metrics.log_loss: clipped, rows not renormalised.

    scikit-learn 1.9 clips probabilities to [eps, 1 - eps] with the dtype's machine epsilon
    (2.2e-16 for float64, not Keras's 1e-7) and no longer divides rows by their sum (it
    warns instead); values outside [0, 1] are refused.

    >>> log_loss([[1], [0]], [[0.9], [0.2]]).round(4)
    array([0.1054, 0.2231])
    """
    _, p = as_pred_dtype(np.zeros(1), y_pred)
    t, p = one_hot(y_true, p, labels)
    check_probabilities(p)
    return log_loss_rows(t, p)


def log_loss_rows(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """-sum(xlogy(t, clip(p, eps, 1 - eps))) per row, eps the dtype's machine epsilon."""
    eps = np.finfo(p.dtype).eps
    p = np.clip(p, eps, 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(t == 0, 0, t * np.log(p))
    return -np.sum(terms, axis=1)


@register_loss(
    "sklearn.brier_score",
    **home("brier_score_loss", "sklearn.brier_score_loss"),
    category="probabilistic",
    formula="sum((onehot(y_true) - y_pred)^2 over classes), halved for two classes",
    y_true=_INDEX + "; with one probability column: positive where y_true == pos_label",
    y_pred=_PROBA,
    labels="ids",
    params={
        "pos_label": "the label of the positive class (one probability column)",
        "labels": _LABELS,
        "scale_by_half": "halve the sum (null: for two classes, as sklearn's 'auto')",
    },
)
def brier_score(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    pos_label: float = 1.0,
    labels: list[float] | None = None,
    scale_by_half: bool | None = None,
) -> np.ndarray:
    """Brier score: squared error of the predicted class probabilities.

    >>> brier_score([[0], [1], [1], [0]], [[0.1], [0.9], [0.8], [0.3]]).mean().round(4)
    np.float64(0.0375)
    """
    t, p = brier_targets(y_true, y_pred, pos_label, labels)
    values = np.sum((t - p) ** 2, axis=1)
    half = p.shape[1] < 3 if scale_by_half is None else scale_by_half
    return values * 0.5 if half else values


def brier_targets(
    y_true: np.ndarray, y_pred: np.ndarray, pos_label: float, labels: list[float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """(indicator, probabilities) as brier_score_loss builds them: one probability column
    is P(y_true == pos_label); several are classes."""
    _, p = as_pred_dtype(np.zeros(1), y_pred)
    p = p.reshape(len(p), -1)
    if p.shape[1] == 1:
        positive = np.asarray(y_true).reshape(len(p), -1)[:, :1] == pos_label
        t, p = one_hot(positive.astype(p.dtype), p, None)
    else:
        t, p = one_hot(y_true, p, labels)
    check_probabilities(p)
    return t, p


@register_loss(
    "sklearn.hinge_loss",
    **home("hinge_loss"),
    category="hinge",
    formula="max(1 - margin, 0); binary margin = ±1 label * score, multiclass margin = "
    "score of the true class - the largest other score",
    y_true="binary: two labels, the larger is +1 ({0, 1} or {-1, 1}); multiclass: " + _INDEX,
    y_pred="one decision value per row (binary) or one per class",
    labels="ids",
    params={"labels": _LABELS},
)
def hinge_loss(
    y_true: np.ndarray, y_pred: np.ndarray, labels: list[float] | None = None
) -> np.ndarray:
    """Hinge loss of a (multi-class) SVM's decision values, as sklearn.metrics.hinge_loss.

    >>> hinge_loss([[-1], [1], [1]], [[-2.18], [2.36], [0.09]]).round(2)
    array([0.  , 0.  , 0.91])
    """
    _, p = as_pred_dtype(np.zeros(1), y_pred)
    p = p.reshape(len(p), -1)
    if p.shape[1] == 1:
        t = np.asarray(y_true, dtype=p.dtype).reshape(len(p), -1)[:, 0]
        positive = t > 0 if labels is None else t == max(labels)
        margin = np.where(positive, 1.0, -1.0) * p[:, 0]
    else:
        index = _class_index(np.asarray(y_true), labels, p.shape[1])
        rows = np.arange(len(p))
        others = p.copy()
        others[rows, index] = -np.inf
        margin = p[rows, index] - np.max(others, axis=1)
    return np.maximum(1 - margin, 0.0)


@register_loss(
    "sklearn.zero_one_loss",
    **home("zero_one_loss"),
    category="probabilistic",
    formula="1 if the predicted label differs from y_true (any output, for a vector) else 0",
    y_true="labels (one per row, or a vector of labels for multilabel)",
    y_pred="predicted labels, same shape as y_true; or one score per class (argmax is the label)",
    labels="ids",
)
def zero_one_loss(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Misclassification: the mean is sklearn's fraction wrong, `--reduction sum` the count.

    >>> zero_one_loss([[1], [2]], [[1], [3]])
    array([0., 1.])
    """
    t = np.asarray(y_true).reshape(len(y_true), -1)
    p = np.asarray(y_pred).reshape(len(y_pred), -1)
    if t.shape[1] == 1 and p.shape[1] > 1:
        p = np.argmax(p, axis=1)[:, None]
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.shape[1]} labels per row but y_pred {p.shape[1]}")
    return np.any(t != p, axis=1).astype(np.float64)


def check_alpha(params: Mapping[str, Any]) -> None:
    if not 0 <= params["alpha"] <= 1:
        raise ValueError(f"alpha must be in [0, 1], got {params['alpha']}")


def pinball_terms(t: np.ndarray, p: np.ndarray, alpha: float) -> np.ndarray:
    diff = t - p
    sign = (diff >= 0).astype(diff.dtype)
    return alpha * sign * diff - (1 - alpha) * (1 - sign) * diff


@register_loss(
    "sklearn.mean_pinball_loss",
    **home("mean_pinball_loss"),
    category="regression",
    formula="alpha * max(y_true - y_pred, 0) + (1 - alpha) * max(y_pred - y_true, 0)",
    y_true=_REG,
    y_pred=_REG,
    params={"alpha": "the quantile the prediction estimates, in [0, 1]"},
    validate=check_alpha,
)
def mean_pinball_loss(y_true: np.ndarray, y_pred: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Pinball (quantile) loss: 0.5 gives half the absolute error.

    >>> mean_pinball_loss([[1.0], [2.0]], [[0.0], [3.0]], alpha=0.9)
    array([0.9, 0.1])
    """
    t, p = as_pred_dtype(y_true, y_pred)
    return mean_last(pinball_terms(t, p, alpha))


def tweedie_domain(t: np.ndarray, p: np.ndarray, power: float) -> None:
    """The inputs sklearn accepts for this power (it raises for the others)."""
    what = f"Tweedie deviance with power={power} needs "
    if power < 0 and np.any(p <= 0):
        raise ValueError(what + "strictly positive y_pred")
    if 1 <= power < 2 and (np.any(t < 0) or np.any(p <= 0)):
        raise ValueError(what + "non-negative y_true and strictly positive y_pred")
    if power >= 2 and (np.any(t <= 0) or np.any(p <= 0)):
        raise ValueError(what + "strictly positive y_true and y_pred")


def deviance(t: np.ndarray, p: np.ndarray, power: float) -> np.ndarray:
    """Unit deviance of the Tweedie family, written as scikit-learn writes it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if power < 0:
            return 2 * (
                np.power(np.where(t > 0, t, 0.0), 2 - power) / ((1 - power) * (2 - power))
                - t * np.power(p, 1 - power) / (1 - power)
                + np.power(p, 2 - power) / (2 - power)
            )
        if power == 0:
            return (t - p) ** 2
        if power == 1:
            return 2 * (np.where(t == 0, 0.0, t * np.log(t / p)) - t + p)
        if power == 2:
            return 2 * (np.log(p / t) + t / p - 1)
        return 2 * (
            np.power(t, 2 - power) / ((1 - power) * (2 - power))
            - t * np.power(p, 1 - power) / (1 - power)
            + np.power(p, 2 - power) / (2 - power)
        )


def single_output(t: np.ndarray, name: str) -> None:
    if t.ndim > 1 and t.shape[-1] != 1:
        raise ValueError(f"{name} takes one output per row (scikit-learn refuses multioutput)")


def check_power(params: Mapping[str, Any]) -> None:
    if 0 < params["power"] < 1:
        raise ValueError(f"power must be <= 0 or >= 1, got {params['power']}")


def _tweedie(y_true: np.ndarray, y_pred: np.ndarray, power: float) -> np.ndarray:
    t, p = as_pred_dtype(y_true, y_pred)
    single_output(t, "mean_tweedie_deviance")
    tweedie_domain(t, p, power)
    return mean_last(deviance(t, p, power))


@register_loss(
    "sklearn.mean_tweedie_deviance",
    **home("mean_tweedie_deviance"),
    category="regression",
    formula="Tweedie unit deviance: 0 → (y-p)^2, 1 → Poisson, 2 → Gamma, else "
    "2(y^(2-q)/((1-q)(2-q)) - y p^(1-q)/(1-q) + p^(2-q)/(2-q))",
    y_true="one target per row (its domain depends on power)",
    y_pred="one prediction per row (> 0 unless power = 0)",
    params={"power": "Tweedie power q: <= 0 or >= 1"},
    validate=check_power,
)
def mean_tweedie_deviance(y_true: np.ndarray, y_pred: np.ndarray, power: float = 0.0) -> np.ndarray:
    """Tweedie deviance: squared error, Poisson, Gamma and the compound models between.

    >>> mean_tweedie_deviance([[2.0]], [[1.0]], power=1).round(4)
    array([0.7726])
    """
    return _tweedie(y_true, y_pred, power)


@register_loss(
    "sklearn.mean_poisson_deviance",
    **home("mean_poisson_deviance"),
    category="regression",
    formula="2 (y log(y / p) - y + p)",
    y_true="one count (>= 0) per row",
    y_pred="one rate (> 0) per row",
)
def mean_poisson_deviance(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Poisson deviance: Tweedie power 1, for counts.

    >>> mean_poisson_deviance([[0.0], [2.0]], [[1.0], [2.0]])
    array([2., 0.])
    """
    return _tweedie(y_true, y_pred, 1)


@register_loss(
    "sklearn.mean_gamma_deviance",
    **home("mean_gamma_deviance"),
    category="regression",
    formula="2 (log(p / y) + y / p - 1)",
    y_true="one positive target per row",
    y_pred="one positive prediction per row",
)
def mean_gamma_deviance(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Gamma deviance: Tweedie power 2, for positive targets with relative errors.

    >>> mean_gamma_deviance([[2.0]], [[2.0]])
    array([0.])
    """
    return _tweedie(y_true, y_pred, 2)

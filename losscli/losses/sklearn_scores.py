"""scikit-learn's metrics that are one value for the whole file (`sklearn.*`): the median and
max errors and the d2 scores (fractions of deviance explained: scores, higher is better).

They are not means of per-row values, so the whole file is the batch (losses/_batch.py): no
sample weights, no reduction but the default. Checked against scikit-learn itself in
tests/test_sklearn_losses.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losscli.losses._batch import batch_value, whole_file
from losscli.losses._common import as_pred_dtype
from losscli.losses.sklearn_metrics import (
    brier_targets,
    check_alpha,
    check_power,
    check_probabilities,
    deviance,
    home,
    log_loss_rows,
    one_hot,
    pinball_terms,
    single_output,
    tweedie_domain,
)
from losscli.registry import register_loss

_REG = "a number per sample (or a vector: the outputs are averaged uniformly)"
_BATCH = "scikit-learn computes it over all rows at once; losscli's batch is the whole file"
_LABELS = "class labels in column order, sorted (null: y_true holds indices 0..C-1)"


def _two_d(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t, p = as_pred_dtype(t, p)
    return t.reshape(len(t), -1), p.reshape(len(p), -1)


def _median_absolute(t: np.ndarray, p: np.ndarray) -> float:
    t, p = _two_d(t, p)
    return float(np.mean(np.median(np.abs(p - t), axis=0)))


def _max_error(t: np.ndarray, p: np.ndarray) -> float:
    t, p = _two_d(t, p)
    single_output(t, "max_error")
    return float(np.max(np.abs(t - p)))


@register_loss(
    "sklearn.median_absolute_error",
    **home("median_absolute_error"),
    category="regression",
    formula="median over rows of |y_true - y_pred| (outputs averaged)",
    y_true=_REG,
    y_pred=_REG,
    prepass=whole_file("sklearn.median_absolute_error"),
    batch_level=_BATCH,
)
def median_absolute_error(
    y_true: np.ndarray, y_pred: np.ndarray, *, whole: Any = None
) -> np.ndarray:
    """Median absolute error: robust to outliers; one value for the whole file.

    >>> float(median_absolute_error([[3.0], [-0.5], [2.0], [7.0]], [[2.5], [0.0], [2.0], [8.0]]))
    0.5
    """
    return batch_value(_median_absolute, y_true, y_pred, whole)


@register_loss(
    "sklearn.max_error",
    **home("max_error"),
    category="regression",
    formula="max over rows of |y_true - y_pred|",
    y_true="one target per row",
    y_pred="one prediction per row",
    prepass=whole_file("sklearn.max_error"),
    batch_level=_BATCH,
)
def max_error(y_true: np.ndarray, y_pred: np.ndarray, *, whole: Any = None) -> np.ndarray:
    """The worst absolute error in the file.

    >>> float(max_error([[3.0], [2.0], [7.0], [1.0]], [[4.0], [2.0], [7.0], [1.0]]))
    1.0
    """
    return batch_value(_max_error, y_true, y_pred, whole)


def _explained(numerator: np.ndarray, denominator: np.ndarray) -> float:
    """1 - num/den per output, with sklearn's force_finite rules, averaged uniformly."""
    scores = np.ones_like(numerator)
    valid = (numerator != 0) & (denominator != 0)
    scores[valid] = 1 - numerator[valid] / denominator[valid]
    scores[(numerator != 0) & (denominator == 0)] = 0.0
    return float(np.mean(scores))


def _d2_tweedie(power: float) -> Any:
    def compute(t: np.ndarray, p: np.ndarray) -> float:
        t, p = _two_d(t, p)
        single_output(t, "d2_tweedie_score")
        if len(t) < 2:
            return float("nan")
        tweedie_domain(t, p, power)
        numerator = np.mean(deviance(t, p, power))
        return float(1 - numerator / np.mean(deviance(t, np.mean(t), power)))

    return compute


def _d2_pinball(alpha: float) -> Any:
    def compute(t: np.ndarray, p: np.ndarray) -> float:
        t, p = _two_d(t, p)
        if len(t) < 2:
            return float("nan")
        quantile = np.percentile(t, alpha * 100, axis=0, method="averaged_inverted_cdf")
        numerator = np.mean(pinball_terms(t, p, alpha), axis=0)
        denominator = np.mean(pinball_terms(t, np.broadcast_to(quantile, t.shape), alpha), axis=0)
        return _explained(numerator, denominator)

    return compute


@register_loss(
    "sklearn.d2_tweedie_score",
    **home("d2_tweedie_score"),
    category="regression",
    formula="1 - sum(deviance(y, p)) / sum(deviance(y, mean(y)))",
    y_true="one target per row",
    y_pred="one prediction per row",
    params={"power": "Tweedie power q: <= 0 or >= 1"},
    validate=check_power,
    prepass=whole_file("sklearn.d2_tweedie_score"),
    batch_level=_BATCH,
)
def d2_tweedie_score(
    y_true: np.ndarray, y_pred: np.ndarray, power: float = 0.0, *, whole: Any = None
) -> np.ndarray:
    """Fraction of Tweedie deviance explained (power 0: R²): a score, higher is better.

    >>> round(float(d2_tweedie_score([[0.5], [1.0], [2.5], [7.0]], [[1.0], [1.0], [5.0], [3.5]])), 3)
    0.286
    """
    return batch_value(_d2_tweedie(power), y_true, y_pred, whole)


@register_loss(
    "sklearn.d2_pinball_score",
    **home("d2_pinball_score"),
    category="regression",
    formula="1 - sum(pinball(y, p)) / sum(pinball(y, quantile_alpha(y))), outputs averaged",
    y_true=_REG,
    y_pred=_REG,
    params={"alpha": "the quantile, in [0, 1]"},
    validate=check_alpha,
    prepass=whole_file("sklearn.d2_pinball_score"),
    batch_level=_BATCH,
)
def d2_pinball_score(
    y_true: np.ndarray, y_pred: np.ndarray, alpha: float = 0.5, *, whole: Any = None
) -> np.ndarray:
    """Fraction of pinball loss explained by the model: a score, higher is better.

    >>> float(d2_pinball_score([[1.0], [2.0], [3.0]], [[1.0], [3.0], [3.0]]))
    0.5
    """
    return batch_value(_d2_pinball(alpha), y_true, y_pred, whole)


@register_loss(
    "sklearn.d2_absolute_error_score",
    **home("d2_absolute_error_score"),
    category="regression",
    formula="1 - sum(|y - p|) / sum(|y - median(y)|), outputs averaged",
    y_true=_REG,
    y_pred=_REG,
    prepass=whole_file("sklearn.d2_absolute_error_score"),
    batch_level=_BATCH,
)
def d2_absolute_error_score(
    y_true: np.ndarray, y_pred: np.ndarray, *, whole: Any = None
) -> np.ndarray:
    """Fraction of absolute error explained by the model: a score, higher is better.

    >>> float(d2_absolute_error_score([[1.0], [2.0], [3.0]], [[1.0], [3.0], [3.0]]))
    0.5
    """
    return batch_value(_d2_pinball(0.5), y_true, y_pred, whole)


def _d2_log_loss(labels: list[float] | None) -> Any:
    def compute(t: np.ndarray, p: np.ndarray) -> float:
        if len(p) < 2:
            return float("nan")
        onehot, p = one_hot(t, p, labels)
        check_probabilities(p)
        null = np.broadcast_to(np.mean(onehot, axis=0), p.shape)
        return float(1 - np.sum(log_loss_rows(onehot, p)) / np.sum(log_loss_rows(onehot, null)))

    return compute


@register_loss(
    "sklearn.d2_log_loss_score",
    **home("d2_log_loss_score"),
    category="probabilistic",
    formula="1 - sum(log_loss(y, p)) / sum(log_loss(y, class proportions of y))",
    y_true="one class index 0..C-1 per row (or a label listed in `labels`; or a one-hot row)",
    y_pred="P(class 1) as one column, or one probability column per class",
    labels="ids",
    params={"labels": _LABELS},
    prepass=whole_file("sklearn.d2_log_loss_score"),
    batch_level=_BATCH,
)
def d2_log_loss_score(
    y_true: np.ndarray, y_pred: np.ndarray, labels: list[float] | None = None, *, whole: Any = None
) -> np.ndarray:
    """Fraction of log loss explained against the class proportions: a score, higher is better.

    >>> round(float(d2_log_loss_score([[0], [1], [1], [0]], [[0.1], [0.9], [0.8], [0.3]])), 4)
    0.7149
    """
    return batch_value(_d2_log_loss(labels), y_true, y_pred, whole)


def _d2_brier(pos_label: float, labels: list[float] | None) -> Any:
    def compute(t: np.ndarray, p: np.ndarray) -> float:
        if len(p) < 2:
            return float("nan")
        onehot, p = brier_targets(t, p, pos_label, labels)
        null = np.mean(onehot, axis=0)
        score = np.mean(np.sum((onehot - p) ** 2, axis=1))
        return float(1 - score / np.mean(np.sum((onehot - null) ** 2, axis=1)))

    return compute


@register_loss(
    "sklearn.d2_brier_score",
    **home("d2_brier_score"),
    category="probabilistic",
    formula="1 - brier(y, p) / brier(y, class proportions of y)",
    y_true="one class index 0..C-1 per row (or a label listed in `labels`); with one "
    "probability column: positive where y_true == pos_label",
    y_pred="P(class 1) as one column, or one probability column per class",
    labels="ids",
    params={
        "pos_label": "the label of the positive class (one probability column)",
        "labels": _LABELS,
    },
    prepass=whole_file("sklearn.d2_brier_score"),
    batch_level=_BATCH,
)
def d2_brier_score(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    pos_label: float = 1.0,
    labels: list[float] | None = None,
    *,
    whole: Any = None,
) -> np.ndarray:
    """Brier skill score against the class proportions: a score, higher is better.

    >>> round(float(d2_brier_score([[0], [1], [1], [0]], [[0.1], [0.9], [0.8], [0.3]])), 4)
    0.85
    """
    return batch_value(_d2_brier(pos_label, labels), y_true, y_pred, whole)

"""TensorFlow Addons' batch-level losses (`tfa.*`): metric learning and weighted kappa.

TFA computes each over the whole mini-batch (every pair of rows for the metric-learning
losses) and returns one number; losscli's batch is the whole file, kept in memory by the
prepass of losses/_batch.py, up to MAX_PAIRWISE_ROWS rows for the pairwise ones (an N×N
matrix) and MAX_ROWS for weighted kappa. Checked against the numpy oracles and values of
TFA's own tests (tests/test_tfa_losses.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.losses._batch import batch_value, whole_file
from losscli.losses._common import log_softmax
from losscli.losses.tfa import home
from losscli.registry import register_loss

_BATCH = "TFA computes it over the whole mini-batch; losscli's batch is the whole file"
_LABELS = "one integer class label per row"
_EMBEDDING = "an embedding vector per row"
_METRICS = ("L_2", "L_1", "angular")


def _labels_embeddings(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels = t.reshape(len(t), -1)
    if labels.shape[1] != 1:
        raise ValueError(f"y_true needs one class label per row, got {labels.shape[1]} values")
    return labels[:, 0], p.reshape(len(p), -1)


def pairwise_distance(feature: np.ndarray, squared: bool) -> np.ndarray:
    """tfa.losses.metric_learning.pairwise_distance: |a|² + |b|² - 2ab, negatives → 0,
    zero diagonal; Euclidean, or its square."""
    norms = np.sum(feature * feature, axis=1)
    d2 = np.maximum(norms[:, None] + norms[None, :] - 2.0 * feature @ feature.T, 0.0)
    d = d2 if squared else np.sqrt(d2)
    np.fill_diagonal(d, 0.0)
    return d


def angular_distance(feature: np.ndarray) -> np.ndarray:
    """1 - cosine similarity of l2-normalised rows, at least 1e-16."""
    norm = np.sqrt(np.maximum(np.sum(feature * feature, axis=1, keepdims=True), 1e-12))
    unit = feature / norm
    return np.maximum(1 - unit @ unit.T, 1e-16)


def _distances(embeddings: np.ndarray, metric: str) -> np.ndarray:
    # as TFA: "L_2" is the *squared* Euclidean distance and "L_1" the Euclidean distance
    if metric == "angular":
        return angular_distance(embeddings)
    return pairwise_distance(embeddings, squared=metric == "L_2")


def _check_metric(params: Mapping[str, Any]) -> None:
    if params["distance_metric"] not in _METRICS:
        raise ValueError(
            f"distance_metric must be one of {', '.join(_METRICS)}, got "
            f"{params['distance_metric']!r}"
        )


def _semihard(margin: float, metric: str) -> Any:
    def compute(t: np.ndarray, p: np.ndarray) -> float:
        labels, embeddings = _labels_embeddings(t, p)
        d = _distances(embeddings, metric)
        same = labels[:, None] == labels[None, :]
        total, count = 0.0, 0
        for i in range(len(labels)):
            positives = np.flatnonzero(same[i])
            positives = positives[positives != i]
            negatives = np.sort(d[i, ~same[i]])
            count += len(positives)
            if not len(positives):
                continue
            d_ap = d[i, positives]
            if len(negatives):  # the closest negative farther than the positive, else the farthest
                chosen = negatives[
                    np.minimum(np.searchsorted(negatives, d_ap, "right"), len(negatives) - 1)
                ]
            else:  # TFA's masked maximum over no negatives is the row's minimum
                chosen = np.full_like(d_ap, d[i].min())
            total += float(np.sum(np.maximum(margin + d_ap - chosen, 0.0)))
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(np.float64(total) / count)

    return compute


@register_loss(
    "tfa.triplet_semihard",
    **home("TripletSemiHardLoss", "triplet_semihard_loss"),
    category="similarity",
    formula="mean over positive pairs (a, p) of max(margin + d(a, p) - d(a, n), 0), n the "
    "closest negative farther than p (else the farthest)",
    y_true=_LABELS,
    y_pred=_EMBEDDING + " (l2-normalised, as TFA asks)",
    labels="ids",
    params={
        "margin": "margin term",
        "distance_metric": "'L_2' (squared Euclidean), 'L_1' (Euclidean, as TFA names it) "
        "or 'angular'",
    },
    validate=_check_metric,
    prepass=whole_file("tfa.triplet_semihard", pairwise=True),
    batch_level=_BATCH,
)
def triplet_semihard(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    margin: float = 1.0,
    distance_metric: str = "L_2",
    *,
    whole: Any = None,
) -> np.ndarray:
    """Triplet loss with semi-hard negative mining over the whole file.

    >>> float(triplet_semihard([[0], [0], [1]], [[0.0, 1.0], [0.0, 0.9], [1.0, 0.0]]))
    0.0
    """
    return batch_value(_semihard(margin, distance_metric), y_true, y_pred, whole)


def _hard(margin: float, soft: bool, metric: str) -> Any:
    def compute(t: np.ndarray, p: np.ndarray) -> float:
        labels, embeddings = _labels_embeddings(t, p)
        d = _distances(embeddings, metric)
        same = labels[:, None] == labels[None, :]
        positive = same & ~np.eye(len(labels), dtype=bool)
        # TFA's masked maximum/minimum: an empty mask gives the row's minimum/maximum
        hard_pos = np.where(
            positive.any(axis=1), np.max(np.where(positive, d, -np.inf), axis=1), d.min(axis=1)
        )
        hard_neg = np.where(
            (~same).any(axis=1), np.min(np.where(~same, d, np.inf), axis=1), d.max(axis=1)
        )
        gap = hard_pos - hard_neg
        per_anchor = np.log1p(np.exp(gap)) if soft else np.maximum(gap + margin, 0.0)
        return float(np.mean(per_anchor))

    return compute


@register_loss(
    "tfa.triplet_hard",
    **home("TripletHardLoss", "triplet_hard_loss"),
    category="similarity",
    formula="mean over anchors of max(max d(a, p) - min d(a, n) + margin, 0) "
    "(soft: log1p(exp(max d(a, p) - min d(a, n))))",
    y_true=_LABELS,
    y_pred=_EMBEDDING + " (l2-normalised, as TFA asks)",
    labels="ids",
    params={
        "margin": "margin term",
        "soft": "use the soft-margin form",
        "distance_metric": "'L_2' (squared Euclidean), 'L_1' (Euclidean, as TFA names it) "
        "or 'angular'",
    },
    validate=_check_metric,
    prepass=whole_file("tfa.triplet_hard", pairwise=True),
    batch_level=_BATCH,
)
def triplet_hard(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    margin: float = 1.0,
    soft: bool = False,
    distance_metric: str = "L_2",
    *,
    whole: Any = None,
) -> np.ndarray:
    """Triplet loss with the hardest positive and negative of each anchor in the file.

    >>> float(triplet_hard([[0], [0], [1]], [[0.0, 1.0], [0.0, 0.9], [1.0, 0.0]]))
    0.0
    """
    return batch_value(_hard(margin, soft, distance_metric), y_true, y_pred, whole)


def _npairs(t: np.ndarray, p: np.ndarray) -> float:
    labels = t.reshape(len(t), -1)[:, 0]
    width = p.shape[1]
    if width % 2:
        raise ValueError(
            f"y_pred needs the anchor then the positive embedding, got {width} columns"
        )
    anchors, positives = p[:, : width // 2], p[:, width // 2 :]
    similarity = anchors @ positives.T
    target = (labels[:, None] == labels[None, :]).astype(p.dtype)
    target /= target.sum(axis=1, keepdims=True)
    return float(np.mean(-np.sum(target * log_softmax(similarity), axis=1)))


@register_loss(
    "tfa.npairs",
    **home("NpairsLoss", "npairs_loss"),
    category="similarity",
    formula="mean over rows of softmax cross-entropy of S = anchors · positives^T against "
    "same-label rows (normalised)",
    y_true=_LABELS,
    y_pred="the anchor embedding then the positive embedding, D columns each "
    "(--y-pred 'a_*,p_*'); TFA takes their similarity matrix",
    labels="ids",
    prepass=whole_file("tfa.npairs", pairwise=True),
    batch_level=_BATCH,
)
def npairs(y_true: np.ndarray, y_pred: np.ndarray, *, whole: Any = None) -> np.ndarray:
    """N-pairs loss over the whole file: each anchor's positive must beat every other row's.

    >>> round(float(npairs([[0], [1]], [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]])), 4)
    0.3133
    """
    return batch_value(_npairs, y_true, y_pred, whole)


def _lifted(margin: float) -> Any:
    def compute(t: np.ndarray, p: np.ndarray) -> float:
        labels, embeddings = _labels_embeddings(t, p)
        d = pairwise_distance(embeddings, squared=False)
        same = labels[:, None] == labels[None, :]
        diff = margin - d
        negative = ~same
        # m_i: the largest margin - d over row i's negatives (TFA's masked maximum)
        row_min = diff.min(axis=1, keepdims=True)
        m = np.max((diff - row_min) * negative, axis=1, keepdims=True) + row_min
        max_elements = np.maximum(m, m.T)
        # TFA's exp_left[i, j] = sum over j's negatives k of exp(diff[j, k] - M[i, j]),
        # factored as R[j] exp(m[j] - M[i, j]) so it costs N² rather than N³
        with np.errstate(over="ignore"):
            r = np.sum(np.where(negative, np.exp(diff - m), 0.0), axis=1)
        exp_left = r[None, :] * np.exp(m.T - max_elements)
        loss = max_elements + np.log(exp_left + exp_left.T) + d
        positive = same & ~np.eye(len(labels), dtype=bool)
        pairs = positive.sum() / 2.0
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(0.25 * np.sum(np.maximum(np.where(positive, loss, 0.0), 0.0) ** 2) / pairs)

    return compute


@register_loss(
    "tfa.lifted_struct",
    **home("LiftedStructLoss", "lifted_struct_loss"),
    category="similarity",
    formula="sum over positive pairs (i, j) of max(log(sum_neg(i) exp(m - d) + sum_neg(j) "
    "exp(m - d)) + d(i, j), 0)^2 / (2 · pairs), d Euclidean",
    y_true=_LABELS,
    y_pred=_EMBEDDING + " (not l2-normalised, as TFA asks)",
    labels="ids",
    params={"margin": "margin term"},
    prepass=whole_file("tfa.lifted_struct", pairwise=True),
    batch_level=_BATCH,
)
def lifted_struct(
    y_true: np.ndarray, y_pred: np.ndarray, margin: float = 1.0, *, whole: Any = None
) -> np.ndarray:
    """Lifted structured loss over the whole file.

    >>> round(float(lifted_struct([[0], [0], [1]], [[0.0, 0.0], [0.0, 0.5], [3.0, 0.0]])), 4)
    0.0
    """
    return batch_value(_lifted(margin), y_true, y_pred, whole)


def _check_weightage(params: Mapping[str, Any]) -> None:
    if params["weightage"] not in ("linear", "quadratic"):
        raise ValueError(f"weightage must be 'linear' or 'quadratic', got {params['weightage']!r}")


def _kappa(weightage: str, eps: float) -> Any:
    def compute(t: np.ndarray, p: np.ndarray) -> float:
        p = p.reshape(len(p), -1)
        n, classes = p.shape
        t = t.reshape(n, -1)
        if t.shape[1] == 1:  # class indices → one-hot, as TFA expects
            t = np.eye(classes, dtype=p.dtype)[t[:, 0].astype(np.intp)]
        elif t.shape[1] != classes:
            raise ValueError(f"y_true needs one class index or {classes} one-hot columns")
        ranks = np.arange(classes, dtype=p.dtype)
        labels = t @ ranks
        gap = labels[:, None] - ranks[None, :]
        weight = np.abs(gap) if weightage == "linear" else gap**2
        numerator = np.sum(weight * p)
        grid = ranks[:, None] - ranks[None, :]
        weight_mat = np.abs(grid) if weightage == "linear" else grid**2
        denominator = float(t.sum(axis=0) @ weight_mat @ p.sum(axis=0)) / n
        ratio = numerator / denominator if denominator else 0.0
        return float(np.log(ratio + eps))

    return compute


@register_loss(
    "tfa.weighted_kappa",
    **home("WeightedKappaLoss", "weighted_kappa_loss"),
    category="probabilistic",
    formula="log(sum(W[y] * p) / (sum_rows(onehot(y)) W sum_rows(p)^T / N) + epsilon), "
    "W = |i - j| or (i - j)^2",
    y_true="one class index per row (or a one-hot row); the classes are ordered",
    y_pred="class probabilities, one column per class",
    labels="ids",
    params={
        "weightage": "'linear' or 'quadratic'",
        "epsilon": "added before the log",
    },
    validate=_check_weightage,
    prepass=whole_file("tfa.weighted_kappa"),
    batch_level=_BATCH,
)
def weighted_kappa(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    weightage: str = "quadratic",
    epsilon: float = 1e-6,
    *,
    whole: Any = None,
) -> np.ndarray:
    """Weighted kappa loss for ordinal classes (log of 1 - kappa) over the whole file.

    >>> t = [[2], [1], [0], [3]]
    >>> p = [[0.1, 0.2, 0.6, 0.1], [0.1, 0.5, 0.3, 0.1], [0.8, 0.05, 0.05, 0.1], [0.01, 0.09, 0.1, 0.8]]
    >>> round(float(weighted_kappa(t, p)), 5)
    -1.16119
    """
    return batch_value(_kappa(weightage, epsilon), y_true, y_pred, whole)

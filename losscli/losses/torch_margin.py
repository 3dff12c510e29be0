"""PyTorch's margin and embedding losses (`torch.*`), with torch.nn's semantics.

Losses with more than two inputs take them as consecutive parts of y_pred, in torch's
argument order: margin_ranking's x1 and x2 (`--y-pred x1,x2`), cosine_embedding's two
vectors (`--y-pred 'a_*,b_*'`, halves), and triplet_margin's positive and negative vectors
with the anchor as y_true (`--y-true 'anchor_*' --y-pred 'pos_*,neg_*'`). Checked against
torch in tests/test_torch_losses.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.losses._common import softplus
from losscli.losses.torch_nn import class_indices, class_weights, home, pair, per_element
from losscli.registry import register_loss

_SIGNS = "labels 1 or -1, one per row"


def _parts(y_pred: np.ndarray, parts: int, what: str) -> list[np.ndarray]:
    """y_pred's columns cut into `parts` equal consecutive parts (torch's separate inputs)."""
    width = y_pred.shape[1]
    if width % parts or width == 0:
        raise ValueError(f"y_pred needs {what}: a multiple of {parts} columns, got {width}")
    size = width // parts
    return [y_pred[:, i * size : (i + 1) * size] for i in range(parts)]


def _one_column(t: np.ndarray, what: str) -> np.ndarray:
    if t.shape[1] != 1:
        raise ValueError(f"y_true needs {what}, got {t.shape[1]} values per row")
    return t[:, 0]


@register_loss(
    "torch.margin_ranking",
    **home("MarginRankingLoss", "margin_ranking_loss"),
    category="hinge",
    formula="max(0, -y (x1 - x2) + margin)",
    y_true=_SIGNS + " (1: x1 should rank higher)",
    y_pred="two columns: x1 then x2 (--y-pred x1,x2)",
    labels="ids",
    params={"margin": "how far apart the two scores must be"},
)
def margin_ranking(y_true: np.ndarray, y_pred: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """Ranking loss of a pair of scores, torch.nn.MarginRankingLoss.

    >>> margin_ranking([[1], [-1]], [[0.2, 0.5], [0.2, 0.5]])
    array([0.3, 0. ])
    """
    t, p = pair(y_true, y_pred)
    if p.shape[1] != 2:
        raise ValueError(f"y_pred needs two columns, x1 and x2, got {p.shape[1]}")
    return np.maximum(0, -_one_column(t, "one label") * (p[:, 0] - p[:, 1]) + margin)


@register_loss(
    "torch.hinge_embedding",
    **home("HingeEmbeddingLoss", "hinge_embedding_loss"),
    category="hinge",
    formula="x if y = 1, max(0, margin - x) if y = -1 (per element)",
    y_true="1 or -1 per element, same shape as y_pred",
    y_pred="distances (e.g. L1 between two embeddings)",
    params={"margin": "dissimilar pairs should be at least this far apart"},
)
def hinge_embedding(y_true: np.ndarray, y_pred: np.ndarray, margin: float = 1.0) -> np.ndarray:
    """Similarity loss of a distance, torch.nn.HingeEmbeddingLoss.

    >>> hinge_embedding([[1], [-1]], [[0.3], [0.4]])
    array([0.3, 0.6])
    """
    t, x = pair(y_true, y_pred)
    loss = np.where(t != 1, np.maximum(margin - x, 0), 0) + np.where(t != -1, x, 0)
    return per_element(loss)


@register_loss(
    "torch.soft_margin",
    **home("SoftMarginLoss", "soft_margin_loss"),
    category="hinge",
    formula="log(1 + exp(-y x)) (per element)",
    y_true="1 or -1 per element, same shape as y_pred",
    y_pred="scores",
)
def soft_margin(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Logistic loss of ±1 labels, torch.nn.SoftMarginLoss.

    >>> soft_margin([[1]], [[0.0]]).round(4)
    array([0.6931])
    """
    t, x = pair(y_true, y_pred)
    with np.errstate(over="ignore"):
        return per_element(np.log1p(np.exp(-t * x)))


@register_loss(
    "torch.multilabel_soft_margin",
    **home("MultiLabelSoftMarginLoss", "multilabel_soft_margin_loss"),
    category="probabilistic",
    formula="-mean_c weight_c (y_c log sigmoid(x_c) + (1 - y_c) log sigmoid(-x_c))",
    y_true="0/1 per class, same shape as y_pred",
    y_pred="one logit per class",
    vector=True,
    params={"weight": "one weight per class (null: all 1)"},
)
def multilabel_soft_margin(
    y_true: np.ndarray, y_pred: np.ndarray, weight: list[float] | None = None
) -> np.ndarray:
    """Multi-label logistic loss, torch.nn.MultiLabelSoftMarginLoss: one value per row.

    >>> multilabel_soft_margin([[1, 0]], [[0.0, 0.0]]).round(4)
    array([0.6931])
    """
    t, x = pair(y_true, y_pred)
    w = class_weights(weight, x.shape[1], x.dtype)
    loss = (t * softplus(-x) + (1 - t) * softplus(x)) * w
    return np.sum(loss, axis=1) / x.shape[1]


@register_loss(
    "torch.multilabel_margin",
    **home("MultiLabelMarginLoss", "multilabel_margin_loss"),
    category="hinge",
    formula="sum over target j, non-target i of max(0, 1 - (x[y_j] - x[i])) / C",
    y_true="the target class indices, padded with -1 (C columns; the first -1 ends the list)",
    y_pred="one score per class",
    labels="ids",
)
def multilabel_margin(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Multi-label hinge loss, torch.nn.MultiLabelMarginLoss.

    >>> multilabel_margin([[3, 0, -1, 1]], [[0.1, 0.2, 0.4, 0.8]]).round(4)
    array([0.85])
    """
    t, x = pair(y_true, y_pred)
    n, classes = x.shape
    if t.shape != x.shape:
        raise ValueError(f"y_true needs {classes} columns (indices padded with -1)")
    ends = np.where((t == -1).any(axis=1), np.argmax(t == -1, axis=1), classes)
    listed = np.arange(classes)[None, :] < ends[:, None]
    index = np.where(listed, t, 0).astype(np.intp)
    if np.any(listed & ((t < 0) | (t >= classes) | (t != np.floor(t)))):
        raise ValueError(f"target indices must be in 0..{classes - 1}, then -1 padding")
    is_target = np.zeros((n, classes), dtype=bool)
    rows = np.repeat(np.arange(n), classes)
    is_target[rows[listed.ravel()], index[listed]] = True
    picked = np.take_along_axis(x, index, axis=1)  # (n, j)
    z = np.maximum(1 - picked[:, :, None] + x[:, None, :], 0) / classes  # (n, j, i)
    z = np.where(listed[:, :, None] & ~is_target[:, None, :], z, 0)
    return z.sum(axis=(1, 2))


def _check_p(params: Mapping[str, Any]) -> None:
    if params["p"] not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {params['p']}")


@register_loss(
    "torch.multi_margin",
    **home("MultiMarginLoss", "multi_margin_loss"),
    category="hinge",
    formula="sum_{i != y} weight[y] max(0, margin - x[y] + x[i])^p / C",
    y_true="one class index per row",
    y_pred="one score per class",
    labels="ids",
    params={
        "p": "1 or 2 (squared)",
        "margin": "how far the true class's score must lead",
        "weight": "one weight per class (null: all 1)",
    },
    validate=_check_p,
)
def multi_margin(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    p: int = 1,
    margin: float = 1.0,
    weight: list[float] | None = None,
) -> np.ndarray:
    """Multi-class hinge loss, torch.nn.MultiMarginLoss.

    >>> multi_margin([[3]], [[0.1, 0.2, 0.4, 0.8]]).round(4)
    array([0.325])
    """
    t, x = pair(y_true, y_pred)
    n, classes = x.shape
    index, _ = class_indices(t, classes, ignore_index=-(2**62))
    u = x[np.arange(n), index][:, None]
    z = np.maximum(margin - u + x, 0)
    z = z if p == 1 else z * z
    z = z * class_weights(weight, classes, x.dtype)[index][:, None]
    z = np.where(np.arange(classes)[None, :] != index[:, None], z, 0)
    return z.mean(axis=1)


@register_loss(
    "torch.cosine_embedding",
    **home("CosineEmbeddingLoss", "cosine_embedding_loss"),
    category="similarity",
    formula="1 - cos(x1, x2) if y = 1, max(0, cos(x1, x2) - margin) if y = -1",
    y_true=_SIGNS,
    y_pred="x1 then x2, D columns each (--y-pred 'a_*,b_*')",
    labels="ids",
    params={"margin": "dissimilar pairs should have a cosine below this"},
)
def cosine_embedding(y_true: np.ndarray, y_pred: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """Cosine similarity loss of a pair of vectors, torch.nn.CosineEmbeddingLoss.

    >>> cosine_embedding([[1], [-1]], [[1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]).round(4)
    array([0., 0.])
    """
    t, p = pair(y_true, y_pred)
    x1, x2 = _parts(p, 2, "x1 then x2")
    eps = 1e-12  # torch's EPSILON
    denominator = np.sqrt((np.sum(x1 * x1, axis=1) + eps) * (np.sum(x2 * x2, axis=1) + eps))
    cos = np.sum(x1 * x2, axis=1) / denominator
    y = _one_column(t, "one label")
    return np.where(y == 1, 1 - cos, 0) + np.where(y == -1, np.maximum(cos - margin, 0), 0)


def _check_triplet(params: Mapping[str, Any]) -> None:
    if params["margin"] <= 0:
        raise ValueError(f"margin must be greater than 0, got {params['margin']}")


def _distance(a: np.ndarray, b: np.ndarray, p: float, eps: float) -> np.ndarray:
    """torch.pairwise_distance: the p-norm of a - b + eps."""
    diff = np.abs(a - b + eps)
    if p == 2:
        return np.sqrt(np.sum(diff * diff, axis=1))
    if p == 1:
        return np.sum(diff, axis=1)
    return np.sum(diff**p, axis=1) ** (1 / p)


@register_loss(
    "torch.triplet_margin",
    **home("TripletMarginLoss", "triplet_margin_loss"),
    category="similarity",
    formula="max(d(a, pos) - d(a, neg) + margin, 0), d = ||x1 - x2 + eps||_p",
    y_true="the anchor vector (D columns: --y-true 'anchor_*')",
    y_pred="the positive then the negative vector, D columns each (--y-pred 'pos_*,neg_*')",
    labels="ids",
    params={
        "margin": "how much closer the positive must be (> 0)",
        "p": "the norm of the distance",
        "eps": "added to the difference before the norm",
        "swap": "use the smaller of d(a, neg) and d(pos, neg)",
    },
    validate=_check_triplet,
)
def triplet_margin(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
) -> np.ndarray:
    """Triplet loss of given (anchor, positive, negative) triplets, torch.nn.TripletMarginLoss.

    >>> triplet_margin([[0.0, 0.0]], [[1.0, 0.0, 3.0, 0.0]], eps=0.0)
    array([0.])
    """
    anchor, p_all = pair(y_true, y_pred)
    positive, negative = _parts(p_all, 2, "the positive then the negative vector")
    if positive.shape[1] != anchor.shape[1]:
        raise ValueError(
            f"the anchor has {anchor.shape[1]} values but positive and negative {positive.shape[1]}"
        )
    d_pos = _distance(anchor, positive, p, eps)
    d_neg = _distance(anchor, negative, p, eps)
    if swap:
        d_neg = np.minimum(d_neg, _distance(positive, negative, p, eps))
    return np.maximum(margin + d_pos - d_neg, 0)

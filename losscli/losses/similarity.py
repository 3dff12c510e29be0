"""Metric-learning losses on embeddings: Circle.

Keras's Circle compares every sample of a batch with every other one, so the loss of a
row depends on which rows share its batch. losscli answers for the whole file as one batch:
a prepass keeps every label and embedding, and each batch's rows (the anchors) are compared
with all of them (the references). With `references="file"` (Keras's `ref_labels` and
`ref_embeddings` arguments) the anchors are compared with that file's rows instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.errors import InputDataError
from losscli.losses._common import as_pred_dtype
from losscli.registry import register_loss

#: Anchor-by-reference cells computed at once: bounds memory whatever the batch size.
_CELLS = 1 << 20


def _labels(y_true: np.ndarray) -> np.ndarray:
    """One integer label per row; Keras casts to int32, which truncates toward zero."""
    n = len(y_true)
    flat = np.asarray(y_true).reshape(n, -1)
    if flat.shape[1] != 1:
        raise InputDataError(
            f"circle needs one integer label per row, got {flat.shape[1]} values per row"
        )
    labels = flat[:, 0]
    if not np.all(np.isfinite(labels)):
        raise InputDataError("circle labels must be finite integers, found NaN or inf")
    return np.trunc(labels)


def _embeddings(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = as_pred_dtype(y_true, y_pred)
    if y_pred.ndim == 1:
        y_pred = y_pred[:, None]
    if y_pred.ndim != 2:
        raise InputDataError(
            f"circle needs one embedding vector per row, got rows of shape {y_pred.shape[1:]}"
        )
    return _labels(y_true), y_pred


class _References:
    """Every label and embedding of the file, and where the next batch starts in it.

    The engine calls the loss on the file's batches in order; the cursor gives each
    anchor its row number, which Keras needs to drop the anchor's pair with itself.
    """

    def __init__(self, labels: np.ndarray, embeddings: np.ndarray) -> None:
        self.labels = labels
        self.embeddings = embeddings
        self.cursor = 0

    def locate(self, labels: np.ndarray, embeddings: np.ndarray) -> int:
        """Row number of the batch's first row; batches must come in file order."""
        n = len(labels)
        total = len(self.labels)
        for start in (self.cursor, 0):  # 0: a new pass over the same file
            stop = start + n
            if stop <= total and self._same(start, stop, labels, embeddings):
                self.cursor = stop % total if total else 0
                return start
        raise InputDataError(
            "circle: a batch does not match the rows the prepass saw",
            hint="circle compares rows across the whole file; read it in order, once per pass",
        )

    def _same(self, start: int, stop: int, labels: np.ndarray, embeddings: np.ndarray) -> bool:
        return np.array_equal(self.labels[start:stop], labels) and np.array_equal(
            self.embeddings[start:stop], embeddings, equal_nan=True
        )


class _External:
    """A reference set from another file: anchors are the input's rows, in order; the
    cursor gives each anchor's row number, which Keras's remove_diagonal uses as is
    (`eye(anchors, references)`: anchor i loses its positive pair with reference i)."""

    def __init__(self, labels: np.ndarray, embeddings: np.ndarray) -> None:
        self.labels = labels
        self.embeddings = embeddings
        self.cursor = 0

    def locate(self, labels: np.ndarray, embeddings: np.ndarray) -> int:
        start = self.cursor
        self.cursor += len(labels)
        return start


class _ExternalState:
    """Prepass of Circle with a references file: the input's rows are not kept."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = params

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        pass

    def result(self) -> dict[str, Any]:
        from losscli.references import read_references

        p = self.params
        labels, embeddings = read_references(p["references"], p["ref_labels"], p["ref_embeddings"])
        return {"reference_set": _External(*_embeddings(labels, embeddings))}


def _prepass(params: Mapping[str, Any]) -> _CollectState | _ExternalState:
    return _CollectState() if params["references"] is None else _ExternalState(params)


class _CollectState:
    """Prepass: keep every row, since every pair of rows contributes."""

    def __init__(self) -> None:
        self.labels: list[np.ndarray] = []
        self.embeddings: list[np.ndarray] = []

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        labels, embeddings = _embeddings(y_true, y_pred)
        self.labels.append(labels.copy())
        self.embeddings.append(embeddings.copy())

    def result(self) -> dict[str, Any]:
        if not self.labels:
            return {}
        return {
            "reference_set": _References(
                np.concatenate(self.labels), np.concatenate(self.embeddings, axis=0)
            )
        }


def _validate(params: Mapping[str, Any]) -> None:
    if params["gamma"] <= 0:
        raise ValueError(f"gamma must be positive, got {params['gamma']}")


def _logsumexp_rows(x: np.ndarray) -> np.ndarray:
    """log(sum(exp(x), axis=1)) the way SciPy rounds it: the maxima are factored out
    and the rest added with log1p; an all -inf row gives -inf."""
    top = np.max(x, axis=1, keepdims=True)
    finite = np.isfinite(top)
    safe_top = np.where(finite, top, 0)
    at_top = x == top
    ties = np.sum(at_top, axis=1, keepdims=True).astype(x.dtype)
    with np.errstate(invalid="ignore"):
        rest = np.sum(np.where(at_top, 0, np.exp(x - safe_top)), axis=1, keepdims=True)
    out = np.log1p(rest / ties) + np.log(ties) + top
    return np.where(finite, out, top)[:, 0]


def _anchor_losses(
    labels: np.ndarray,
    embeddings: np.ndarray,
    ref_labels: np.ndarray,
    ref_embeddings: np.ndarray,
    first_row: int | None,
    gamma: float,
    margin: float,
) -> np.ndarray:
    """Circle loss of each anchor against all references; `first_row` is the anchors'
    row number among the references (None: keep self-pairs)."""
    # one matrix-vector product per anchor: a row's distances then depend only on that row and
    # the references, not on which rows share its batch (a matrix product may round a row
    # differently with another number of rows), so batch size and --group-by cannot change them
    products = np.empty((len(embeddings), len(ref_embeddings)), dtype=ref_embeddings.dtype)
    for i, anchor in enumerate(embeddings):
        products[i] = ref_embeddings @ anchor
    distance = np.maximum(1 - products, 0.0)
    positive = labels[:, None] == ref_labels[None, :]
    negative = ~positive
    if first_row is not None:  # Keras: eye(anchors, references), cut to the references
        rows = np.arange(len(labels))
        inside = first_row + rows < positive.shape[1]
        positive[rows[inside], first_row + rows[inside]] = False
    pos_weight = np.maximum(margin + distance, 0.0)
    neg_weight = np.maximum((1 + margin) - distance, 0.0)
    pos_logits = -1 * gamma * pos_weight * (margin - distance)
    neg_logits = gamma * neg_weight * ((1 - margin) - distance)
    pos = _logsumexp_rows(np.where(positive, pos_logits, -np.inf))
    neg = _logsumexp_rows(np.where(negative, neg_logits, -np.inf))
    return np.logaddexp(pos + neg, np.zeros((), dtype=distance.dtype))


@register_loss(
    class_name="Circle",
    category="similarity",
    formula="softplus(logsumexp_pos(-gamma*a_p*(margin-d)) + logsumexp_neg(gamma*a_n*(1-margin-d))), "
    "d = max(1 - cosine, 0) to every other row, a_p = max(margin+d, 0), a_n = max(1+margin-d, 0)",
    y_true="one integer class label per row",
    y_pred="an L2-normalised embedding vector per row (not normalised by the loss)",
    labels="ids",
    params={
        "gamma": "scale of the similarity scores (larger: sharper)",
        "margin": "relaxation: positives should be closer than margin, negatives farther "
        "than 1 - margin",
        "remove_diagonal": "drop each row's pair with itself from its positives (with "
        "references: anchor i's pair with reference row i, as Keras does)",
        "references": "a file of reference rows to compare each row with (Keras's "
        "ref_labels/ref_embeddings); null: the file's own rows",
        "ref_labels": "the references file's label column",
        "ref_embeddings": "the references file's embedding column(s): a list column, a comma "
        "list or a glob",
    },
    prepass=_prepass,
    validate=_validate,
    whole_file="every row is compared with every other row of the file, so all labels and "
    "embeddings are kept in memory",
)
def circle(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    gamma: float = 80.0,
    margin: float = 0.4,
    remove_diagonal: bool = True,
    references: str | None = None,
    ref_labels: str = "y_true",
    ref_embeddings: str = "y_pred",
    *,
    reference_set: _References | _External | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Circle loss: pulls same-label embeddings together and pushes the others apart.

    Returns (values, mask): like Keras, rows whose loss is 0 (no positive or no negative
    pair) are masked out of the mean. Embeddings are used as given: Keras expects them
    L2-normalised (e.g. by a UnitNormalization layer) and does not normalise them itself.

    >>> values, mask = circle([[0], [0], [1]], [[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> values.round(2)
    array([ 0. , 38.4,  0. ])
    >>> mask
    array([ True,  True, False])
    """
    labels, embeddings = _embeddings(y_true, y_pred)
    refs = reference_set or _References(labels, embeddings)
    start = refs.locate(labels, embeddings)
    ref_embeddings_ = refs.embeddings.astype(embeddings.dtype, copy=False)
    if ref_embeddings_.shape[1] != embeddings.shape[1]:
        raise InputDataError(
            f"circle: the embeddings have {embeddings.shape[1]} values per row but the "
            f"references {ref_embeddings_.shape[1]}",
            hint="compare embeddings of the same model (the same size)",
        )
    step = max(1, _CELLS // max(1, len(refs.labels)))
    values = np.empty(len(labels), dtype=embeddings.dtype)
    for a in range(0, len(labels), step):
        b = a + step
        values[a:b] = _anchor_losses(
            labels[a:b],
            embeddings[a:b],
            refs.labels,
            ref_embeddings_,
            start + a if remove_diagonal else None,
            gamma,
            margin,
        )
    return values, values > 0

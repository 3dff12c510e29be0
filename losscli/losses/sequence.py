"""Sequence losses: CTC (connectionist temporal classification).

Keras's CTC (numpy and JAX backends) runs the forward algorithm in log space with a
finite stand-in for log(0) (-1e5), over two kinds of state per label position: "in a blank
after n labels" and "on label n". losscli runs the same recursion, vectorised over the
rows of a batch, so infeasible alignments give the same large finite losses as Keras
instead of inf.
"""

from __future__ import annotations

import numpy as np

from losscli.errors import InputDataError
from losscli.registry import register_loss

#: Keras's log_epsilon: the log-probability of an impossible transition.
_LOG_ZERO = -1e5


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - np.max(logits, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _check(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shapes and label ids Keras can use; returns (labels as int, label lengths)."""
    if y_pred.ndim != 3 or y_pred.shape[1] == 0:
        raise InputDataError(
            f"ctc needs logits of shape (rows, time steps, classes), got rows of shape "
            f"{y_pred.shape[1:]}",
            hint="y_pred must be a nested list per row: one list of class logits per time step",
        )
    if y_pred.shape[2] < 2:
        raise InputDataError("ctc needs at least 2 classes: 0 is the blank")
    if y_true.ndim != 2:
        raise InputDataError(
            f"ctc needs one list of label ids per row, got rows of shape {y_true.shape[1:]}"
        )
    classes = y_pred.shape[2]
    bad = ~np.isfinite(y_true) | (y_true != np.trunc(y_true)) | (y_true < 0) | (y_true >= classes)
    if bad.any():
        raise InputDataError(
            f"ctc label ids must be integers in [0, {classes}), got {y_true[bad][0]!r}",
            hint="0 is the blank/padding id; classes are 1 .. classes-1",
        )
    # Keras counts the non-zero ids but then uses the FIRST that many positions: zeros are
    # meant as trailing padding
    return y_true.astype(np.int64), np.count_nonzero(y_true, axis=1)


@register_loss(
    class_name="CTC",
    category="sequence",
    formula="-log sum over alignments of prod_t softmax(y_pred)[t, path_t], blank = class 0",
    y_true="label ids per row (N, max_label_len); 0 = blank/padding, padded at the end",
    y_pred="logits per row (N, time steps, classes), not softmaxed; class 0 is the blank",
    labels="ids",
)
def ctc(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """CTC loss: negative log-likelihood of the label sequence over all alignments.

    The label length is the number of non-zero ids; like Keras, the loss uses the first
    that many positions, so zeros must be trailing padding. Alignments that cannot fit in
    the time steps give large finite losses (about 1e5 per missing step), as in Keras.

    >>> ctc([[1, 0]], [[[0.0, 0.0]]]).round(6)
    array([0.693147])
    """
    y_pred = np.asarray(y_pred)
    if not np.issubdtype(y_pred.dtype, np.floating):
        y_pred = y_pred.astype(np.float64)
    y_true = np.asarray(y_true, dtype=y_pred.dtype)
    labels, lengths = _check(y_true, y_pred)
    dtype = y_pred.dtype
    n, steps, _ = y_pred.shape
    width = labels.shape[1]

    log_probs = _log_softmax(y_pred)
    blank = log_probs[:, :, 0]  # (N, T)
    emit = np.take_along_axis(log_probs, np.broadcast_to(labels[:, None, :], (n, steps, width)), 2)

    # A label may follow the previous one directly, without a blank in between, unless
    # both are the same id; then the path must pass through a blank.
    repeats = np.zeros((n, width), dtype=bool)
    repeats[:, :-1] = labels[:, :-1] == labels[:, 1:]
    no_skip = np.where(repeats, _LOG_ZERO, 0.0).astype(dtype)
    no_blank = np.where(repeats, 0.0, _LOG_ZERO).astype(dtype)

    # after_blank[:, k]: k labels done, now in a blank (or at the start);
    # on_label[:, k]: currently emitting label k
    after_blank = np.full((n, width + 1), _LOG_ZERO, dtype=dtype)
    after_blank[:, 0] = 0.0
    on_label = np.full((n, width), _LOG_ZERO, dtype=dtype)
    for t in range(steps):
        done = after_blank.copy()
        done[:, 1:] = np.logaddexp(after_blank[:, 1:], on_label + no_skip)
        step_emit = emit[:, t, :]
        step_blank = blank[:, t, None]
        next_label = np.logaddexp(done[:, :-1] + step_emit, on_label + step_emit)
        next_blank = done + step_blank
        next_blank[:, 1:] = np.logaddexp(next_blank[:, 1:], on_label + step_blank + no_blank)
        after_blank, on_label = next_blank, next_label

    final = after_blank.copy()
    final[:, 1:] = np.logaddexp(after_blank[:, 1:], on_label)
    return -final[np.arange(n), lengths]

"""Are the y_pred columns in the order of the classes? A confusion matrix says.

A model that is merely weak, or a rare class that never wins the argmax, is not a mistake
in the file; y_pred columns in another order than the class indices (class names sorted
one way, columns another) are. The sign of the latter: some other assignment of columns
to classes matches y_true far more often than the given one. The matrix of (true class,
top column) counts is built from the first CONFUSION_ROWS rows only (a column-order mistake
shows in any sample), so long files pay nothing more after that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: rows of each stream (each partition) counted into the confusion matrix
CONFUSION_ROWS = 1 << 16
#: more classes than this: no check (the matrix would be classes² counts)
MAX_CLASSES = 1000
#: warn when another column order matches y_true this many times as often as the given one
ORDER_FACTOR = 2.0
#: ... and in at least this many more rows
MIN_GAIN = 10


@dataclass
class ClassOrder:
    """Counts of (true class, top y_pred column); mergeable."""

    counts: np.ndarray | None = None
    rows: int = 0

    def update(self, true_class: np.ndarray, scores: np.ndarray) -> None:
        """`true_class`: one class index per row of `scores` (n, k); -1 for rows to skip."""
        k = scores.shape[-1]
        if self.rows >= CONFUSION_ROWS or k > MAX_CLASSES or not len(scores):
            return
        take = CONFUSION_ROWS - self.rows
        true_class, scores = true_class[:take], scores[:take]
        keep = true_class >= 0
        self.rows += len(scores)
        top = np.argmax(scores[keep], axis=1)
        counts = np.bincount(true_class[keep] * k + top, minlength=k * k).reshape(k, k)
        self.merge(ClassOrder(counts, 0))

    def merge(self, other: ClassOrder) -> None:
        self.rows += other.rows
        if other.counts is None:
            return
        if self.counts is None:
            self.counts = other.counts.copy()
        elif self.counts.shape == other.counts.shape:
            self.counts = self.counts + other.counts

    def mismatch(self) -> tuple[int, int, int, list[tuple[int, int]]] | None:
        """(rows, hits as given, hits in the better order, [(column, class) moved]) when
        another order is much better; else None."""
        if self.counts is None:
            return None
        counts = self.counts
        given = int(np.trace(counts))
        bound = int(counts.max(axis=1).sum())  # no order does better: the usual exit
        if bound < ORDER_FACTOR * given or bound - given < MIN_GAIN:
            return None
        columns = _assignment(counts)
        better = int(counts[np.arange(len(columns)), columns].sum())
        if better < ORDER_FACTOR * given or better - given < MIN_GAIN:
            return None
        moved = [(int(col), c) for c, col in enumerate(columns) if col != c]
        return int(counts.sum()), given, better, moved


def _assignment(counts: np.ndarray) -> np.ndarray:
    """A column for each class, greedily by the largest count (each column used once)."""
    k = len(counts)
    work = counts.astype(np.float64)
    columns = np.arange(k)
    order = np.argsort(-work, axis=None, kind="stable")
    taken_class = np.zeros(k, dtype=bool)
    taken_column = np.zeros(k, dtype=bool)
    for flat in order:
        c, col = divmod(int(flat), k)
        if taken_class[c] or taken_column[col]:
            continue
        columns[c] = col
        taken_class[c] = taken_column[col] = True
        if taken_class.all():
            break
    return columns

"""Warnings about inputs that give a number but probably not the one the user meant.

Each check is a streaming counter over batches (`update` per batch, `merge` across
partitions), cheap (a few vectorised comparisons), and chosen from a loss's registry
metadata — its category, label kind and `from_logits` parameter — not from a list of names.
Warnings are returned as values; the CLI prints them (and `--strict` fails on them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losscli.registry import BoundLoss

#: Keras's epsilon: probabilities are clipped to [EPS, 1 - EPS] before the log.
EPS = 1e-7
#: warn about clipping when more than this share of y_pred values were changed by it
CLIP_SHARE = 0.01
#: a probability row "sums to 1" within this tolerance (float32 softmax is well inside it)
SUM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Diagnostic:
    """One warning: a stable code for scripts and tests, and the sentence for people."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class _First:
    """How many rows matched, and the first one (file row numbers)."""

    count: int = 0
    row: int | None = None

    def add(self, hits: np.ndarray, rows: np.ndarray) -> None:
        n = int(hits.sum())
        if n:
            self.count += n
            if self.row is None:
                self.row = int(rows[int(np.argmax(hits))])

    def merge(self, other: _First) -> None:
        self.count += other.count
        if other.row is not None and (self.row is None or other.row < self.row):
            self.row = other.row

    def where(self) -> str:
        return f"{self.count:,} rows, first at row {self.row}"


def is_probability_loss(loss: BoundLoss) -> bool:
    """A loss that reads y_pred as probabilities: it has `from_logits` and it is false."""
    return "from_logits" in loss.params and not loss.params["from_logits"]


def renormalises(loss: BoundLoss) -> bool:
    """Keras divides each y_pred row by its sum in the categorical crossentropies."""
    return "from_logits" in loss.params and (loss.info.labels == "sparse" or loss.info.vector)


def is_hinge(loss: BoundLoss) -> bool:
    """Hinge losses convert {0, 1} labels to {-1, 1} and take {-1, 1} as they are."""
    return loss.info.category == "hinge" and loss.info.labels == "dense"


@dataclass
class LossDiagnostics:
    """Mergeable counters for one loss over a stream of batches."""

    loss: BoundLoss
    rows: int = 0
    values: int = 0
    outside: _First = field(default_factory=_First)
    clipped: int = 0
    unnormalised: _First = field(default_factory=_First)
    bad_hinge: _First = field(default_factory=_First)
    hinge_zero: bool = False
    hinge_minus_one: bool = False
    true_classes: np.ndarray | None = None
    top_classes: np.ndarray | None = None

    def update(self, y_true: np.ndarray, y_pred: np.ndarray, rows: np.ndarray) -> None:
        """Count one batch; `rows` are the file rows of the batch's rows."""
        n = len(y_pred)
        self.rows += n
        if not n:
            return
        if is_probability_loss(self.loss):
            self._probabilities(y_pred.reshape(n, -1), rows)
        if renormalises(self.loss) and y_pred.ndim >= 2 and y_pred.shape[-1] >= 2:
            self._classes(y_true, y_pred)
            if is_probability_loss(self.loss):
                k = y_pred.shape[-1]
                sums = (y_pred.reshape(-1, k) @ np.ones(k, y_pred.dtype)).reshape(n, -1)  # BLAS
                off = _any_per_row(np.abs(sums - 1.0) > SUM_TOLERANCE)
                self.unnormalised.add(off, rows)
        if is_hinge(self.loss):
            flat = y_true.reshape(n, -1)
            bad = ~np.isin(flat, (-1.0, 0.0, 1.0)) & np.isfinite(flat)
            self.bad_hinge.add(_any_per_row(bad), rows)
            self.hinge_zero |= bool((flat == 0).any())
            self.hinge_minus_one |= bool((flat == -1).any())

    def _probabilities(self, y_pred: np.ndarray, rows: np.ndarray) -> None:
        low, high = y_pred.min(initial=np.inf), y_pred.max(initial=-np.inf)
        if low >= EPS and high <= 1 - EPS:  # the usual case (a NaN fails it and counts below)
            self.values += y_pred.size
            return
        finite = np.isfinite(y_pred)
        self.values += int(finite.sum())
        outside = ((y_pred < 0) | (y_pred > 1)) & finite
        self.outside.add(_any_per_row(outside), rows)
        inside = ~outside & finite
        self.clipped += int((inside & ((y_pred < EPS) | (y_pred > 1 - EPS))).sum())

    def _classes(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        """Counts per class in y_true and as top prediction, until every class was on top."""
        k = y_pred.shape[-1]
        if self.top_classes is not None and len(self.top_classes) == k and self.top_classes.all():
            return  # no class can be "never predicted" any more: skip the work
        flat = y_pred.reshape(-1, k)
        if self.loss.info.labels == "sparse" and y_true.size == len(flat):
            labels = y_true.reshape(-1)
            labels = labels[np.isfinite(labels) & (labels >= 0) & (labels < k)].astype(np.int64)
            seen = np.bincount(labels, minlength=k)
        elif y_true.shape == y_pred.shape:
            seen = np.ones(len(flat), y_true.dtype) @ y_true.reshape(-1, k)  # counts of one-hot
        else:
            return
        self.true_classes = _add_counts(self.true_classes, seen)
        top = np.bincount(np.argmax(flat, axis=1), minlength=k)
        self.top_classes = _add_counts(self.top_classes, top)

    def merge(self, other: LossDiagnostics) -> None:
        self.rows += other.rows
        self.values += other.values
        self.outside.merge(other.outside)
        self.clipped += other.clipped
        self.unnormalised.merge(other.unnormalised)
        self.bad_hinge.merge(other.bad_hinge)
        self.hinge_zero |= other.hinge_zero
        self.hinge_minus_one |= other.hinge_minus_one
        self.true_classes = _add_counts(self.true_classes, other.true_classes)
        self.top_classes = _add_counts(self.top_classes, other.top_classes)

    def warnings(self) -> list[Diagnostic]:
        name = self.loss.canonical()
        out: list[Diagnostic] = []
        if self.outside.count:
            out.append(
                Diagnostic(
                    "logits",
                    f"{name}: y_pred has values outside [0, 1] ({self.outside.where()}) but "
                    "from_logits=false: these look like logits: try "
                    f"'{self.loss.name}(from_logits=true)'",
                )
            )
        if self.values and self.clipped / self.values > CLIP_SHARE:
            out.append(
                Diagnostic(
                    "clipped",
                    f"{name}: {self.clipped:,} of {self.values:,} y_pred values "
                    f"({self.clipped / self.values:.0%}) are within {EPS:g} of 0 or 1 and were "
                    f"clipped to [{EPS:g}, 1 - {EPS:g}] as Keras does, which caps their loss "
                    f"near {-math.log(EPS):.1f}; are these hard labels rather than probabilities?",
                )
            )
        if self.unnormalised.count and not self.outside.count:
            out.append(
                Diagnostic(
                    "unnormalised",
                    f"{name}: y_pred rows do not sum to 1 ({self.unnormalised.where()}); Keras "
                    "divides each row by its sum first, and so does losscli — check that every "
                    "class column is selected",
                )
            )
        out.extend(self._class_warnings(name))
        if self.bad_hinge.count or (self.hinge_zero and self.hinge_minus_one):
            where = f" ({self.bad_hinge.where()})" if self.bad_hinge.count else ""
            out.append(
                Diagnostic(
                    "hinge-labels",
                    f"{name}: y_true labels are neither all in {{0, 1}} nor all in {{-1, 1}}"
                    f"{where}; hinge losses expect one of the two",
                )
            )
        return out

    def _class_warnings(self, name: str) -> list[Diagnostic]:
        if self.true_classes is None or self.top_classes is None:
            return []
        missing = [
            k
            for k in range(len(self.top_classes))
            if self.top_classes[k] == 0 and self.true_classes[k] > 0
        ]
        if not missing:
            return []
        shown = ", ".join(str(k) for k in missing[:10]) + (", …" if len(missing) > 10 else "")
        return [
            Diagnostic(
                "unpredicted-class",
                f"{name}: class {shown} occurs in y_true but is never the top prediction in "
                "y_pred; are the y_pred columns in the same order as the classes?",
            )
        ]


def _any_per_row(mask: np.ndarray) -> np.ndarray:
    """`mask.any(axis=1)` for an (n, k) mask, without the slow reduction when k is 1."""
    return mask[:, 0] if mask.shape[1] == 1 else mask.any(axis=1)


def _add_counts(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return b if a is None else a
    if len(a) < len(b):
        a, b = b, a
    out = a.copy()
    out[: len(b)] += b
    return out


@dataclass
class WeightDiagnostics:
    """Negative and all-zero sample weights: Keras accepts both, the result rarely means much."""

    negative: _First = field(default_factory=_First)
    rows: int = 0
    nonzero: bool = False

    def update(self, weights: np.ndarray, rows: np.ndarray) -> None:
        self.rows += len(weights)
        self.negative.add(weights < 0, rows)
        self.nonzero |= bool((weights != 0).any())

    def merge(self, other: WeightDiagnostics) -> None:
        self.negative.merge(other.negative)
        self.rows += other.rows
        self.nonzero |= other.nonzero

    def warnings(self) -> list[Diagnostic]:
        out = []
        if self.negative.count:
            out.append(
                Diagnostic(
                    "negative-weights",
                    f"sample weights are negative ({self.negative.where()}); Keras multiplies "
                    "by them anyway, so those rows lower the loss",
                )
            )
        if self.rows and not self.nonzero:
            out.append(
                Diagnostic(
                    "zero-weights",
                    "every sample weight is 0, so every weighted reduction is 0 (Keras's "
                    "divide_no_nan); is --sample-weight the right column?",
                )
            )
        return out


@dataclass
class Diagnostics:
    """All the counters of one evaluation: one per loss, plus the weights."""

    losses: list[LossDiagnostics]
    weights: WeightDiagnostics = field(default_factory=WeightDiagnostics)

    @classmethod
    def for_losses(cls, losses: Sequence[BoundLoss]) -> Diagnostics:
        return cls([LossDiagnostics(loss) for loss in losses])

    def update(
        self,
        y_true: np.ndarray,
        y_pred: np.ndarray,
        weights: np.ndarray | None,
        rows: np.ndarray,
    ) -> None:
        for state in self.losses:
            state.update(y_true, y_pred, rows)
        if weights is not None:
            self.weights.update(weights, rows)

    def merge(self, other: Diagnostics) -> None:
        for mine, theirs in zip(self.losses, other.losses, strict=True):
            mine.merge(theirs)
        self.weights.merge(other.weights)

    def warnings(self) -> list[Diagnostic]:
        out = [w for state in self.losses for w in state.warnings()]
        return out + self.weights.warnings()


def result_warnings(results: Sequence[Any]) -> list[Diagnostic]:
    """Losses that gave NaN: never a NaN result without a word."""
    out = []
    for result in results:
        if result.nan_count:
            out.append(
                Diagnostic(
                    "nan-loss",
                    f"{result.loss.canonical()}: {result.nan_count:,} rows give a NaN loss "
                    f"(first at row {result.first_nan_row}), so the result is NaN; check the "
                    "inputs there",
                )
            )
        elif not math.isfinite(result.value):
            out.append(
                Diagnostic(
                    "nan-loss",
                    f"{result.loss.canonical()}: the result is {result.value}; check the inputs",
                )
            )
    return out

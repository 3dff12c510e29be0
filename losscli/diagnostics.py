"""Warnings about inputs that give a number but probably not the one the user meant.

Each check is a streaming counter over batches (`update` per batch, `merge` across
partitions), cheap (a few vectorised comparisons), and chosen from a loss's registry
metadata — its category, label kind and `from_logits` parameter — not from a list of names.
Warnings are returned as values; the CLI prints them (and `--strict` fails on them).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losscli.class_order import CONFUSION_ROWS, ClassOrder
from losscli.clipping import CLIP_FLOOR, EPS, clip_change, clip_message, wrong_side_rows
from losscli.registry import BoundLoss

#: a probability row "sums to 1" within this: Keras's renormalising then moves each row's
#: loss by under 0.01 (log of the sum), and probabilities written with 3 decimals pass
SUM_TOLERANCE = 1e-2
#: rows of probabilities needed before `from_logits=true` is called a mistake
MIN_PROBABILITY_ROWS = 10


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
        if self.count == 1:
            return f"1 row: row {self.row}"
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


def takes_logits(loss: BoundLoss) -> bool:
    """A loss told that y_pred holds logits: `from_logits=true`."""
    return bool(loss.params.get("from_logits"))


@dataclass
class LossDiagnostics:
    """Mergeable counters for one loss over a stream of batches."""

    loss: BoundLoss
    rows: int = 0
    outside: _First = field(default_factory=_First)
    #: loss values (rows, or rows × timesteps) and what clipping took off their sum
    loss_values: int = 0
    clip_change: float = 0.0
    capped: _First = field(default_factory=_First)
    unnormalised: _First = field(default_factory=_First)
    #: under from_logits=true: rows that look like probabilities, until one does not
    probability_rows: int = 0
    not_probabilities: bool = False
    bad_hinge: _First = field(default_factory=_First)
    hinge_zero: bool = False
    hinge_minus_one: bool = False
    order: ClassOrder = field(default_factory=ClassOrder)

    def update(self, y_true: np.ndarray, y_pred: np.ndarray, rows: np.ndarray) -> None:
        """Count one batch; `rows` are the file rows of the batch's rows."""
        n = len(y_pred)
        self.rows += n
        if not n:
            return
        flat = y_pred.reshape(n, -1)
        classes = renormalises(self.loss) and y_pred.ndim >= 2 and y_pred.shape[-1] >= 2
        if classes:
            self._classes(y_true, y_pred)
        if is_probability_loss(self.loss):
            if classes:
                self.unnormalised.add(self._row_sums_off(y_pred), rows)
            self._probabilities(y_true, y_pred, flat, rows)
        elif takes_logits(self.loss) and not self.not_probabilities:
            self._probabilities_as_logits(y_pred, flat, classes)
        if is_hinge(self.loss):
            flat_true = y_true.reshape(n, -1)
            bad = ~np.isin(flat_true, (-1.0, 0.0, 1.0)) & np.isfinite(flat_true)
            self.bad_hinge.add(_any_per_row(bad), rows)
            self.hinge_zero |= bool((flat_true == 0).any())
            self.hinge_minus_one |= bool((flat_true == -1).any())

    def _row_sums_off(self, y_pred: np.ndarray) -> np.ndarray:
        """Rows (of the batch) with a class vector not summing to 1."""
        n, k = len(y_pred), y_pred.shape[-1]
        sums = (y_pred.reshape(-1, k) @ np.ones(k, y_pred.dtype)).reshape(n, -1)  # BLAS
        return _any_per_row(~(np.abs(sums - 1.0) <= SUM_TOLERANCE))

    def _probabilities(
        self,
        y_true: np.ndarray,
        y_pred: np.ndarray,
        flat: np.ndarray,
        rows: np.ndarray,
    ) -> None:
        """Values outside [0, 1] (logits?), and how much Keras's clipping changed the loss."""
        self.loss_values += flat.size // y_pred.shape[-1] if y_pred.ndim >= 2 else len(flat)
        low, high = flat.min(initial=np.inf), flat.max(initial=-np.inf)
        if low >= 2 * EPS and high <= 1 - EPS:
            return  # the usual case (a NaN fails it and is looked at below)
        candidates = wrong_side_rows(self.loss, y_true, y_pred)
        if not (low >= 0 and high <= 1):  # values outside [0, 1], or NaN: the rarer path
            finite = np.isfinite(flat)
            outside = ((flat < 0) | (flat > 1)) & finite
            self.outside.add(_any_per_row(outside), rows)
            candidates &= finite.all(axis=1) & ~outside.any(axis=1)
        if not candidates.any():
            return
        change = clip_change(self.loss, y_true[candidates], y_pred[candidates])
        per_row = change.reshape(len(change), -1).sum(axis=1)
        self.clip_change += float(per_row.sum())
        hit = np.zeros(len(flat), dtype=bool)
        hit[candidates] = per_row > CLIP_FLOOR
        self.capped.add(hit, rows)

    def _probabilities_as_logits(self, y_pred: np.ndarray, flat: np.ndarray, classes: bool) -> None:
        """Under from_logits=true: every value in [0, 1] (and every class row summing to 1)
        means probabilities were given; the first batch of real logits ends the check."""
        low, high = flat.min(initial=np.inf), flat.max(initial=-np.inf)
        if not (low >= 0 and high <= 1) or (classes and self._row_sums_off(y_pred).any()):
            self.not_probabilities = True
            return
        self.probability_rows += len(flat)

    def _classes(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        """The true class of each row (-1: none) against its top column, for ClassOrder."""
        if self.order.rows >= CONFUSION_ROWS:
            return
        k = y_pred.shape[-1]
        scores = y_pred.reshape(-1, k)
        if self.loss.info.labels == "sparse" and y_true.size == len(scores):
            labels = y_true.reshape(-1)
            valid = np.isfinite(labels) & (labels >= 0) & (labels < k)
            if self.loss.params.get("ignore_class") is not None:
                valid &= labels != self.loss.params["ignore_class"]
            true_class = np.where(valid, labels, -1).astype(np.int64)
        elif y_true.shape == y_pred.shape:
            onehot = y_true.reshape(-1, k)
            true_class = np.where(onehot.max(axis=1) > 0, np.argmax(onehot, axis=1), -1)
        else:
            return
        self.order.update(true_class, scores)

    def merge(self, other: LossDiagnostics) -> None:
        self.rows += other.rows
        self.outside.merge(other.outside)
        self.loss_values += other.loss_values
        self.clip_change += other.clip_change
        self.capped.merge(other.capped)
        self.unnormalised.merge(other.unnormalised)
        self.probability_rows += other.probability_rows
        self.not_probabilities |= other.not_probabilities
        self.bad_hinge.merge(other.bad_hinge)
        self.hinge_zero |= other.hinge_zero
        self.hinge_minus_one |= other.hinge_minus_one
        self.order.merge(other.order)

    def warnings(self, result: Any = None) -> list[Diagnostic]:
        """The warnings for this loss; `result` (its LossResult) lets the clipping warning
        weigh the change against the loss itself."""
        name = self.loss.canonical()
        out: list[Diagnostic] = []
        if self.outside.count:
            out.append(
                Diagnostic(
                    "logits",
                    f"{name}: y_pred has values outside [0, 1] ({self.outside.where()}) but "
                    "from_logits=false: these look like logits: try "
                    f"'{self._with_logits(True)}'",
                )
            )
        clipped = self._clip_warning(name, result)
        if clipped:
            out.append(clipped)
        if self.unnormalised.count and not self.outside.count:
            out.append(
                Diagnostic(
                    "unnormalised",
                    f"{name}: y_pred rows do not sum to 1 ({self.unnormalised.where()}); Keras "
                    "divides each row by its sum first, and so does losscli — check that every "
                    "class column is selected",
                )
            )
        if self.probability_rows >= MIN_PROBABILITY_ROWS and not self.not_probabilities:
            out.append(self._probabilities_warning(name))
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

    def _with_logits(self, value: bool) -> str:
        """The spec of this loss with from_logits set to `value`: the fix, as typed."""
        params = {**self.loss.params, "from_logits": value}
        return dataclasses.replace(self.loss, params=params).canonical()

    def _probabilities_warning(self, name: str) -> Diagnostic:
        if renormalises(self.loss):
            what = (
                "every y_pred row is in [0, 1] and sums to 1",
                "softmax makes such rows nearly uniform",
            )
        else:
            what = ("every y_pred value is in [0, 1]", "the sigmoid squeezes them into [0.5, 0.73]")
        return Diagnostic(
            "probabilities",
            f"{name}: {what[0]} ({self.probability_rows:,} rows) but from_logits=true: these "
            f"look like probabilities, and {what[1]}, so the loss is wrong; if they are "
            f"probabilities, use '{self._with_logits(False)}'",
        )

    def _clip_warning(self, name: str, result: Any) -> Diagnostic | None:
        if not self.loss_values or not self.capped.count:
            return None
        change = self.clip_change / self.loss_values
        logits = self._with_logits(True)
        message = clip_message(change, _per_value(result), self.capped.where(), logits)
        return None if message is None else Diagnostic("clipped", f"{name}: {message}")

    def _class_warnings(self, name: str) -> list[Diagnostic]:
        found = self.order.mismatch()
        if found is None:
            return []
        rows, given, better, moved = found
        shown = ", ".join(f"column {col} as class {c}" for col, c in moved[:5])
        return [
            Diagnostic(
                "class-order",
                f"{name}: the top y_pred column is the y_true class in {given / rows:.0%} of "
                f"rows, but would be in {better / rows:.0%} with the columns in another order "
                f"({shown}{', …' if len(moved) > 5 else ''}); are the y_pred columns in the "
                "order of the class indices? list them in class order with --y-pred a,b,c",
            )
        ]


def _any_per_row(mask: np.ndarray) -> np.ndarray:
    """`mask.any(axis=1)` for an (n, k) mask, without the slow reduction when k is 1."""
    return mask[:, 0] if mask.shape[1] == 1 else mask.any(axis=1)


def _per_value(result: Any) -> float | None:
    """A LossResult's loss per value (its `sum` divided by the count), or None."""
    if result is None or not math.isfinite(result.value):
        return None
    if result.reduction == "sum":
        return result.value / result.count if result.count else None
    return result.value


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

    def warnings(self, results: Sequence[Any] | None = None) -> list[Diagnostic]:
        """Every warning; `results` (the LossResults, in loss order) when known."""
        known = list(results) if results is not None else [None] * len(self.losses)
        out = [w for state, r in zip(self.losses, known, strict=True) for w in state.warnings(r)]
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

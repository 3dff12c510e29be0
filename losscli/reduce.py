"""Weighting, masking and reduction, in one place, as mergeable accumulators.

Keras's `reduce_weighted_values` sees one batch; losscli sees a stream of batches (or
partitions on other machines). An accumulator keeps additive statistics (masked weighted
sum, count, valid count, weight sum) and the Keras reductions are computed from the
merged state at the end. Sums are taken over fixed blocks of rows counted from the start of
the file and combined exactly, so the result is bit-identical whatever the batch size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")

#: Rows per summation block; a block sum is numpy's pairwise sum, blocks are added exactly.
BLOCK = 1 << 16


class ExactSum:
    """A float64 sum of a stream that does not depend on how the stream was cut into batches.

    Full blocks are summed pairwise by numpy (fast, error ~1e-16 relative); block sums and
    the last partial block are added exactly, so only the fixed block layout matters.
    """

    def __init__(self) -> None:
        self._partials: list[float] = []  # Shewchuk's non-overlapping partials: exact
        self._pending: list[np.ndarray] = []
        self._pending_len = 0

    def add(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        if self._pending_len + len(values) < BLOCK:
            self._pending.append(values)
            self._pending_len += len(values)
            return
        if self._pending:
            values = np.concatenate([*self._pending, values])
            self._pending, self._pending_len = [], 0
        full = len(values) // BLOCK * BLOCK
        for block_sum in values[:full].reshape(-1, BLOCK).sum(axis=1).tolist():
            self._add_exact(block_sum)
        rest = values[full:]
        if len(rest):
            self._pending, self._pending_len = [rest.copy()], len(rest)

    def _add_exact(self, x: float) -> None:
        partials = self._partials
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x]

    def merge(self, other: ExactSum) -> None:
        for partial in other._partials:
            self._add_exact(partial)
        for chunk in other._pending:
            self.add(chunk)

    @property
    def value(self) -> float:
        tail = np.concatenate(self._pending).tolist() if self._pending else []
        return math.fsum([*self._partials, *tail])


@dataclass
class Accumulator:
    """Additive state of one loss over a stream; `merge` combines partitions."""

    weighted: bool = False
    keep_values: bool = False
    loss_sum: ExactSum = field(default_factory=ExactSum)
    weight_sum: ExactSum = field(default_factory=ExactSum)
    count: int = 0
    valid: int = 0
    masked: bool = False
    scalar: float | None = None
    nan_count: int = 0
    first_nan_row: int | None = None
    values: list[np.ndarray] = field(default_factory=list)

    def update(
        self,
        losses: np.ndarray,
        weights: np.ndarray | None,
        mask: np.ndarray | None,
        first_row: int,
    ) -> None:
        """Add one batch of per-sample losses (shape (n,), or a 0-d batch-level scalar)."""
        n = len(weights) if weights is not None else None
        if losses.ndim == 0:
            # A loss Keras computes for the whole batch (Dice with axis=None): every row
            # shares the value; weights then scale it per row, as Keras broadcasts them.
            self.scalar = float(losses)
            losses = np.full(n if n is not None else 1, losses, dtype=losses.dtype)
        losses = np.asarray(losses, dtype=np.float64).reshape(-1)
        if mask is not None:
            self.masked = True
            mask = np.asarray(mask, dtype=bool).reshape(-1)
        weighted = weigh(losses, weights, mask)
        self.loss_sum.add(weighted)
        if weights is not None:
            self.weight_sum.add(weights if mask is None else np.where(mask, weights, 0.0))
        self.count += len(losses)
        self.valid += len(losses) if mask is None else int(mask.sum())
        bad = np.isnan(weighted)
        if bad.any():
            self.nan_count += int(bad.sum())
            if self.first_nan_row is None:
                self.first_nan_row = first_row + int(np.argmax(bad))
        if self.keep_values:
            self.values.append(weighted)

    def merge(self, other: Accumulator) -> None:
        self.loss_sum.merge(other.loss_sum)
        self.weight_sum.merge(other.weight_sum)
        self.count += other.count
        self.valid += other.valid
        self.masked |= other.masked
        self.scalar = other.scalar if other.scalar is not None else self.scalar
        if self.first_nan_row is None:
            self.first_nan_row = other.first_nan_row
        self.nan_count += other.nan_count
        self.values.extend(other.values)

    def reduce(self, reduction: str) -> float:
        """The Keras reduction of everything accumulated so far."""
        if self.scalar is not None and not self.weighted:
            return self.scalar  # Keras returns a scalar loss unreduced
        total = self.loss_sum.value
        if reduction == "sum":
            return total
        if reduction in ("sum_over_batch_size", "mean", "none"):
            divisor = self.valid if self.masked else self.count
        elif reduction == "mean_with_sample_weight":
            if self.weighted:
                divisor = self.weight_sum.value
            else:
                divisor = self.valid if self.masked else self.count
        else:
            raise ValueError(f"unknown reduction {reduction!r}")
        return _divide_no_nan(total, divisor)

    def per_sample(self) -> np.ndarray:
        """The `reduction='none'` values: loss × weight (× mask), one per sample."""
        if self.scalar is not None and not self.weighted:
            return np.asarray([self.scalar])
        return np.concatenate(self.values) if self.values else np.empty(0)

    @property
    def total_weight(self) -> float:
        return self.weight_sum.value if self.weighted else float(self.valid)


def weigh(losses: np.ndarray, weights: np.ndarray | None, mask: np.ndarray | None) -> np.ndarray:
    """Per-sample loss × weight, 0 where masked: what `reduction='none'` reports per row."""
    weighted = losses if weights is None else losses * weights
    if mask is not None:
        weighted = np.where(np.asarray(mask, dtype=bool).reshape(-1), weighted, 0.0)
    return weighted


def _divide_no_nan(numerator: float, denominator: float) -> float:
    if denominator == 0:
        return 0.0
    return numerator / denominator


def merge_all(accumulators: Sequence[Accumulator]) -> Accumulator:
    """Combine the states of partitions evaluated separately (e.g. by Dask or Spark tasks)."""
    first, *rest = accumulators
    merged = Accumulator(weighted=first.weighted, keep_values=first.keep_values)
    for acc in (first, *rest):
        merged.merge(acc)
    return merged

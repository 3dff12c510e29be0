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
    Infinities and NaN are kept apart and added as floats add them (inf + -inf is NaN).
    """

    def __init__(self) -> None:
        self._partials: list[float] = []  # Shewchuk's non-overlapping partials: exact
        self._pending: list[np.ndarray] = []
        self._pending_len = 0
        self._special = 0.0  # the sum of the non-finite values; 0.0 while there are none

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
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN, said elsewhere
            block_sums = values[:full].reshape(-1, BLOCK).sum(axis=1).tolist()
        for block_sum in block_sums:
            self._add_exact(block_sum)
        rest = values[full:]
        if len(rest):
            self._pending, self._pending_len = [rest.copy()], len(rest)

    def _add_exact(self, x: float) -> None:
        if not math.isfinite(x):
            self._special += x
            return
        partials = self._partials
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            if not math.isfinite(hi):  # the sum overflows float64: it is ±inf, as in Keras
                self._special += hi
                partials[i:] = []
                return
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x]

    def merge(self, other: ExactSum) -> None:
        self._special += other._special
        for partial in other._partials:
            self._add_exact(partial)
        for chunk in other._pending:
            self.add(chunk)

    @property
    def value(self) -> float:
        tail = np.concatenate(self._pending) if self._pending else np.empty(0)
        finite = np.isfinite(tail)
        special = self._special
        if not finite.all():
            with np.errstate(invalid="ignore"):
                special += float(np.sum(tail[~finite]))
        terms = [*self._partials, *tail[finite].tolist()]
        try:
            total = math.fsum(terms)
        except OverflowError:  # finite terms whose sum exceeds float64: ±inf, as Keras gives
            total = math.copysign(math.inf, sum(terms))
        return total + special if special else total


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
    #: a float mask's sum: the divisor of torch's class-weighted mean (None: masks are boolean)
    mask_weight: ExactSum | None = None
    scalar: float | None = None
    nan_count: int = 0
    first_nan_row: int | None = None
    values: list[np.ndarray] = field(default_factory=list)
    dtype: np.dtype = field(default_factory=lambda: np.dtype(np.float64))

    def update(
        self,
        losses: np.ndarray,
        weights: np.ndarray | None,
        mask: np.ndarray | None,
        first_row: int,
    ) -> None:
        """Add one batch of per-sample losses: shape (n,), (n, T, …) for sequence outputs
        (Keras reduces only the last axis, and its reductions count every value), or a 0-d
        batch-level scalar. A per-row weight covers all of its row's values."""
        n = len(weights) if weights is not None else None
        if losses.ndim == 0:
            # A loss Keras computes for the whole batch (Dice with axis=None): every row
            # shares the value; weights then scale it per row, as Keras broadcasts them.
            self.scalar = float(losses)
            losses = np.full(n if n is not None else 1, losses, dtype=losses.dtype)
        losses = np.asarray(losses)
        if not np.issubdtype(losses.dtype, np.floating):
            losses = losses.astype(np.float64)
        # Keras weighs in the compute dtype (float32 rounds and overflows there); the sums
        # are then float64 and exact, and the result is rounded back to that dtype
        self.dtype = losses.dtype
        if mask is not None:
            self.masked = True
            if np.asarray(mask).dtype.kind == "f":
                # a float mask hides no value: it is each value's weight in the mean's
                # divisor (torch's class-weighted mean divides by the targets' weights)
                self.mask_weight = self.mask_weight or ExactSum()
                self.mask_weight.add(np.broadcast_to(per_row(mask, losses), losses.shape))
                mask = None
            else:
                mask = np.broadcast_to(per_row(np.asarray(mask, dtype=bool), losses), losses.shape)
        weighted = weigh(losses, weights, mask)
        self.loss_sum.add(weighted)
        if weights is not None:
            # Keras's divisor for mean_with_sample_weight is the sum of the weights it was
            # given, (N, 1) per row; a mask makes them (N, T) first, as in apply_mask
            self.weight_sum.add(
                weights
                if mask is None
                else np.where(mask, np.broadcast_to(per_row(weights, losses), mask.shape), 0.0)
            )
        self.count += losses.size
        self.valid += losses.size if mask is None else int(mask.sum())
        bad = np.isnan(weighted).reshape(-1)
        if bad.any():
            self.nan_count += int(bad.sum())
            if self.first_nan_row is None:
                values_per_row = max(1, losses.size // max(1, len(losses)))
                self.first_nan_row = first_row + int(np.argmax(bad)) // values_per_row
        if self.keep_values:
            self.values.append(weighted)

    def merge(self, other: Accumulator) -> None:
        self.loss_sum.merge(other.loss_sum)
        self.weight_sum.merge(other.weight_sum)
        self.count += other.count
        self.valid += other.valid
        self.masked |= other.masked
        if other.mask_weight is not None:
            self.mask_weight = self.mask_weight or ExactSum()
            self.mask_weight.merge(other.mask_weight)
        self.scalar = other.scalar if other.scalar is not None else self.scalar
        if self.first_nan_row is None:
            self.first_nan_row = other.first_nan_row
        self.nan_count += other.nan_count
        self.values.extend(other.values)
        self.dtype = np.result_type(self.dtype, other.dtype)

    def reduce(self, reduction: str) -> float:
        """The Keras reduction of everything accumulated so far."""
        if self.scalar is not None and not self.weighted:
            return self.scalar  # Keras returns a scalar loss unreduced
        total = self._rounded(self.loss_sum.value)  # Keras's sum is in the compute dtype
        if reduction == "sum" or (self.scalar is not None and self.count == 1):
            # one row: Keras squeezes the (1,) weight, so scalar × weight stays unreduced
            return self._rounded(total)
        if reduction in ("sum_over_batch_size", "mean", "none"):
            divisor = self._valid() if self.masked else self.count
        elif reduction == "mean_with_sample_weight":
            if self.weighted:
                divisor = self.weight_sum.value
            else:
                divisor = self._valid() if self.masked else self.count
        else:
            raise ValueError(f"unknown reduction {reduction!r}")
        return self._rounded(_divide_no_nan(total, divisor))

    def _valid(self) -> float:
        """What a masked mean divides by: the count of unmasked values, or a float mask's sum."""
        return self.valid if self.mask_weight is None else self.mask_weight.value

    def _rounded(self, value: float) -> float:
        """The value as the compute dtype holds it (float32 mode: a float32 number, or inf)."""
        with np.errstate(over="ignore"):
            return float(np.asarray(value, dtype=self.dtype))

    def per_sample(self) -> np.ndarray:
        """The `reduction='none'` values: loss × weight (× mask), one per sample."""
        if self.scalar is not None and not self.weighted:
            return np.asarray([self.scalar])
        return np.concatenate(self.values) if self.values else np.empty(0)

    @property
    def total_weight(self) -> float:
        return self.weight_sum.value if self.weighted else float(self.valid)


def weigh(losses: np.ndarray, weights: np.ndarray | None, mask: np.ndarray | None) -> np.ndarray:
    """Per-sample loss × weight, 0 where masked: what `reduction='none'` reports per row
    (per row and timestep for sequence outputs; a row's weight covers all its values)."""
    with np.errstate(over="ignore"):  # float32: 3e38 × 2 is inf, as in Keras
        weighted = losses if weights is None else losses * per_row(weights, losses)
    if mask is not None and np.asarray(mask).dtype.kind != "f":  # a float mask hides nothing
        weighted = np.where(per_row(np.asarray(mask, dtype=bool), weighted), weighted, 0.0)
    return weighted


def per_row(array: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A per-row array (n,) shaped to broadcast over `values` (n, T, …); else as it is."""
    array = np.asarray(array)
    if array.ndim == 1 and values.ndim > 1:
        return array.reshape(-1, *([1] * (values.ndim - 1)))
    return array


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

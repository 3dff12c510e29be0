"""Error analysis over the per-batch hook: per-group results, the K worst rows, the spread.

Memory: groups keep one mergeable Accumulator per (group, loss); the top-K list keeps K rows
per loss. The distribution keeps every per-sample value (8 bytes per row and loss) because
exact quantiles need them; it is only collected when asked for (the table view).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losscli.engine import Batch, BatchHook, LossResult, Output, finish
from losscli.errors import UsageError
from losscli.reduce import Accumulator, weigh
from losscli.registry import BoundLoss

QUANTILES = (("min", 0.0), ("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))


def per_sample(batch: Batch, output: Output, loss: BoundLoss) -> np.ndarray:
    """One loss's `reduction='none'` values for one batch, one per row."""
    values, mask = output
    n = len(batch.y_pred)
    if values.ndim == 0:
        raise UsageError(
            f"{loss.canonical()} gives one value for the whole batch, not one per row",
            hint="per-row breakdowns need a per-sample loss",
        )
    return weigh(np.asarray(values, dtype=np.float64).reshape(n), batch.sample_weight, mask)


def row_numbers(batch: Batch) -> np.ndarray:
    """The file row of each row of a batch (rows dropped by a NaN policy leave gaps)."""
    rows = getattr(batch, "rows", None)
    if rows is not None:
        return np.asarray(rows)
    return np.arange(batch.first_row, batch.first_row + len(batch.y_pred))


def kept_columns(patterns: Sequence[str], batch: Batch) -> list[str]:
    """`--keep` patterns (names, globs, #positions) resolved against a batch's kept columns."""
    from losscli.columns import resolve

    names: list[str] = []
    for pattern in patterns:
        names.extend(
            n for n in resolve(pattern, list(batch.columns), "keep", None) if n not in names
        )
    return names


def chain(hooks: Sequence[BatchHook | None]) -> BatchHook | None:
    """One hook that calls each given hook in turn (None when there are none)."""
    active = [h for h in hooks if h is not None]
    if not active:
        return None

    def run(batch: Batch, outputs: list[Output]) -> None:
        for hook in active:
            hook(batch, outputs)

    return run


@dataclass
class Groups:
    """`--group-by COL`: one Accumulator per (group value, loss), merged like any other."""

    column: str
    losses: Sequence[BoundLoss]
    weighted: bool = False
    states: dict[Any, list[Accumulator]] = field(default_factory=dict)

    def __call__(self, batch: Batch, outputs: list[Output]) -> None:
        import pyarrow.compute as pc

        self.weighted = batch.sample_weight is not None

        encoded = pc.dictionary_encode(batch.columns[self.column])
        if hasattr(encoded, "combine_chunks"):
            encoded = encoded.combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        keys = encoded.dictionary.to_pylist()
        null = encoded.indices.is_null().to_numpy(zero_copy_only=False)
        codes = np.where(null, len(keys), codes)
        keys.append(None)
        for code in np.unique(codes):
            rows = np.flatnonzero(codes == code)
            states = self.states.setdefault(keys[int(code)], self._fresh())
            w = None if batch.sample_weight is None else batch.sample_weight[rows]
            for loss, (values, mask), state in zip(self.losses, outputs, states, strict=True):
                if values.ndim == 0:
                    per_sample(batch, (values, mask), loss)  # raises
                state.update(
                    values[rows],
                    w,
                    None if mask is None else np.asarray(mask)[rows],
                    batch.first_row + int(rows[0]),
                )

    def _fresh(self) -> list[Accumulator]:
        return [Accumulator(weighted=self.weighted) for _ in self.losses]

    def results(self, reduction: str) -> list[tuple[Any, list[LossResult]]]:
        """(group value, results) sorted by group value, nulls last."""
        keys = sorted(self.states, key=lambda k: (k is None, str(k) if k is not None else ""))
        if all(isinstance(k, (int, float)) or k is None for k in keys):
            keys = sorted(self.states, key=lambda k: (k is None, k if k is not None else 0))
        red = "sum_over_batch_size" if reduction == "none" else reduction
        return [(k, finish(self.losses, self.states[k], red)) for k in keys]


@dataclass
class Worst:
    """One row of a top-K list."""

    row: int
    value: float
    keys: dict[str, Any]


@dataclass
class TopK:
    """`--top K`: the K rows with the largest loss per loss (NaN first: it needs a look)."""

    k: int
    losses: Sequence[BoundLoss]
    patterns: Sequence[str] = ()
    keep: list[str] = field(default_factory=list)
    best: list[list[Worst]] = field(default_factory=list)

    def __call__(self, batch: Batch, outputs: list[Output]) -> None:
        if not self.best:
            self.best = [[] for _ in self.losses]
            self.keep = kept_columns(self.patterns, batch)
        for i, (loss, output) in enumerate(zip(self.losses, outputs, strict=True)):
            values = per_sample(batch, output, loss)
            rank = np.where(np.isnan(values), np.inf, values)
            take = min(self.k, len(values))
            if take == 0:
                continue
            idx = np.argpartition(-rank, take - 1)[:take]
            keys = {c: batch.columns[c].take(idx).to_pylist() for c in self.keep}
            numbers = row_numbers(batch)
            found = [
                Worst(int(numbers[j]), float(values[j]), {c: keys[c][n] for c in self.keep})
                for n, j in enumerate(idx.tolist())
            ]
            merged = self.best[i] + found
            merged.sort(
                key=lambda w: (
                    not np.isnan(w.value),
                    -w.value if not np.isnan(w.value) else 0,
                    w.row,
                )
            )
            self.best[i] = merged[: self.k]

    def results(self) -> list[list[Worst]]:
        return self.best or [[] for _ in self.losses]


@dataclass
class Spread:
    """Quantiles and a histogram of one loss's per-sample values."""

    count: int
    nan_count: int
    quantiles: dict[str, float]
    edges: list[float]
    counts: list[int]


@dataclass
class Distribution:
    """Collects per-sample values for exact quantiles (see the module docstring on memory)."""

    losses: Sequence[BoundLoss]
    bins: int = 8
    chunks: list[list[np.ndarray]] = field(default_factory=list)

    def __call__(self, batch: Batch, outputs: list[Output]) -> None:
        if not self.chunks:
            self.chunks = [[] for _ in self.losses]
        for loss, output, chunks in zip(self.losses, outputs, self.chunks, strict=True):
            if output[0].ndim == 0:
                continue  # a batch-level value has no per-row spread
            chunks.append(per_sample(batch, output, loss))

    def results(self) -> list[Spread | None]:
        out: list[Spread | None] = []
        for chunks in self.chunks or [[] for _ in self.losses]:
            if not chunks:
                out.append(None)
                continue
            values = np.concatenate(chunks)
            finite = values[np.isfinite(values)]
            if not len(finite):
                out.append(Spread(len(values), len(values) - len(finite), {}, [], []))
                continue
            quantiles = {name: float(np.quantile(finite, q)) for name, q in QUANTILES}
            counts, edges = np.histogram(finite, bins=self.bins)
            out.append(
                Spread(
                    len(values),
                    len(values) - len(finite),
                    quantiles,
                    edges.tolist(),
                    counts.tolist(),
                )
            )
        return out

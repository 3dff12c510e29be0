"""Error analysis over the per-batch hook: per-group results, the K worst rows, the spread.

Memory: groups keep one mergeable Accumulator per (group, loss); the top-K list keeps K rows
per loss. The distribution keeps at most a fixed number of values per loss (exact quantiles
below it, a uniform sample above it); it is only collected for the table view.
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
    """One loss's `reduction='none'` values for one batch: (n,), or (n, T) for a sequence."""
    values, mask = output
    if values.ndim == 0:
        raise UsageError(
            f"{loss.canonical()} gives one value for the whole batch, not one per row",
            hint="per-row breakdowns need a per-sample loss",
        )
    return weigh(np.asarray(values, dtype=np.float64), batch.sample_weight, mask)


def one_per_row(values: np.ndarray, loss: BoundLoss, option: str) -> np.ndarray:
    """Per-sample values that must be one number per row (a ranking of rows needs that)."""
    if values.ndim > 1:
        raise UsageError(
            f"{option} ranks rows, but {loss.canonical()} gives {values[0].size} values per "
            "row (one per timestep) and no single one stands for the row",
            hint="use --per-sample FILE to get every timestep's value, or --group-by",
        )
    return values


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
    #: each group's rows for the losses that are one value for the whole batch
    kept: dict[tuple[Any, int], list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)

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
            for i, (loss, (values, mask), state) in enumerate(
                zip(self.losses, outputs, states, strict=True)
            ):
                if values.ndim == 0:
                    if loss.info.batch_level is None:
                        per_sample(batch, (values, mask), loss)  # raises
                    # a whole-file loss: each group is its own batch, computed in results()
                    part = (batch.y_true[rows], batch.y_pred[rows])
                    self.kept.setdefault((keys[int(code)], i), []).append(part)
                    continue
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
        from losscli.losses._batch import group_state

        for (key, i), parts in self.kept.items():
            self.states[key][i] = group_state(self.losses[i], parts, self.weighted)
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
            values = one_per_row(per_sample(batch, output, loss), loss, "--top")
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
    exact: bool = True


@dataclass
class _Sample:
    """A bounded, uniform, deterministic sample of a stream, with its exact min and max.

    Every value gets a pseudo-random key from a fixed seed (drawn in row order, so the keys do
    not depend on batch sizes); the `cap` values with the smallest keys are kept. Below `cap`
    values it is the whole stream, so quantiles are exact there.
    """

    cap: int
    count: int = 0
    nonfinite: int = 0
    low: float = np.inf
    high: float = -np.inf
    keys: np.ndarray = field(default_factory=lambda: np.empty(0))
    values: np.ndarray = field(default_factory=lambda: np.empty(0))
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))

    def add(self, chunk: np.ndarray) -> None:
        self.count += len(chunk)
        finite = chunk[np.isfinite(chunk)]
        self.nonfinite += len(chunk) - len(finite)
        if not len(finite):
            return
        self.low = min(self.low, float(finite.min()))
        self.high = max(self.high, float(finite.max()))
        fresh = self.rng.random(len(finite))
        if len(self.keys) >= self.cap:
            # full: only keys below the largest kept one can enter; the rest are dropped
            # before the partition, which keeps the same set and costs far less
            entering = fresh < self.keys.max()
            fresh, finite = fresh[entering], finite[entering]
        keys = np.concatenate([self.keys, fresh])
        values = np.concatenate([self.values, finite])
        if len(values) > self.cap:
            keep = np.argpartition(keys, self.cap)[: self.cap]
            keys, values = keys[keep], values[keep]
        self.keys, self.values = keys, values

    @property
    def exact(self) -> bool:
        return self.count - self.nonfinite <= self.cap


@dataclass
class Distribution:
    """Quantiles and a histogram of per-sample values in bounded memory.

    Exact up to `cap` finite values per loss (8 bytes each); beyond that, quantiles and the
    histogram come from a uniform sample of `cap` values (marked ≈), min and max stay exact.
    """

    losses: Sequence[BoundLoss]
    bins: int = 8
    cap: int = 1 << 20
    samples: list[_Sample] = field(default_factory=list)

    def __call__(self, batch: Batch, outputs: list[Output]) -> None:
        if not self.samples:
            self.samples = [_Sample(self.cap) for _ in self.losses]
        for loss, output, sample in zip(self.losses, outputs, self.samples, strict=True):
            if output[0].ndim == 0:
                continue  # a batch-level value has no per-row spread
            sample.add(per_sample(batch, output, loss).reshape(-1))  # every timestep counts

    def results(self) -> list[Spread | None]:
        out: list[Spread | None] = []
        for sample in self.samples or [_Sample(self.cap) for _ in self.losses]:
            if not sample.count:
                out.append(None)
                continue
            if not len(sample.values):
                out.append(Spread(sample.count, sample.nonfinite, {}, [], []))
                continue
            quantiles = {name: float(np.quantile(sample.values, q)) for name, q in QUANTILES}
            quantiles["min"], quantiles["max"] = sample.low, sample.high
            counts, edges = np.histogram(sample.values, bins=self.bins)
            out.append(
                Spread(
                    sample.count,
                    sample.nonfinite,
                    quantiles,
                    edges.tolist(),
                    counts.tolist(),
                    exact=sample.exact,
                )
            )
        return out

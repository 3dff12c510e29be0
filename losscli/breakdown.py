"""Error analysis over the per-batch hook: per-group results, the K worst rows, the spread.

Memory: groups keep one mergeable Accumulator per (group, loss); the top-K list keeps K rows
per loss. The distribution keeps at most a fixed number of values per loss (exact quantiles
below it, a uniform sample above it); it is only collected for the table view.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losscli.engine import Batch, BatchHook, LossResult, Output, finish
from losscli.errors import InputDataError, UsageError
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


#: --group-by's default bound on the number of groups (--max-groups raises it)
MAX_GROUPS = 1000


@dataclass
class Groups:
    """`--group-by COL`: one Accumulator per (group value, loss), merged like any other.

    Each group's result is what evaluating that group's rows alone gives, bit for bit. For
    per-sample losses the file's per-sample values are simply split by group; losses that
    look at their whole batch (Hinge's {0, 1} → {-1, +1} decision, Dice and Tversky with
    axis=None, Circle) get a prepass per group (`prepass`, called by the engine's prepass)
    and are then evaluated on each group's rows with that group's prepass, so every group is
    its own batch. At most `max_groups` groups: the run stops with exit 3 as soon as one
    more value appears, so memory stays bounded whatever the column's cardinality.
    """

    column: str
    losses: Sequence[BoundLoss]
    max_groups: int = MAX_GROUPS
    weighted: bool = False
    states: dict[Any, list[Accumulator]] = field(default_factory=dict)
    #: per group, per loss: the group's own prepass state (None for per-sample losses)
    prepasses: dict[Any, list[Any]] = field(default_factory=dict)
    extras: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from losscli.registry import needs_prepass

        self.whole = [needs_prepass(loss.info, loss.params) for loss in self.losses]

    def prepass(self, batch: Batch) -> None:
        """The engine's prepass batch: feed each group's rows to that group's prepasses."""
        for key, rows in self._split(batch, self.prepasses):
            states = self.prepasses.get(key)
            if states is None:
                states = self.prepasses[key] = [
                    loss.info.prepass(loss.params) if whole else None  # type: ignore[misc]
                    for loss, whole in zip(self.losses, self.whole, strict=True)
                ]
            for state in states:
                if state is not None:
                    state.update(batch.y_true[rows], batch.y_pred[rows])

    def __call__(self, batch: Batch, outputs: list[Output]) -> None:
        from losscli.engine import step_one

        self.weighted = batch.sample_weight is not None
        for key, rows in self._split(batch, self.states):
            states = self.states.setdefault(key, self._fresh())
            w = None if batch.sample_weight is None else batch.sample_weight[rows]
            first = batch.first_row + int(rows[0])
            own: Batch | None = None
            for i, (loss, (values, mask), state) in enumerate(
                zip(self.losses, outputs, states, strict=True)
            ):
                if self.whole[i]:
                    # this group is its own batch: the loss runs on its rows alone
                    own = own or Batch(
                        batch.y_true[rows],
                        batch.y_pred[rows],
                        w,
                        first,
                        mask=None if batch.mask is None else batch.mask[rows],
                    )
                    step_one(loss, self._extra(key, i), state, own)
                    continue
                if values.ndim == 0:
                    per_sample(batch, (values, mask), loss)  # raises
                state.update(
                    values[rows], w, None if mask is None else np.asarray(mask)[rows], first
                )

    def _extra(self, key: Any, i: int) -> dict[str, Any]:
        extras = self.extras.get(key)
        if extras is None:
            states = self.prepasses.get(key) or [None] * len(self.losses)
            extras = self.extras[key] = [{} if s is None else s.result() for s in states]
        return extras[i]

    def _split(self, batch: Batch, seen: Mapping[Any, Any]) -> Iterator[tuple[Any, np.ndarray]]:
        """(group value, row indices in order) of one batch; refuses a group beyond the bound
        before any state is made for it."""
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(batch.columns[self.column])
        if hasattr(encoded, "combine_chunks"):
            encoded = encoded.combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        keys = encoded.dictionary.to_pylist()
        null = encoded.indices.is_null().to_numpy(zero_copy_only=False)
        codes = np.where(null, len(keys), codes)
        keys.append(None)
        order = np.argsort(codes, kind="stable")  # rows of a group stay in file order
        present, starts = np.unique(codes[order], return_index=True)
        fresh = sum(1 for code in present if keys[int(code)] not in seen)
        if len(seen) + fresh > self.max_groups:
            raise InputDataError(
                f"--group-by {self.column}: more than {self.max_groups} groups (at least "
                f"{len(seen) + fresh} by row {row_numbers(batch)[-1]}); stopped reading",
                column=self.column,
                hint=f"group by a column with fewer values, or raise the bound with "
                f"--max-groups {max(self.max_groups * 10, len(seen) + fresh)}",
            )
        bounds = [*starts.tolist(), len(order)]
        for j, code in enumerate(present.tolist()):
            yield keys[int(code)], order[bounds[j] : bounds[j + 1]]

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

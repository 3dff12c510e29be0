"""Bootstrap confidence intervals in the one streaming pass: a Poisson bootstrap.

A classic bootstrap draws N rows with replacement B times, which needs every per-sample
value in memory. The Poisson bootstrap gives each row, in each replicate j, an independent
weight c ~ Poisson(1) instead (the limit of the multinomial counts), so every replicate is
a handful of sums that grow batch by batch: per loss, B × (loss sum, weight sum, value
count, row count). Memory is O(B), whatever the file size; the cost is O(B) per row.

The weights come from a counter-based generator: c = F(seed, row key, j), a hash, so a row
gets the same weights whatever the batch size or the order in which files are read. The
row key is the row's number in the file, or the hash of a key column: two models of the
same samples then get the same weights (a paired bootstrap for free, see losscli.compare).

Each replicate is reduced as Keras reduces the real loss: `sum_over_batch_size`/`mean`
divide by the replicate's value count (valid count under a mask), `mean_with_sample_weight`
by its weight sum; `sum` is rescaled to the file's row count (a Poisson replicate holds
about N rows, not exactly N, and that variation is not the sum's). Dice and Tversky with
`axis=None` keep each replicate's term sums and recompute the loss from them; Hinge keeps
the file's {0,1} → {-1,+1} decision (a resample of the same labels would make the same
one). Circle compares every pair of rows: its rows are kept (Circle keeps them anyway) and
each replicate re-evaluates it on the resampled rows, which costs B × N'² pairs, so it is
refused beyond a budget (RECOMPUTE_BUDGET). The interval is the percentile interval of the
B replicate values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losscli.engine import Batch, LossResult, Output
from losscli.errors import UsageError
from losscli.reduce import per_row, weigh
from losscli.registry import BoundLoss, needs_prepass

DEFAULT_REPLICATES = 1000
#: the most B × N² row pairs a whole-file loss (Circle) may be re-evaluated on: about 40 s
RECOMPUTE_BUDGET = 2 * 10**8
#: rows × replicates held at once while drawing weights (a few MB)
_CELLS = 1 << 20
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _poisson_table() -> np.ndarray:
    """Poisson(1) by inverse CDF on a 16-bit uniform u: X = #{k: 2^16 × P(X ≤ k) ≤ u}.

    Each probability is exact to 2^-16 (P(X = 0) is 0.367874 instead of 0.367879; X ≥ 8,
    1 in 10^5, is 8 with probability 2^-16): far below the Monte Carlo error of B replicates."""
    thresholds, cdf, term = [], 0.0, math.exp(-1.0)
    for k in range(40):
        cdf += term
        term /= k + 1
        if round(cdf * 65536) >= 65536:
            break
        thresholds.append(round(cdf * 65536))
    return np.searchsorted(np.asarray(thresholds), np.arange(65536), side="right").astype(
        np.float64
    )


_TABLE = _poisson_table()


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijective 64-bit hash (arithmetic wraps mod 2^64)."""
    x = x ^ (x >> np.uint64(30))
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def poisson_weights(keys: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """Poisson(1) weights, shape (len(keys), replicates): a pure function of (seed, key, j).

    One 64-bit hash of (seed, key, j // 4) gives four 16-bit uniforms, one per replicate."""
    keys = np.asarray(keys, dtype=np.uint64)
    salt = _mix(np.asarray([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))
    row = _mix(_mix(keys ^ salt) + _GOLDEN)
    words = -(-replicates // 4)
    steps = np.arange(1, words + 1, dtype=np.uint64) * _GOLDEN
    hashed = _mix(row[:, None] + steps[None, :])
    uniforms = hashed.astype("<u8", copy=False).view("<u2")[:, :replicates]  # any endianness
    return _TABLE[uniforms]


def key_hashes(column: Any) -> np.ndarray:
    """A key column (Arrow) → 64-bit row keys; keys are compared as text, so 7 and "7" match."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pandas.util import hash_array

    text = pc.cast(column, pa.string()).to_numpy(zero_copy_only=False)
    return hash_array(np.asarray(text, dtype=object)).astype(np.uint64)


@dataclass
class Interval:
    """A percentile bootstrap interval of one reduced loss."""

    level: float
    low: float
    high: float
    std_error: float
    replicates: int
    seed: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "low": _finite(self.low),
            "high": _finite(self.high),
            "std_error": _finite(self.std_error),
            "replicates": self.replicates,
            "seed": self.seed,
            "method": "poisson bootstrap, percentile interval",
        }


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def interval(values: np.ndarray, level: float, seed: int) -> Interval:
    """The percentile interval of replicate values (NaN bounds if any replicate is not finite)."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        return Interval(level, math.nan, math.nan, math.nan, len(values), seed)
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return Interval(
        level, float(low), float(high), float(np.std(values, ddof=1)), len(values), seed
    )


def check_level(level: float) -> None:
    if not 0 < level < 1:
        raise UsageError(f"confidence level {level} is not between 0 and 1", hint="e.g. 0.95")


def check_reduction(reduction: str) -> None:
    """An interval is of one number: refuse `none` before any reading."""
    if reduction == "none":
        raise UsageError(
            "a confidence interval needs one value per loss; --reduction none gives one per sample",
            hint="use another reduction",
        )


def _kind(loss: BoundLoss) -> str:
    """How a loss is resampled: per row, from term sums (Dice/Tversky axis=None), or by
    re-evaluating it on each replicate's rows (Circle, plugins that look at the whole file)."""
    if not needs_prepass(loss.info, loss.params):
        return "rows"
    state = loss.info.prepass(loss.params)  # type: ignore[misc]
    if hasattr(state, "terms"):
        return "totals"
    if type(state).__name__ == "BinaryLabels":
        return "rows"
    return "recompute"


@dataclass
class _Replicates:
    """One loss's per-replicate sums: loss × weight, weight, value count, rows (B × 4)."""

    kind: str
    sums: np.ndarray
    terms: dict[str, Any] = field(default_factory=dict)
    totals: np.ndarray | None = None  # B × len(terms), for kind == "totals"
    rows: int = 0
    kept: list[tuple[Any, ...]] = field(default_factory=list)  # kind == "recompute": the rows


class Bootstrap:
    """A BatchHook that keeps B replicates per loss; `intervals` turns them into intervals.

    `key_column` (a kept column) keys the weights by sample instead of by row number.
    """

    def __init__(
        self,
        losses: Sequence[BoundLoss],
        *,
        replicates: int = DEFAULT_REPLICATES,
        seed: int = 0,
        key_column: str | None = None,
    ) -> None:
        if replicates < 2:
            raise UsageError(f"--bootstrap {replicates} is too few", hint="use 1000 or more")
        self.losses = list(losses)
        self.replicates = replicates
        self.seed = seed
        self.key_column = key_column
        self.states = []
        for loss in self.losses:
            kind = _kind(loss)
            state = _Replicates(kind, np.zeros((replicates, 4)))
            if kind == "totals":
                state.terms = dict(loss.info.prepass(loss.params).terms)  # type: ignore[misc,union-attr]
                state.totals = np.zeros((replicates, len(state.terms)))
            self.states.append(state)

    def keys(self, batch: Batch) -> np.ndarray:
        if self.key_column is not None:
            return key_hashes(batch.columns[self.key_column])
        rows = batch.rows
        if rows is None:
            rows = np.arange(batch.first_row, batch.first_row + len(batch.y_pred))
        return np.asarray(rows, dtype=np.uint64)

    def __call__(self, batch: Batch, outputs: list[Output]) -> None:
        keys = self.keys(batch)
        n = len(keys)
        parts = [
            self._row_stats(batch, output, state)
            for output, state in zip(outputs, self.states, strict=True)
        ]
        stats = np.column_stack(parts)  # every loss's columns: one product per chunk
        edges = np.cumsum([0, *(p.shape[1] for p in parts)])
        chunk = max(1, _CELLS // self.replicates)
        summing = any(state.kind != "recompute" for state in self.states)
        for start in range(0, n if summing else 0, chunk):
            weights = poisson_weights(keys[start : start + chunk], self.replicates, self.seed)
            with np.errstate(invalid="ignore", over="ignore"):
                # einsum, not BLAS: a thin (k × n) @ (n × B) product is faster without threads
                summed = np.einsum("nk,nb->bk", stats[start : start + chunk], weights)
            for state, lo, hi in zip(self.states, edges[:-1], edges[1:], strict=True):
                state.sums += summed[:, lo : lo + 4]
                if state.totals is not None:
                    state.totals += summed[:, lo + 4 : hi]
        for state, loss in zip(self.states, self.losses, strict=True):
            state.rows += n
            if state.kind == "recompute":
                self._check_budget(loss, state.rows)
                state.kept.append((batch.y_true, batch.y_pred, batch.sample_weight, keys))

    def _row_stats(self, batch: Batch, output: Output, state: _Replicates) -> np.ndarray:
        """Per row: loss × weight summed over the row's values, weight, value count, 1
        (and each term's row sum for Dice/Tversky with axis=None)."""
        values, mask = output
        n = len(batch.y_pred)
        w = batch.sample_weight
        weight = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
        if state.kind == "recompute":
            return np.zeros((n, 4))
        if state.kind == "totals":
            from losscli.losses._common import as_pred_dtype

            t, p = as_pred_dtype(batch.y_true, batch.y_pred)
            terms = [
                np.asarray(term(t, p), dtype=np.float64).reshape(n, -1).sum(axis=1)
                for term in state.terms.values()
            ]
            return np.column_stack([np.zeros(n), weight, np.ones(n), np.ones(n), *terms])
        values = np.asarray(values, dtype=np.float64)
        weighted = weigh(values, None if w is None else weight, mask)
        per_value = max(1, values.size // max(n, 1))
        if mask is None:
            count = np.full(n, float(per_value))
        else:
            shaped = np.broadcast_to(per_row(np.asarray(mask, dtype=bool), values), values.shape)
            count = shaped.reshape(n, -1).sum(axis=1).astype(np.float64)
            if w is not None:  # Keras's divisor is then the weight of the valid values
                weight = weight * count
        return np.column_stack([weighted.reshape(n, -1).sum(axis=1), weight, count, np.ones(n)])

    def replicate_values(self, index: int, result: LossResult) -> np.ndarray:
        """The B replicate values of loss `index`, reduced as `result` was."""
        state = self.states[index]
        if state.kind == "recompute":
            return self._recompute(index, result)
        loss_sum, weight_sum, count, rows = state.sums.T
        weighted = result.weight_sum is not None
        if state.kind == "totals":
            loss = self.losses[index]
            totals = {name: state.totals[:, i] for i, name in enumerate(state.terms)}  # type: ignore[index]
            probe = np.zeros((1, 1))
            scalar = np.asarray(
                loss.info.fn(probe, probe, **loss.params, totals=totals), dtype=np.float64
            )
            if not weighted:
                return scalar
            loss_sum = scalar * weight_sum
        return _reduce(result.reduction, loss_sum, weight_sum, count, rows, state.rows, weighted)

    def _check_budget(self, loss: BoundLoss, rows: int) -> None:
        """Refuse (as soon as the rows read say so) a whole-file loss too costly to re-evaluate."""
        if rows * rows * self.replicates <= RECOMPUTE_BUDGET:
            return
        raise UsageError(
            f"{loss.canonical()} looks at the whole file, so each bootstrap replicate "
            f"re-evaluates it on its resampled rows: {self.replicates} replicates of {rows:,}+ "
            f"rows would compare about {rows * rows * self.replicates:.1e} row pairs (the "
            f"limit is {RECOMPUTE_BUDGET:.0e})",
            hint=f"use --bootstrap {max(2, RECOMPUTE_BUDGET // max(rows * rows, 1))} or fewer "
            "rows (--limit), or drop --ci for this loss",
        )

    def _recompute(self, index: int, result: LossResult) -> np.ndarray:
        """Evaluate the loss on each replicate's rows (row i repeated c_ij times)."""
        from losscli.engine import evaluate_arrays

        state, loss = self.states[index], self.losses[index]
        n = state.rows
        t, p, w, keys = (
            None if parts[0] is None else np.concatenate(parts)
            for parts in zip(*state.kept, strict=True)
        )
        counts = poisson_weights(keys, self.replicates, self.seed).astype(np.int64)  # type: ignore[arg-type]
        out = np.empty(self.replicates)
        for j in range(self.replicates):
            rows = np.repeat(np.arange(n), counts[:, j])
            if not len(rows):
                out[j] = np.nan
                continue
            (value,) = evaluate_arrays(
                [loss], t[rows], p[rows], None if w is None else w[rows], reduction=result.reduction
            )
            scale = n / len(rows) if result.reduction == "sum" else 1.0
            out[j] = value.value * scale
        return out

    def intervals(self, results: Sequence[LossResult], level: float) -> list[Interval]:
        return [
            interval(self.replicate_values(i, r), level, self.seed) for i, r in enumerate(results)
        ]


def _reduce(
    reduction: str,
    loss_sum: np.ndarray,
    weight_sum: np.ndarray,
    count: np.ndarray,
    rows: np.ndarray,
    total_rows: int,
    weighted: bool,
) -> np.ndarray:
    """Keras's reductions of each replicate's sums (0 where a divisor is 0, as divide_no_nan)."""
    if reduction == "sum":
        numerator, divisor = loss_sum * total_rows, rows
    elif reduction == "mean_with_sample_weight" and weighted:
        numerator, divisor = loss_sum, weight_sum
    else:
        numerator, divisor = loss_sum, count
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(divisor == 0, 0.0, numerator / np.where(divisor == 0, 1.0, divisor))


def bootstrap_arrays(
    spec: str,
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    *,
    level: float = 0.95,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
    reduction: str = "sum_over_batch_size",
    batch_size: int | None = None,
) -> list[tuple[LossResult, Interval]]:
    """In-memory arrays → each loss's result and its bootstrap interval (as `eval --ci`)."""
    from losscli.engine import _arrays, evaluate_batches
    from losscli.spec import parse_specs

    check_level(level)
    losses = parse_specs(spec)
    check_reduction(reduction)
    t, p, w = _arrays(y_true, y_pred, sample_weight, "float64")
    n = len(p)
    step = batch_size or max(n, 1)

    def batches() -> Any:
        for start in range(0, n, step):
            stop = start + step
            yield Batch(t[start:stop], p[start:stop], None if w is None else w[start:stop], start)

    boot = Bootstrap(losses, replicates=replicates, seed=seed)
    results = evaluate_batches(
        losses, batches, weighted=w is not None, reduction=reduction, on_batch=boot
    )
    return list(zip(results, boot.intervals(results, level), strict=True))

"""Batch-level losses: one value computed from every row of the file at once.

scikit-learn's median and max errors and d2 scores, and TensorFlow Addons' metric-learning
losses (triplet, npairs, lifted structure) and weighted kappa, are not means of per-row
values: they look at the whole batch. losscli's batch is the whole file: a prepass keeps
every row (up to a stated limit), the value is computed once, and every batch returns it as
a 0-d array (the engine's batch-level value). Such losses refuse sample weights and every
reduction but the default one (`refuse_batch_level`), since neither means anything for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from losscli.errors import InputDataError, UsageError
from losscli.reduce import Accumulator

#: rows a batch-level loss keeps in memory (two float64 arrays of this many rows)
MAX_ROWS = 10_000_000
#: rows for losses that compare every pair of rows (N×N float64 matrices: 200 MB each at 5,000)
MAX_PAIRWISE_ROWS = 5_000

#: the reductions a batch-level value accepts: both give the value itself
BATCH_REDUCTIONS = ("sum_over_batch_size", "mean")


class WholeFile:
    """Prepass: keep y_true and y_pred of every row, up to MAX_ROWS (MAX_PAIRWISE_ROWS)."""

    def __init__(self, name: str, pairwise: bool = False) -> None:
        self.name = name
        self.limit = MAX_PAIRWISE_ROWS if pairwise else MAX_ROWS
        self.rows = 0
        self.true: list[np.ndarray] = []
        self.pred: list[np.ndarray] = []

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        self.rows += len(y_pred)
        if self.rows > self.limit:
            raise InputDataError(
                f"{self.name} is computed over every row at once"
                + (" (every pair of rows)" if self.limit == MAX_PAIRWISE_ROWS else "")
                + f" and supports at most {self.limit:,} rows; this input has more",
                hint="evaluate a sample of the file (--limit N) or split it into files",
            )
        self.true.append(np.array(y_true))
        self.pred.append(np.array(y_pred))

    def result(self) -> dict[str, Any]:
        if not self.pred:
            return {}
        return {"whole": Rows(np.concatenate(self.true), np.concatenate(self.pred))}


class Rows:
    """Every row of the file, and the loss's value once computed (every batch returns it)."""

    def __init__(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        self.y_true = y_true
        self.y_pred = y_pred
        self.value: np.ndarray | None = None


def whole_file(name: str, pairwise: bool = False) -> Callable[[Mapping[str, Any]], WholeFile]:
    return lambda params: WholeFile(name, pairwise)


def batch_value(
    compute: Callable[[np.ndarray, np.ndarray], float],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    whole: Rows | None,
) -> np.ndarray:
    """The loss of the whole file (from the prepass, computed once) or, called directly,
    of these rows."""
    if whole is not None and whole.value is not None:
        return whole.value
    t, p = (whole.y_true, whole.y_pred) if whole is not None else (y_true, y_pred)
    p = np.asarray(p)
    dtype = p.dtype if np.issubdtype(p.dtype, np.floating) else np.dtype(np.float64)
    value = np.asarray(compute(np.asarray(t, dtype=dtype), p.astype(dtype)), dtype=dtype)
    if whole is not None:
        whole.value = value
    return value


def group_state(
    loss: Any, parts: Sequence[tuple[np.ndarray, np.ndarray]], weighted: bool
) -> Accumulator:
    """`--group-by`: a whole-file loss computed over one group's rows, as if the group were
    the file (its value is the state's batch-level scalar)."""
    y_true = np.concatenate([t for t, _ in parts])
    y_pred = np.concatenate([p for _, p in parts])
    state = Accumulator(weighted=weighted)
    state.update(np.asarray(loss.info.fn(y_true, y_pred, **loss.params)), None, None, 0)
    return state


def refuse_batch_level(losses: Sequence[Any], reduction: str, weighted: bool) -> None:
    """Batch-level losses are one number: weights and other reductions would be invented."""
    for loss in losses:
        if loss.info.batch_level is None:
            continue
        if weighted:
            raise UsageError(
                f"{loss.name} is one value for the whole file and takes no sample weights",
                hint="pass --sample-weight none",
            )
        if reduction not in BATCH_REDUCTIONS:
            raise UsageError(
                f"{loss.name} is one value for the whole file: --reduction {reduction} "
                "has no meaning for it",
                hint="use the default reduction (sum_over_batch_size)",
            )

"""Batches → per-sample losses → accumulators → results.

The engine knows neither file formats (readers/) nor output (report/). It streams
batches of numpy arrays through every requested loss, keeping one mergeable Accumulator
per loss, so memory stays bounded and the result does not depend on the batch size.

To evaluate partitions elsewhere (Dask, Spark), map `accumulate_arrays` over the
partitions and give their states to `finish_states` (or combine them pairwise with
`merge_states` in a tree reduction); the result equals one pass over all rows.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losscli.errors import InputDataError, UsageError
from losscli.reduce import REDUCTIONS, Accumulator, merge_all
from losscli.registry import BoundLoss, needs_prepass


@dataclass(frozen=True)
class Batch:
    """One slice of the input: arrays already in the compute dtype, and where it starts."""

    y_true: np.ndarray
    y_pred: np.ndarray
    sample_weight: np.ndarray | None
    first_row: int
    #: other columns of the same rows (Arrow arrays) that hooks asked for; the engine ignores them
    columns: Mapping[str, Any] = field(default_factory=dict)
    #: file row of each row, set when a check dropped rows (else first_row, first_row + 1, …)
    rows: np.ndarray | None = None


#: What one loss gave for one batch: per-sample values (or a 0-d batch value) and the mask.
Output = tuple[np.ndarray, np.ndarray | None]

#: Called after each batch with the batch and every loss's Output, in spec order: the one
#: place where per-sample exports, top-K lists and per-group states plug in.
BatchHook = Callable[[Batch, list[Output]], None]


@dataclass
class LossResult:
    loss: BoundLoss
    reduction: str
    value: float
    count: int
    weight_sum: float | None
    values: np.ndarray | None = None
    nan_count: int = 0
    first_nan_row: int | None = None


DTYPES = ("float64", "float32")


def check_options(reduction: str, dtype: str) -> None:
    if reduction not in REDUCTIONS:
        raise UsageError(
            f"unknown reduction {reduction!r}", hint=f"use one of {', '.join(REDUCTIONS)}"
        )
    if dtype not in DTYPES:
        raise UsageError(f"unknown dtype {dtype!r}", hint="use float64 or float32")


def accumulate(
    losses: Sequence[BoundLoss],
    batches: Callable[[], Iterable[Batch]],
    *,
    weighted: bool,
    keep_values: bool,
    on_batch: BatchHook | None = None,
    check: Callable[[Batch], Batch] | None = None,
) -> list[Accumulator]:
    """One pass (plus a prepass for losses that look at the whole file) → one state per loss.

    `check` sees every batch first and may drop rows or raise (see losscli.validate)."""
    if check is not None:
        batches = _checked(batches, check)
    extras = prepass(losses, batches)
    states = [Accumulator(weighted=weighted, keep_values=keep_values) for _ in losses]
    for batch in batches():
        outputs = step(losses, extras, states, batch)
        if on_batch is not None:
            on_batch(batch, outputs)
    return states


def step(
    losses: Sequence[BoundLoss],
    extras: Sequence[Mapping[str, Any]],
    states: Sequence[Accumulator],
    batch: Batch,
) -> list[Output]:
    """Feed one batch to every loss's state (push-style, so several column sets can share
    one read of a file); returns each loss's output for hooks.

    Several built-in losses run on two threads (numpy releases the GIL), so a spec of many
    losses keeps both cores busy; each loss has its own state, so results do not change.
    """
    jobs = list(zip(losses, extras, states, strict=True))
    if len(jobs) > 1 and all(loss.info.origin == "built-in" for loss in losses):
        return list(_pool().map(lambda job: _step_one(*job, batch), jobs))
    return [_step_one(loss, extra, state, batch) for loss, extra, state in jobs]


def _step_one(
    loss: BoundLoss, extra: Mapping[str, Any], state: Accumulator, batch: Batch
) -> Output:
    try:
        out = _call(loss, extra, batch)
    except (ValueError, IndexError) as exc:
        from losscli.validate import loss_input_error

        raise loss_input_error(loss, batch, exc) from exc
    values, mask = out if isinstance(out, tuple) else (out, None)
    values = np.asarray(values)
    _check_output(loss, values, batch)
    seen_nan = state.first_nan_row is not None
    state.update(values, batch.sample_weight, mask, batch.first_row)
    if batch.rows is not None and not seen_nan and state.first_nan_row is not None:
        state.first_nan_row = int(batch.rows[state.first_nan_row - batch.first_row])
    return values, mask


_POOL: list[Any] = []


def _pool() -> Any:
    """Two worker threads, made on first use (a machine with one core gets one)."""
    if not _POOL:
        import os
        from concurrent.futures import ThreadPoolExecutor

        workers = max(1, min(2, os.cpu_count() or 1))
        _POOL.append(ThreadPoolExecutor(workers, thread_name_prefix="losscli-loss"))
    return _POOL[0]


def finish(
    losses: Sequence[BoundLoss], states: Sequence[Accumulator], reduction: str
) -> list[LossResult]:
    from losscli.losses._batch import refuse_batch_level

    refuse_batch_level(losses, reduction, any(state.weighted for state in states))
    results = []
    for loss, state in zip(losses, states, strict=True):
        results.append(
            LossResult(
                loss=loss,
                reduction=reduction,
                value=state.reduce(reduction),
                count=state.count if state.scalar is None or state.weighted else 1,
                weight_sum=state.total_weight if state.weighted else None,
                values=state.per_sample() if reduction == "none" else None,
                nan_count=state.nan_count,
                first_nan_row=state.first_nan_row,
            )
        )
    return results


def evaluate_batches(
    losses: Sequence[BoundLoss],
    batches: Callable[[], Iterable[Batch]],
    *,
    weighted: bool,
    reduction: str = "sum_over_batch_size",
    on_batch: BatchHook | None = None,
    check: Callable[[Batch], Batch] | None = None,
) -> list[LossResult]:
    states = accumulate(
        losses,
        batches,
        weighted=weighted,
        keep_values=reduction == "none",
        on_batch=on_batch,
        check=check,
    )
    return finish(losses, states, reduction)


def evaluate_arrays(
    spec: str | Sequence[BoundLoss],
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    *,
    reduction: str = "sum_over_batch_size",
    dtype: str = "float64",
    batch_size: int | None = None,
) -> list[LossResult]:
    """Evaluate in-memory arrays as if they were a file (scalars are promoted to (N, 1))."""
    from losscli.spec import parse_specs

    check_options(reduction, dtype)
    losses = parse_specs(spec) if isinstance(spec, str) else list(spec)
    t, p, w = _arrays(y_true, y_pred, sample_weight, dtype)
    n = len(p)
    step = batch_size or max(n, 1)

    def batches() -> Iterator[Batch]:
        for start in range(0, n, step):
            stop = start + step
            yield Batch(t[start:stop], p[start:stop], None if w is None else w[start:stop], start)

    return evaluate_batches(losses, batches, weighted=w is not None, reduction=reduction)


def _arrays(
    y_true: Any, y_pred: Any, sample_weight: Any, dtype: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    t = np.asarray(y_true, dtype=dtype)
    p = np.asarray(y_pred, dtype=dtype)
    t = t[:, None] if t.ndim == 1 else t
    p = p[:, None] if p.ndim == 1 else p
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=dtype).reshape(-1)
    if w is not None and len(w) != len(p):
        raise UsageError(
            f"sample_weight has {len(w)} values for {len(p)} rows",
            hint="give one weight per row; for sequence outputs it covers all the row's timesteps",
        )
    return t, p, w


def accumulate_arrays(
    spec: str | Sequence[BoundLoss],
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    *,
    dtype: str = "float64",
    first_row: int = 0,
    keep_values: bool = False,
) -> list[Accumulator]:
    """One partition's state per loss, to merge with other partitions' (Dask, Spark, …).

    Map this over partitions (`first_row` is where the partition starts, for NaN reports),
    then `finish_states` on the driver. States are small and picklable; sums are exact, so
    the result equals one pass (bit for bit when partitions are multiples of reduce.BLOCK
    rows). Losses that look at the whole input first (a prepass) cannot be split this way.
    """
    from losscli.spec import parse_specs

    check_options("sum_over_batch_size", dtype)
    losses = parse_specs(spec) if isinstance(spec, str) else list(spec)
    whole = [loss.name for loss in losses if needs_prepass(loss.info, loss.params)]
    if whole:
        raise UsageError(
            f"{whole[0]} looks at the whole input before per-sample values exist, so it "
            "cannot be evaluated partition by partition",
            hint="evaluate it in one process (losscli.evaluate or evaluate_arrays)",
        )
    t, p, w = _arrays(y_true, y_pred, sample_weight, dtype)
    states = [Accumulator(weighted=w is not None, keep_values=keep_values) for _ in losses]
    step(losses, [{} for _ in losses], states, Batch(t, p, w, first_row))
    return states


def merge_states(partitions: Sequence[Sequence[Accumulator]]) -> list[Accumulator]:
    """Per-loss states of several partitions (in row order) → one state per loss."""
    if not partitions:
        raise UsageError("no partitions to merge")
    return [merge_all(list(states)) for states in zip(*partitions, strict=True)]


def finish_states(
    spec: str | Sequence[BoundLoss],
    partitions: Sequence[Sequence[Accumulator]],
    *,
    reduction: str = "sum_over_batch_size",
) -> list[LossResult]:
    """Merge the partitions' states and apply the Keras reduction: the driver's step."""
    from losscli.spec import parse_specs

    check_options(reduction, "float64")
    losses = parse_specs(spec) if isinstance(spec, str) else list(spec)
    return finish(losses, merge_states(partitions), reduction)


def prepass(
    losses: Sequence[BoundLoss], batches: Callable[[], Iterable[Batch]]
) -> list[dict[str, Any]]:
    """Extra arguments for losses that need the whole file first; one shared pass."""
    wanting = [i for i, loss in enumerate(losses) if needs_prepass(loss.info, loss.params)]
    extras: list[dict[str, Any]] = [{} for _ in losses]
    if not wanting:
        return extras
    # every prepass sees the same batches: read them once and feed each state
    states = [losses[i].info.prepass(losses[i].params) for i in wanting]  # type: ignore[misc]
    for batch in batches():
        for state in states:
            state.update(batch.y_true, batch.y_pred)  # type: ignore[union-attr]
    for i, state in zip(wanting, states, strict=True):
        extras[i] = state.result()  # type: ignore[union-attr]
    return extras


def _checked(
    batches: Callable[[], Iterable[Batch]], check: Callable[[Batch], Batch]
) -> Callable[[], Iterable[Batch]]:
    return lambda: (check(batch) for batch in batches())


def _call(loss: BoundLoss, extra: Mapping[str, Any], batch: Batch) -> Any:
    """Built-ins are trusted; a plugin's loss is checked and its failures name its file and line."""
    if loss.info.origin == "built-in":
        return loss.info.fn(batch.y_true, batch.y_pred, **loss.params, **extra)
    from losscli.plugins import call_custom

    return call_custom(loss, batch.y_true, batch.y_pred, extra, batch.first_row)


def _check_output(loss: BoundLoss, values: np.ndarray, batch: Batch) -> None:
    """One value per row (n,), per row and timestep (n, T, …) as Keras gives for sequence
    outputs, or a 0-d batch-level value."""
    n = len(batch.y_pred)
    if values.ndim == 0 or values.shape[:1] == (n,):
        return
    raise InputDataError(
        f"{loss.name} returned shape {values.shape} for {n} rows; a loss must return one "
        "value per row (or per row and timestep)",
        hint=f"y_true has shape {batch.y_true.shape[1:]} and y_pred {batch.y_pred.shape[1:]} per row",
    )


def prefetch(items: Iterable[Any], depth: int = 2) -> Iterator[Any]:
    """Produce items in a background thread so reading overlaps computing (numpy and
    pyarrow release the GIL, so both cores work)."""
    done = object()
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                slots.put(item)
        except BaseException as exc:
            slots.put(_Failure(exc))
            return
        slots.put(done)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is done:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        while not slots.empty():
            slots.get_nowait()


@dataclass(frozen=True)
class _Failure:
    exc: BaseException

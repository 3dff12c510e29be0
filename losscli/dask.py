"""`losscli eval --engine dask` and `losscli.dask.evaluate(ddf, spec)`: partitions evaluated on
Dask workers, their accumulators merged on the driver into the local run's numbers.

The work per partition is losscli.partition's (the same readers, checks and engine as a
local run); this module only ships it to the workers and gathers it back. Dask and
distributed come from the optional extra `losscli[dask]` and are imported only here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from losscli.errors import UsageError
from losscli.partition import (
    Partition,
    ReadSpec,
    accumulate_partition,
    finish_partitions,
    merge_prepasses,
    plan,
    prepare,
    prepass_partition,
)
from losscli.registry import needs_prepass

__all__ = ["ReadSpec", "connect", "evaluate", "evaluate_path", "refuse"]


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError(
            "--engine dask needs dask and distributed", hint="pip install 'losscli[dask]'"
        ) from None
    return distributed


def refuse(used: Mapping[str, bool]) -> None:
    """Options that a partitioned run cannot honour are refused, not silently dropped."""
    given = [name for name, on in used.items() if on]
    if given:
        raise UsageError(
            f"--engine dask evaluates each partition on its own; {', '.join(given)} need(s) "
            "the whole input in one process",
            hint="run without --engine dask for these options",
        )


@contextlib.contextmanager
def connect(scheduler: str = "local") -> Iterator[Any]:
    """A distributed.Client: `local` starts a LocalCluster on this machine (closed after),
    anything else is a scheduler address (tcp://host:8786)."""
    distributed = _distributed()
    if scheduler == "local":
        with (
            distributed.LocalCluster(
                processes=True, dashboard_address=None, silence_logs=logging.ERROR
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(
            f"cannot reach the Dask scheduler at {scheduler!r}: {exc}",
            hint="pass its address (tcp://host:8786) or --scheduler local",
        ) from None
    with client:
        yield client


def evaluate_path(
    path: str,
    read: ReadSpec,
    *,
    client: Any,
    reduction: str = "sum_over_batch_size",
    input_format: str | None = None,
    per_sample: str | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> Any:
    """Evaluate a file, dataset or URI with its files (or row groups) as partitions on
    `client`'s workers; returns the same Evaluation as `losscli.evaluate`."""
    bound = prepare(read, reduction)
    parts, source = plan(path, input_format)
    targets = _per_sample_targets(per_sample, len(parts))
    distributed = _distributed()
    extras = None
    futures: list[Any] = []
    try:
        if any(needs_prepass(loss.info, loss.params) for loss in bound):
            futures = client.map(prepass_partition, parts, read=read, pure=False)
            extras = merge_prepasses(client.gather(futures))
        n = len(parts)
        futures = client.map(
            accumulate_partition, parts, [read] * n, [extras] * n, targets, [None] * n,
            [p is not parts[-1] for p in parts], pure=False,
        )  # fmt: skip
        results = []
        for future in distributed.as_completed(futures):
            results.append(future.result())  # a worker's error is raised here, as it was
            if progress is not None:
                progress(sum(r.rows for r in results), source.num_rows)
    finally:
        client.cancel(futures)
    return finish_partitions(path, source.format, read, results, reduction)


def evaluate(
    ddf: Any, losses: str = "mse", *, reduction: str = "sum_over_batch_size", **options: Any
) -> Any:
    """Evaluate a dask.dataframe a user already has, on its partitions, with the current
    Dask scheduler (a distributed Client if one is active). `options` are ReadSpec's
    (y_true, y_pred, sample_weight, dtype, nan_policy, class_weight, as in
    `losscli.evaluate`); row numbers in errors count from each partition's start."""
    import dask

    read = ReadSpec(losses, **options)
    bound = prepare(read, reduction)
    frames = ddf.to_delayed()
    parts = [Partition(i, "dataframe") for i in range(len(frames))]
    extras = None
    if any(needs_prepass(loss.info, loss.params) for loss in bound):
        prepass = dask.delayed(prepass_partition, pure=False)
        extras = merge_prepasses(
            dask.compute(*[prepass(p, read, f) for p, f in zip(parts, frames, strict=True)])
        )
    task = dask.delayed(accumulate_partition, pure=False)
    last = len(parts) - 1
    results = dask.compute(
        *[
            task(p, read, extras, None, f, p.index != last)
            for p, f in zip(parts, frames, strict=True)
        ]
    )
    return finish_partitions("dataframe", "dataframe", read, results, reduction)


def _per_sample_targets(target: str | None, count: int) -> Sequence[str | None]:
    """One Parquet file per partition, `part-00000.parquet`, … in a new folder or prefix."""
    if target is None:
        return [None] * count
    from losscli.fs import is_uri, kind

    if is_uri(target):
        if kind(target) != "missing":
            raise UsageError(
                f"--per-sample {target!r} exists; a dask run writes a new prefix",
                hint="name a new prefix (a Parquet file per partition goes there)",
            )
        base = target.rstrip("/")
    else:
        folder = Path(target)
        if folder.exists():
            raise UsageError(
                f"--per-sample {target!r} exists; a dask run writes a new folder",
                hint="name a new folder (a Parquet file per partition goes there)",
            )
        folder.mkdir(parents=True)
        base = str(folder.resolve())
    return [f"{base}/part-{i:05d}.parquet" for i in range(count)]

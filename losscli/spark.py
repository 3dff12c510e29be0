"""`losscli.spark.evaluate(df, spec)`: a Spark DataFrame evaluated partition by partition
through `mapInArrow`, the states merged on the driver into the numbers a local run gives.

Each Spark task hands its partition's Arrow batches to losscli.partition (the same checks
and engine as a local run) and returns one pickled state; errors travel back the same way,
so an InputDataError names its partition instead of arriving as a Java stack trace. pyspark
is imported only by the caller's own session: nothing here imports it at module level.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from losscli.errors import LossCliError
from losscli.partition import (
    Partition,
    ReadSpec,
    accumulate_partition,
    finish_partitions,
    merge_prepasses,
    prepare,
    prepass_partition,
)
from losscli.registry import needs_prepass

NAME = "spark dataframe"


def evaluate(
    df: Any, losses: str = "mse", *, reduction: str = "sum_over_batch_size", **options: Any
) -> Any:
    """Evaluate `df` (a pyspark.sql.DataFrame) on its partitions; returns the Evaluation
    `losscli.evaluate` would. `options` are ReadSpec's (y_true, y_pred, sample_weight, dtype,
    nan_policy, class_weight). Only the chosen columns are shipped to the Python workers;
    row numbers in errors count from each partition's start."""
    from losscli.columns import choose_columns

    read = ReadSpec(losses, **options)
    bound = prepare(read, reduction)
    choice = choose_columns(
        df.columns,
        y_true=read.y_true,
        y_pred=read.y_pred,
        sample_weight=read.sample_weight,
        path=NAME,
        classes=read.classes,
    )
    frame = df.select(*choice.all)
    last = frame.rdd.getNumPartitions() - 1
    extras = None
    if any(needs_prepass(loss.info, loss.params) for loss in bound):
        extras = merge_prepasses(_collect(frame, partition_task(read, prepass=True)))
    results = _collect(frame, partition_task(read, extras=extras, last=last))
    return finish_partitions(NAME, NAME, read, results, reduction)


def partition_task(
    read: ReadSpec,
    *,
    extras: Sequence[Mapping[str, Any]] | None = None,
    last: int = -1,
    prepass: bool = False,
) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The function `mapInArrow` runs in each task: Arrow batches in, one pickled state
    (or the pickled error) out, in a `state` binary column."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        from pyspark import TaskContext, cloudpickle  # prepass states may hold lambdas

        stored = list(batches)
        if not stored or not sum(b.num_rows for b in stored):
            return
        index = TaskContext.get().partitionId()
        part = Partition(index, NAME)
        table = pa.Table.from_batches(stored)
        try:
            if prepass:
                out: Any = prepass_partition(part, read, table)
            else:
                out = accumulate_partition(part, read, extras, None, table, index != last)
        except LossCliError as exc:
            out = exc
        yield pa.RecordBatch.from_pydict({"state": [cloudpickle.dumps(out)]})

    return run


def _collect(frame: Any, task: Callable[[Iterator[Any]], Iterator[Any]]) -> list[Any]:
    """Run `task` on every partition; raise the first partition's error as it was raised."""
    out = [pickle.loads(row.state) for row in frame.mapInArrow(task, "state binary").collect()]
    for item in out:
        if isinstance(item, LossCliError):
            raise item
    return out

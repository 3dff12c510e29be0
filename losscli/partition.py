"""One partition of an input evaluated where it lives, and the partitions merged on the driver.

A partition is a file of a dataset, or a row group of a single Parquet file, or a data frame
partition. A worker reads it with the same readers, checks it with the same BatchCheck and
feeds the same engine as a local run, and sends back small picklable states; the driver
merges them into the Evaluation a local run gives. Nothing here imports Dask: losscli.dask
and losscli.spark only move these functions and their results around.

The merged sums are exact except inside each partition's 65,536-row blocks (reduce.BLOCK),
and every partition but the last sends its unfinished block as one pairwise sum (a state of a
few floats): when every partition but the last holds a multiple of that many rows, the result
is the local run's to the bit; otherwise the two differ by at most 2·25·ε·Σ|loss| (each side's
blocks are numpy pairwise sums), i.e. at most 1.1e-14 relative for non-negative losses.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from losscli.engine import Batch, prefetch, step
from losscli.errors import InputDataError, UsageError
from losscli.reduce import Accumulator
from losscli.registry import BoundLoss, needs_prepass


@dataclass(frozen=True)
class Partition:
    """Where a worker finds its rows: a file (path or URI), or one row group of it."""

    index: int
    path: str
    input_format: str | None = None
    row_group: int | None = None
    #: the row where the partition starts, in `input` (or in its file for a row group)
    first_row: int = 0
    #: the dataset the user named, when its rows before this file are known (Parquet
    #: footers): messages and per-sample rows then number rows as the local run does
    input: str | None = None

    @property
    def name(self) -> str:
        """`partition 3: ds/part-3.parquet`, `partition 2, row group 2` (for messages)."""
        where = f": {self.path}" if self.input else ""
        group = f", row group {self.row_group}" if self.row_group is not None else ""
        return f"partition {self.index}{where}{group}"

    @property
    def input_rows(self) -> bool:
        """Whether its rows are numbered as in the whole input (else from its own start)."""
        return self.input is not None or self.row_group is not None


@dataclass(frozen=True)
class ReadSpec:
    """What every partition is read and evaluated with (the eval options that apply)."""

    losses: str
    y_true: str = "y_true"
    y_pred: str = "y_pred"
    sample_weight: str | None = None
    batch_size: int | None = None
    delimiter: str | None = None
    header: bool = True
    classes: str | None = None
    keep: tuple[str, ...] = ()
    dtype: str = "float64"
    nan_policy: str = "raise"
    class_weight: Mapping[int, float] | None = None


@dataclass
class PartitionResult:
    """What a worker sends back: per-loss states, the row count and the input checks' counts."""

    part: Partition
    rows: int
    states: list[Accumulator]
    columns: dict[str, list[str]]
    nonfinite: int = 0
    first_nonfinite: tuple[int, str] | None = None  # (row, column), numbered as `part` is
    diagnostics: Any = None
    #: the class names text labels were mapped through (None: the labels were numbers)
    classes: list[str] | None = None


def plan(path: str, input_format: str | None = None) -> tuple[list[Partition], Any]:
    """The partitions of `path` and its opened Source: a dataset's files, else a Parquet
    file's row groups, else the one file."""
    from losscli.fs import is_uri
    from losscli.readers import ReadOptions, open_source

    if path == "-":
        raise UsageError("a cluster reads files, not standard input", hint="name a file or URI")
    source = open_source(path, input_format, ReadOptions())
    dataset = getattr(source, "dataset", None)
    if dataset is not None:
        fmt = input_format or source.format.split()[0]
        prefix = path.split("://", 1)[0] + "://" if is_uri(path) else ""
        files = [prefix + f.lstrip("/") if prefix else f for f in dataset.files]
        if fmt != "parquet":  # rows before each file are unknown until it is read
            return [Partition(i, f, fmt) for i, f in enumerate(files)], source
        counts = [fragment.metadata.num_rows for fragment in dataset.get_fragments()]
        starts = itertools.accumulate(counts[:-1], initial=0)
        parts = [
            Partition(i, f, fmt, first_row=start, input=path)
            for i, (f, start) in enumerate(zip(files, starts, strict=True))
        ]
        return parts, source
    if source.format == "parquet":
        import pyarrow.parquet as pq

        from losscli.fs import input_file

        meta = pq.ParquetFile(input_file(path)).metadata
        if meta.num_row_groups > 1:
            parts, first = [], 0
            for group in range(meta.num_row_groups):
                parts.append(Partition(group, path, "parquet", group, first))
                first += meta.row_group(group).num_rows
            return parts, source
    return [Partition(0, path, input_format or source.format)], source


def prepare(read: ReadSpec, reduction: str) -> list[BoundLoss]:
    """The losses, once the options are known to work partition by partition: losses whose
    whole-input pass cannot be merged (Circle, the scikit-learn and TFA batch-level losses
    keep every row) and `reduction='none'` (every value on one machine) are refused up front."""
    from losscli.engine import check_options
    from losscli.spec import parse_specs

    check_options(reduction, read.dtype)
    if reduction == "none":
        raise UsageError(
            "reduction none on a cluster would gather every value on one machine",
            hint="use --per-sample DIR for per-sample values (a Parquet file per partition)",
        )
    losses = parse_specs(read.losses)
    for loss in losses:
        if needs_prepass(loss.info, loss.params):
            state = loss.info.prepass(loss.params)  # type: ignore[misc]
            if not hasattr(state, "merge"):
                raise UsageError(
                    f"{loss.name} looks at every row of the input at once (it keeps them all), "
                    "so it cannot be evaluated partition by partition",
                    hint="evaluate it in one process (without --engine dask)",
                )
    return losses


def _open(
    part: Partition, read: ReadSpec, frame: Any = None
) -> tuple[list[BoundLoss], Any, Callable[[], Iterator[Batch]], Any, list[int]]:
    """The partition opened as a local run opens a file: losses, Input, checked batches,
    the BatchCheck and a one-item list counting the rows read."""
    from losscli.api import make_batch
    from losscli.inputs import open_input
    from losscli.readers import batch_rows
    from losscli.spec import parse_specs
    from losscli.validate import BatchCheck, Roles

    bound = parse_specs(read.losses)
    if frame is not None:
        source = _frame_input(part, frame, read)
    else:
        source = open_input(
            part.path,
            y_true=read.y_true,
            y_pred=read.y_pred,
            sample_weight=read.sample_weight,
            input_format=part.input_format,
            batch_size=read.batch_size,
            delimiter=read.delimiter,
            header=read.header,
            classes=read.classes,
            keep=read.keep,
        )
    if part.row_group is not None:
        columns = list(dict.fromkeys([*source.choice.all, *source.kept]))
        size = batch_rows(read.batch_size)
        source.stream = lambda: _row_group(part, columns, size)
    source.offset = part.first_row
    choice = source.choice
    check = BatchCheck(
        bound,
        nan_policy=read.nan_policy,
        path=part.path,
        roles=Roles(choice.y_true, choice.y_pred, choice.sample_weight),
    )
    rows = [0]

    def batches() -> Iterator[Batch]:
        rows[0] = 0
        for first, record_batch in prefetch(source.batches()):
            rows[0] += record_batch.num_rows
            batch = make_batch(
                record_batch,
                choice,
                path=part.path,
                first_row=first,
                dtype=read.dtype,
                class_weight=read.class_weight,
                keep=source.kept,
            )
            yield check(batch)

    return bound, source, batches, check, rows


def _frame_input(part: Partition, frame: Any, read: ReadSpec) -> Any:
    """A data frame partition (pandas from Dask, an Arrow table from Spark) as an Input."""
    import pyarrow as pa

    from losscli.columns import choose_columns
    from losscli.inputs import Input
    from losscli.readers import batch_rows

    size = batch_rows(read.batch_size)
    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    choice = choose_columns(
        table.column_names,
        y_true=read.y_true,
        y_pred=read.y_pred,
        sample_weight=read.sample_weight,
        path=part.path,
        classes=read.classes,
    )
    return Input(
        path=part.path,
        format="dataframe",
        choice=choice,
        kept=[],
        total_rows=table.num_rows,
        labels_path=None,
        stream=lambda: iter(table.select(choice.all).to_batches(max_chunksize=size)),
    )


def _row_group(part: Partition, columns: list[str], size: int) -> Iterator[Any]:
    import pyarrow.parquet as pq

    from losscli.fs import input_file

    file = pq.ParquetFile(input_file(part.path), pre_buffer=False)
    yield from file.iter_batches(batch_size=size, row_groups=[part.row_group], columns=columns)


@contextlib.contextmanager
def _named(part: Partition) -> Iterator[None]:
    """Errors on a worker name the partition as well as the file (or dataset) and row."""
    try:
        yield
    except InputDataError as exc:
        exc.path = part.input or exc.path or part.path
        exc.message = f"{exc.message} [{part.name}]"
        raise


def prepass_partition(part: Partition, read: ReadSpec, frame: Any = None) -> list[Any]:
    """Each whole-input loss's prepass state over this partition (None for the others)."""
    with _named(part):
        bound, _, batches, _, _ = _open(part, read, frame)
        states = [
            loss.info.prepass(loss.params) if needs_prepass(loss.info, loss.params) else None  # type: ignore[misc]
            for loss in bound
        ]
        for batch in batches():
            for state in states:
                if state is not None:
                    state.update(batch.y_true, batch.y_pred)
    return states


def merge_prepasses(partitions: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The extra arguments every partition's losses get, from all partitions' prepasses."""
    extras: list[dict[str, Any]] = []
    for states in zip(*partitions, strict=True):
        first, *rest = states
        if first is None:
            extras.append({})
            continue
        for other in rest:
            first.merge(other)
        extras.append(first.result())
    return extras


def accumulate_partition(
    part: Partition,
    read: ReadSpec,
    extras: Sequence[Mapping[str, Any]] | None = None,
    per_sample: str | None = None,
    frame: Any = None,
    compact: bool = False,
) -> PartitionResult:
    """Read, check and accumulate one partition (a file's, or `frame`, a pandas partition);
    write its per-sample file if asked. `compact` (every partition but the last) folds the
    sums' unfinished block into one float, so a state is bytes, not up to 65,536 values."""
    with _named(part):
        bound, source, batches, check, rows = _open(part, read, frame)
        choice = source.choice
        weighted = choice.sample_weight is not None or read.class_weight is not None
        states = [Accumulator(weighted=weighted) for _ in bound]
        with contextlib.ExitStack() as stack:
            writer = None
            if per_sample is not None:
                from losscli.export import per_sample_writer

                writer = stack.enter_context(per_sample_writer(per_sample, bound, read.keep))
            for batch in batches():
                outputs = step(bound, extras or [{} for _ in bound], states, batch)
                if writer is not None:
                    writer(batch, outputs)
    if compact:
        for state in states:
            state.compact()
    return PartitionResult(
        part=part,
        rows=rows[0],
        states=states,
        columns={
            "y_true": list(choice.y_true),
            "y_pred": list(choice.y_pred),
            "sample_weight": list(choice.sample_weight or ()),
        },
        nonfinite=check.nonfinite,
        first_nonfinite=check.first_nonfinite,
        diagnostics=check.diagnostics,
        classes=list(choice.classes) if source.named_labels and choice.classes else None,
    )


def finish_partitions(
    path: str,
    fmt: str,
    read: ReadSpec,
    results: Sequence[PartitionResult],
    reduction: str,
) -> Any:
    """Merge the partitions (in partition order) into the Evaluation of a local run: the
    same numbers, the same warnings, the same NaN error (naming the partition's file)."""
    from losscli.api import Evaluation, InputInfo
    from losscli.diagnostics import result_warnings
    from losscli.engine import finish, merge_states
    from losscli.spec import parse_specs
    from losscli.validate import BatchCheck

    results = sorted(results, key=lambda r: r.part.index)
    bound = parse_specs(read.losses)
    rows = sum(r.rows for r in results)
    if rows == 0:
        raise InputDataError(
            "has no data rows", path=path, hint="the files are empty or header-only"
        )
    merged = finish(bound, merge_states([r.states for r in results]), reduction)
    check = BatchCheck(bound, nan_policy=read.nan_policy, path=path)
    check.nonfinite = sum(r.nonfinite for r in results)
    check.diagnostics = results[0].diagnostics
    for other in results[1:]:
        check.diagnostics.merge(other.diagnostics)
    named = None  # the partition of the first NaN row, named in the error
    offset = 0  # rows of the partitions before, now that they are all read
    for result in results:
        if result.first_nonfinite is not None:
            row, column = result.first_nonfinite
            check.first_nonfinite = (row if result.part.input_rows else row + offset, column)
            named = result.part
            break
        offset += result.rows
    try:
        notes = check.finish(merged)
    except InputDataError as exc:
        if named is not None:
            exc.message = f"{exc.message} [{named.name}]"
        raise
    warnings = notes + result_warnings(merged)
    classes = next((r.classes for r in results if r.classes), None)
    info = InputInfo(path=path, format=fmt, rows=rows, columns=results[0].columns, classes=classes)
    return Evaluation(
        input=info, results=merged, reduction=reduction, dtype=read.dtype, warnings=warnings
    )

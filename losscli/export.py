"""`--per-sample FILE`: one row per sample (row index, kept columns, one column per loss),
streamed batch by batch through a pyarrow writer into a temporary file that is renamed
only when the whole run succeeded."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from losscli.atomic import output_sink, writing
from losscli.engine import Batch, Output
from losscli.errors import UsageError
from losscli.registry import BoundLoss

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
ROW = "row"


def export_format(path: str) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(
            f"--per-sample {path!r}: cannot tell the format", hint="name it .parquet or .csv"
        )
    return fmt


def loss_columns(losses: Sequence[BoundLoss], keep: Sequence[str]) -> list[str]:
    """One column name per loss: its canonical spec, made unique and distinct from kept ones."""
    taken = {ROW, *keep}
    names = []
    for loss in losses:
        name = loss.canonical()
        base, n = name, 2
        while name in taken:
            name = f"{base}_{n}"
            n += 1
        taken.add(name)
        names.append(name)
    return names


def kept_names(keep: Sequence[str]) -> list[str]:
    """Names of the kept columns in the file: an input column called `row` would overwrite
    the row number, so it is written as `input_row` (`input_row_2`, … if that is taken too)."""
    names: list[str] = []
    for name in keep:
        if name == ROW:
            base = name = f"input_{ROW}"
            n = 2
            while name in keep or name in names:
                name = f"{base}_{n}"
                n += 1
        names.append(name)
    return names


class PerSampleWriter:
    """A BatchHook that appends each batch's per-sample values to an open pyarrow writer."""

    def __init__(self, path: Any, fmt: str, losses: Sequence[BoundLoss], keep: Sequence[str]):
        # path: a temporary Path, or an open binary file for a stream or device (atomic.py)
        self.path = path
        self.fmt = fmt
        self.losses = list(losses)
        self.patterns = list(keep)
        self.keep: list[str] = []
        self.kept_as: list[str] = []  # their names in the file (`row` is ours: input_row)
        self.names: list[str] = []
        self._writer: Any = None
        self.target = str(path)  # the name errors use: the user's, not the temporary one
        self.rows = 0

    def __call__(self, batch: Batch, outputs: list[Output]) -> None:
        import pyarrow as pa

        from losscli.breakdown import per_sample, row_numbers

        if self._writer is None:
            self._choose(batch)
        n = len(batch.y_pred)
        arrays: dict[str, Any] = {ROW: pa.array(row_numbers(batch), type=pa.int64())}
        for name, written in zip(self.keep, self.kept_as, strict=True):
            arrays[written] = batch.columns[name]
        for name, loss, output in zip(self.names, self.losses, outputs, strict=True):
            arrays[name] = self._column(per_sample(batch, output, loss))
        table = pa.table(arrays)
        with writing(self.target):
            if self._writer is None:
                self._writer = self._open(table.schema)
            self._writer.write_table(table)
        self.rows += n

    def _column(self, values: Any) -> Any:
        """One value per row; a sequence loss's (n, T) values as a list per row: a list
        column in Parquet, a JSON array cell in CSV (which losscli reads back as a list)."""
        import pyarrow as pa

        if values.ndim == 1:
            return pa.array(values, type=pa.float64())
        if self.fmt == "csv":
            import json

            return pa.array([json.dumps(row) for row in values.tolist()], type=pa.string())
        column = pa.array(values.reshape(-1), type=pa.float64())
        for width in reversed(values.shape[1:]):
            column = pa.FixedSizeListArray.from_arrays(column, width)
        return column

    def _choose(self, batch: Batch) -> None:
        from losscli.breakdown import kept_columns

        self.keep = kept_columns(self.patterns, batch)
        self.kept_as = kept_names(self.keep)
        self.names = loss_columns(self.losses, self.kept_as)

    def _open(self, schema: Any) -> Any:
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetWriter(self.path, schema)
        import pyarrow.csv as pacsv

        return pacsv.CSVWriter(self.path, schema)

    def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            with writing(self.target):
                writer.close()


@contextlib.contextmanager
def per_sample_writer(
    target: str,
    losses: Sequence[BoundLoss],
    keep: Sequence[str] = (),
    *,
    inputs: Iterable[str] = (),
) -> Iterator[PerSampleWriter]:
    """Open a writer on a temporary file beside `target`; it becomes `target` on success
    (a stream, device or FIFO is written in place)."""
    fmt = export_format(target)
    with output_sink(target, inputs=inputs) as tmp:
        writer = PerSampleWriter(tmp, fmt, losses, keep)
        writer.target = target
        try:
            yield writer
        finally:
            writer.close()

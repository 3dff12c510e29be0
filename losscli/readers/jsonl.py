"""JSON Lines (one object per line, optionally compressed) through pyarrow's streaming reader.

Arrays in a line become list columns, so vectors need no special handling.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.json as pajson

from losscli.errors import InputDataError
from losscli.readers import ReadOptions, SchemaFirst, short_message, sliced
from losscli.readers._compressed import open_text

_BLOCK_BYTES = 16 << 20
_ROW = re.compile(r" in row (\d+)")


@dataclass
class JsonlSource(SchemaFirst):
    path: str
    options: ReadOptions
    file: str
    format: str = "jsonl"

    def __post_init__(self) -> None:
        self._schema = self._reader(None).schema

    def _reader(self, schema: pa.Schema | None) -> pajson.JSONStreamingReader:
        read = pajson.ReadOptions(block_size=_BLOCK_BYTES, use_threads=True)
        parse = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
        try:
            return pajson.open_json(
                open_text(self.file),
                read_options=read,
                parse_options=parse if schema is not None else None,
            )
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputDataError(
                f"cannot read as JSON Lines: {short_message(exc)}",
                path=self.path,
                hint="one JSON object per line",
            ) from exc

    def batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        reader = self._reader(self._wanted_schema(columns))
        done = 0  # rows of the blocks read so far: pyarrow counts rows within a block
        try:
            for batch in sliced(reader, self.options.batch_size, columns):
                done += batch.num_rows
                yield batch
        except pa.ArrowInvalid as exc:
            message = short_message(exc)
            found = _ROW.search(message)
            row = None if found is None else done + int(found.group(1))
            raise InputDataError(
                f"cannot parse JSON Lines: {_ROW.sub('', message)}", path=self.path, row=row
            ) from exc

    def _wanted_schema(self, columns: list[str]) -> pa.Schema:
        """Only the needed fields, integers widened to float64 (see readers/csv.py)."""
        fields = []
        for name in columns:
            field = self._schema.field(name)
            if name not in self.options.keep_types:
                field = field.with_type(_widen(field.type))
            fields.append(field)
        return pa.schema(fields)


def _widen(kind: pa.DataType) -> pa.DataType:
    """int64 → float64, also inside lists ([0, 1, 0] one-hot rows may later hold 0.5)."""
    if pa.types.is_integer(kind) or pa.types.is_null(kind):
        return pa.float64()
    if pa.types.is_list(kind):
        return pa.list_(_widen(kind.value_type))
    return kind


def open(path: str, options: ReadOptions, file: str | None = None) -> JsonlSource:
    return JsonlSource(path, options, file or path)

"""Arrow IPC files (Feather v2, .arrow) and IPC streams (.arrows), memory-mapped.

The file format is read one record batch at a time (sliced to --batch-size), so only the
pages of the requested columns are touched. Feather v1, which predates IPC, is read whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from losscli.errors import InputDataError
from losscli.fs import input_file, memory_map
from losscli.readers import ReadOptions, SchemaFirst, sliced


@dataclass
class ArrowSource(SchemaFirst):
    path: str
    options: ReadOptions
    file: str
    format: str = "arrow"

    def __post_init__(self) -> None:
        self._kind, reader = self._open()
        self._schema = reader.schema

    def _open(self) -> tuple[str, Any]:
        errors = []
        for kind, opener in (("file", pa.ipc.open_file), ("stream", pa.ipc.open_stream)):
            try:
                return kind, opener(memory_map(self.file))
            except (pa.ArrowInvalid, OSError) as exc:
                errors.append(exc)
        try:
            import pyarrow.feather as feather

            return "feather1", feather.read_table(input_file(self.file), memory_map=True)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputDataError(
                f"cannot read as Arrow IPC / Feather: {errors[0]}", path=self.path
            ) from exc

    @property
    def num_rows(self) -> int | None:
        if self._kind == "stream":
            return None
        _, reader = self._open()
        return reader.num_rows if self._kind == "feather1" else reader.count_rows()

    def batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        kind, reader = self._open()
        if kind == "file":
            stored: Any = (reader.get_batch(i) for i in range(reader.num_record_batches))
        elif kind == "stream":
            stored = reader
        else:
            stored = reader.to_batches()
        try:
            yield from sliced(stored, self.options.batch_size, columns)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputDataError(f"cannot read Arrow data: {exc}", path=self.path) from exc


def open(path: str, options: ReadOptions, file: str | None = None) -> ArrowSource:
    return ArrowSource(path, options, file or path)

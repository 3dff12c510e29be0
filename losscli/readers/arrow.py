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
        if self._kind == "stream":
            _check_end_of_stream(self.file, self.path)

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


#: what ends an IPC stream: continuation + zero length (and the pre-1.0 form, a zero length)
_END = (b"\xff\xff\xff\xff\x00\x00\x00\x00", b"\x00\x00\x00\x00")


def _check_end_of_stream(file: str, path: str) -> None:
    """A stream cut at a batch boundary reads as a shorter, valid stream: only the missing
    end-of-stream marker tells. Walk the message headers (zero-copy on the memory map) and
    require the marker right after the last message."""
    source = pa.memory_map(file)
    reader = pa.ipc.MessageReader.open_stream(source)
    end = 0
    try:
        while True:
            reader.read_next_message()
            end = source.tell()
    except StopIteration:
        pass
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputDataError(f"cannot read Arrow stream: {exc}", path=path) from exc
    size = source.size()
    source.seek(end)
    tail = source.read(size - end)
    if tail not in _END:
        raise InputDataError(
            f"the Arrow stream has no end-of-stream marker after byte {end} of {size}: it is "
            "cut short, and the batches that remain would give a wrong number",
            path=path,
            hint="write the file again and close the stream writer: closing it writes that marker",
        )


def open(path: str, options: ReadOptions, file: str | None = None) -> ArrowSource:
    return ArrowSource(path, options, file or path)

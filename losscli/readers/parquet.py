"""Parquet through pyarrow: row-group-streamed batches of only the needed columns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from losscli.input_errors import os_error
from losscli.readers import ReadOptions


@dataclass
class ParquetSource:
    path: str
    options: ReadOptions
    file: str
    format: str = "parquet"

    def __post_init__(self) -> None:
        try:
            # pre_buffer caches every column chunk read so far: memory would grow with the file;
            # a 1 MiB read buffer streams each column chunk instead of holding it whole
            # (30-40 MB less peak RSS on 1M-row row groups, no slower)
            self._file = pq.ParquetFile(self.file, pre_buffer=False, buffer_size=1 << 20)
        except (pa.ArrowException, OSError) as exc:
            raise os_error(exc, path=self.path, what="Parquet") from exc

    @property
    def schema(self) -> pa.Schema:
        return self._file.schema_arrow

    @property
    def column_names(self) -> list[str]:
        return list(self.schema.names)

    @property
    def num_rows(self) -> int | None:
        return self._file.metadata.num_rows

    def batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        try:
            yield from self._file.iter_batches(
                batch_size=self.options.batch_size, columns=columns, use_threads=True
            )
        except (pa.ArrowException, OSError) as exc:
            raise os_error(exc, path=self.path, what="Parquet") from exc


def open(path: str, options: ReadOptions, file: str | None = None) -> ParquetSource:
    return ParquetSource(path, options, file or path)

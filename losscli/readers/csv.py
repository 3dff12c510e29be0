"""CSV through pyarrow's streaming reader: blocks of rows, only the needed columns converted."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv

from losscli.input_errors import csv_error
from losscli.readers import ReadOptions

_BLOCK_BYTES = 16 << 20


@dataclass
class CsvSource:
    path: str
    options: ReadOptions
    format: str = "csv"

    def __post_init__(self) -> None:
        self._schema = self._read_schema()

    def _reader(self, columns: list[str] | None, threads: bool = True) -> pacsv.CSVStreamingReader:
        read = pacsv.ReadOptions(block_size=_BLOCK_BYTES, use_threads=threads)
        parse = pacsv.ParseOptions(delimiter=self.options.delimiter or ",")
        convert = pacsv.ConvertOptions(include_columns=columns) if columns else None
        try:
            return pacsv.open_csv(
                self.path, read_options=read, parse_options=parse, convert_options=convert
            )
        except (pa.ArrowInvalid, OSError) as exc:
            raise csv_error(
                exc,
                path=self.path,
                names=[],
                rescan=(lambda: self._reader(columns, threads=False)) if threads else None,
            ) from exc

    def _read_schema(self) -> pa.Schema:
        return self._reader(None).schema

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    @property
    def column_names(self) -> list[str]:
        return list(self._schema.names)

    @property
    def num_rows(self) -> int | None:
        return None

    def batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        reader = self._reader(columns)
        size = self.options.batch_size
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, OSError) as exc:
                raise csv_error(
                    exc,
                    path=self.path,
                    names=self.column_names,
                    rescan=lambda: self._reader(columns, threads=False),
                ) from exc
            for start in range(0, batch.num_rows, size):
                yield batch.slice(start, size)


def open(path: str, options: ReadOptions) -> CsvSource:
    return CsvSource(path, options)

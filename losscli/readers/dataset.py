"""A directory (hive-partitioned or flat) or a glob of files read as one dataset, in path order.

Partition values (`part=3/…`) become columns; files starting with `_` or `.` (Spark's
`_SUCCESS`, checksums) are skipped, as pyarrow does.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from losscli import fs
from losscli.errors import InputDataError
from losscli.readers import ReadOptions, detect_format, short_message

_DATASET_FORMATS = ("parquet", "arrow", "csv", "tsv", "jsonl")


@dataclass
class DatasetSource:
    path: str
    options: ReadOptions
    dataset: Any
    format: str

    @property
    def schema(self) -> pa.Schema:
        return self.dataset.schema

    @property
    def column_names(self) -> list[str]:
        return list(self.schema.names)

    @property
    def num_rows(self) -> int | None:
        return self.dataset.count_rows() if self.format.startswith("parquet") else None

    def batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        try:
            # Scanner.to_batches keeps file order (row numbers and row-order joins rely on it)
            # little readahead: the engine prefetches on its own, and each batch read ahead
            # is memory held
            yield from self.dataset.to_batches(
                columns=columns,
                batch_size=self.options.batch_size,
                batch_readahead=2,
                fragment_readahead=1,
                use_threads=True,
            )
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputDataError(
                f"cannot read dataset: {short_message(exc)}", path=self.path
            ) from exc


def open_dataset(path: str, fmt: str | None, options: ReadOptions) -> DatasetSource:
    """`path` is a directory or a glob pattern; the format comes from `fmt` or the first file."""
    filesystem = None
    if fs.is_uri(path):
        filesystem, files, base = fs.dataset_files(path)
        source: Any = base or files
    elif Path(path).is_dir():
        files = sorted(
            str(p)
            for p in Path(path).rglob("*")
            if p.is_file() and not any(part[0] in "_." for part in p.relative_to(path).parts)
        )
        source = path
    else:
        files = sorted(glob.glob(path, recursive=True))
        files = [f for f in files if Path(f).is_file()]
        source = files
    if not files:
        raise InputDataError("matches no files", path=path, hint="check the directory or pattern")
    fmt = fmt or detect_format(files[0])
    if fmt not in _DATASET_FORMATS:
        raise InputDataError(f"cannot read {fmt} files as a dataset", path=path)
    try:
        dataset = ds.dataset(
            source,
            filesystem=filesystem,
            format=_file_format(fmt, options),
            partitioning="hive" if isinstance(source, str) else None,
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputDataError(f"cannot open as a dataset: {short_message(exc)}", path=path) from exc
    return DatasetSource(path, options, dataset, f"{fmt} dataset ({len(files)} files)")


def _file_format(fmt: str, options: ReadOptions) -> Any:
    if fmt in ("csv", "tsv"):
        delimiter = options.delimiter or ("\t" if fmt == "tsv" else ",")
        import pyarrow.csv as pacsv

        return ds.CsvFileFormat(parse_options=pacsv.ParseOptions(delimiter=delimiter))
    if fmt == "parquet":
        # without this, read column chunks stay cached and memory grows with the file
        scan = ds.ParquetFragmentScanOptions(pre_buffer=False)
        return ds.ParquetFileFormat(default_fragment_scan_options=scan)
    return {"arrow": "ipc", "jsonl": "json"}[fmt]

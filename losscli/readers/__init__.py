"""Readers turn a source into a stream of Arrow record batches; the engine never sees formats.

Each format module exposes `open(path, options) -> Source`. `open_source` picks one from the
extension (or `input_format`) and imports only that module, so pyarrow's CSV code is not
loaded for a Parquet file and nothing heavy is loaded for `--help`. A directory or a glob
pattern is one dataset (readers/dataset.py); `-` is standard input (readers/stdin.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from losscli.errors import InputDataError, UsageError
from losscli.fs import is_uri

#: rows per batch: big enough that per-batch overhead vanishes, small enough that a batch of
#: ten-class vectors stays in the tens of MB
DEFAULT_BATCH_SIZE = 1 << 18


def batch_rows(requested: int | None) -> int:
    """`--batch-size`, else the default, smaller under a tight memory limit (memory.py):
    every reading path (one file, heads, partitions on workers) asks here."""
    from losscli.memory import default_batch_size

    return requested or default_batch_size(DEFAULT_BATCH_SIZE)


@dataclass(frozen=True)
class ReadOptions:
    """How to read a source; formats ignore options that do not apply to them."""

    batch_size: int = DEFAULT_BATCH_SIZE
    delimiter: str | None = None
    header: bool = True
    #: columns whose inferred type must be kept (join keys); other integer columns are read
    #: as float64 so a file whose first block looks integral still parses later decimals
    keep_types: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


class Source(Protocol):
    path: str
    format: str

    @property
    def column_names(self) -> list[str]: ...

    @property
    def schema(self) -> pa.Schema: ...

    @property
    def num_rows(self) -> int | None: ...

    def batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        """Record batches of only these columns, in file order; can be called again."""
        ...


#: extension → format module name (in this package)
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".parq": "parquet",
    ".arrow": "arrow",
    ".feather": "arrow",
    ".ipc": "arrow",
    ".arrows": "arrow",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
FORMATS = ("csv", "tsv", "parquet", "arrow", "jsonl")
_ALIASES = {"feather": "arrow", "ipc": "arrow", "ndjson": "jsonl", "pq": "parquet"}
#: compressed text: extension → pyarrow codec ("xz" is read through Python's lzma)
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd", ".xz": "xz"}


def normalize_format(fmt: str) -> str:
    name = _ALIASES.get(fmt.lower(), fmt.lower())
    if name not in FORMATS:
        raise UsageError(
            f"unknown input format {fmt!r}",
            hint=f"use one of {', '.join(FORMATS)} (feather and ipc mean arrow)",
        )
    return name


def detect_format(path: str) -> str:
    suffixes = [s.lower() for s in Path(path).suffixes]
    for suffix in reversed(suffixes):
        if suffix in _EXTENSIONS:
            return _EXTENSIONS[suffix]
    raise UsageError(
        f"cannot tell the format of {path!r} from its extension",
        hint=f"name it .csv, .tsv, .parquet, .arrow, .feather or .jsonl, or pass "
        f"--input-format ({', '.join(FORMATS)})",
    )


def is_pattern(path: str) -> bool:
    return any(ch in path for ch in "*?[") and not Path(path).exists()


def open_source(
    path: str, input_format: str | None = None, options: ReadOptions | None = None
) -> Source:
    """Open a file, directory, glob or `-` for streaming reads; errors name the file."""
    options = options or ReadOptions()
    fmt = normalize_format(input_format) if input_format else None
    if path == "-":
        from losscli.readers.stdin import spool_stdin

        if fmt is None:
            raise UsageError(
                "reading standard input needs --input-format",
                hint=f"one of {', '.join(FORMATS)}",
            )
        return _open_file(spool_stdin(fmt), fmt, options, shown_as="-")
    if is_uri(path):  # s3://, gs://, fsspec URLs: see losscli/fs.py
        from losscli import fs

        where = "dir" if fs.is_pattern(path) else fs.kind(path)
        if where == "missing":
            raise fs.missing(path)
        if where == "file":
            return _open_file(path, fmt or detect_format(path), options)
    p = Path(path)
    if is_uri(path) or p.is_dir() or is_pattern(path):
        from losscli.readers.dataset import open_dataset

        return open_dataset(path, fmt, options)
    if not p.exists():
        raise InputDataError("no such file", path=path, hint="check the path")
    if not p.is_file():  # a FIFO, /dev/stdin, a device: no seeking, so copy it like stdin
        from losscli.readers.stdin import spool_stdin

        fmt = fmt or detect_format(path)
        with open(p, "rb") as stream:
            return _open_file(spool_stdin(fmt, stream), fmt, options, shown_as=path)
    return _open_file(path, fmt or detect_format(path), options)


class SchemaFirst:
    """Properties of a format that reads its schema once when opened (into `_schema`) and
    cannot count rows without reading the whole file."""

    _schema: pa.Schema

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    @property
    def column_names(self) -> list[str]:
        return list(self._schema.names)

    @property
    def num_rows(self) -> int | None:
        return None


def sliced(
    stored: Iterable[pa.RecordBatch], size: int, columns: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    """Stored batches (of only `columns`, when given) cut to at most `size` rows."""
    for batch in stored:
        if columns is not None:
            batch = batch.select(columns)
        for start in range(0, batch.num_rows, size):
            yield batch.slice(start, size)


def short_message(exc: Exception) -> str:
    """pyarrow's first line, without the C++ context that follows it."""
    return str(exc).strip().splitlines()[0]


def _open_file(path: str, fmt: str, options: ReadOptions, shown_as: str | None = None) -> Source:
    """`shown_as` is the name errors and results use when the file read is a stand-in."""
    module = importlib.import_module(f"losscli.readers.{fmt}")
    return module.open(shown_as or path, options, file=path)

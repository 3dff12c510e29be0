"""Readers turn a source into a stream of Arrow record batches; the engine never sees formats.

Each format module exposes `open(path, options) -> Source`. `open_source` picks one from the
extension (or `input_format`) and imports only that module, so pyarrow's CSV code is not
loaded for a Parquet file and nothing heavy is loaded for `--help`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from losscli.errors import InputDataError, UsageError

DEFAULT_BATCH_SIZE = 1 << 20


@dataclass(frozen=True)
class ReadOptions:
    """How to read a source; formats ignore options that do not apply to them."""

    batch_size: int = DEFAULT_BATCH_SIZE
    delimiter: str | None = None
    header: bool = True
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
    ".parquet": "parquet",
    ".pq": "parquet",
}
FORMATS = ("csv", "parquet")


def detect_format(path: str) -> str:
    suffixes = [s.lower() for s in Path(path).suffixes]
    for suffix in reversed(suffixes):
        if suffix in _EXTENSIONS:
            return _EXTENSIONS[suffix]
    raise UsageError(
        f"cannot tell the format of {path!r} from its extension",
        hint=f"name it .csv or .parquet, or pass --input-format ({', '.join(FORMATS)})",
    )


def open_source(
    path: str, input_format: str | None = None, options: ReadOptions | None = None
) -> Source:
    """Open a file for streaming reads; errors name the file."""
    fmt = input_format or detect_format(path)
    if fmt not in FORMATS:
        raise UsageError(f"unknown input format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    p = Path(path)
    if not p.exists():
        raise InputDataError("no such file", path=path, hint="check the path")
    if p.is_dir():
        raise InputDataError("is a directory, not a file", path=path)
    module = importlib.import_module(f"losscli.readers.{fmt}")
    return module.open(path, options or ReadOptions())

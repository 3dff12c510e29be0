"""Open a possibly compressed text file as a stream pyarrow's CSV and JSON readers accept."""

from __future__ import annotations

import lzma
from pathlib import Path
from typing import Any

import pyarrow as pa

from losscli.readers import COMPRESSIONS


def compression_of(path: str) -> str | None:
    return COMPRESSIONS.get(Path(path).suffix.lower())


def open_text(path: str) -> Any:
    """A binary input stream, decompressing .gz/.bz2/.zst in pyarrow and .xz in Python's lzma."""
    codec = compression_of(path)
    if codec == "xz":
        return _XzFile(path)
    return pa.input_stream(path, compression=codec)


class _XzFile(lzma.LZMAFile):
    """An .xz file whose damage is an OSError, as pyarrow's own codecs report it."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "rb")

    def read(self, size: int = -1) -> bytes:
        try:
            return super().read(size)
        except (EOFError, lzma.LZMAError) as exc:
            raise OSError(f"xz decompression failed: {exc}") from exc

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
        return _XzFile(path, "rb")
    return pa.input_stream(path, compression=codec)


class _XzFile(lzma.LZMAFile):
    """lzma's damage errors (LZMAError, EOFError for a cut file) as OSError, which every
    reader turns into "the compressed file is damaged", as pyarrow's codecs do."""

    def read(self, size: int | None = -1) -> bytes:
        try:
            return super().read(size)
        except (lzma.LZMAError, EOFError) as exc:
            raise OSError(f"xz data: {exc}") from exc

    def read1(self, size: int = -1) -> bytes:
        try:
            return super().read1(size)
        except (lzma.LZMAError, EOFError) as exc:
            raise OSError(f"xz data: {exc}") from exc

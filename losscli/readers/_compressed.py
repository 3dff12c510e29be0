"""Open a possibly compressed text file as a stream pyarrow's CSV and JSON readers accept."""

from __future__ import annotations

import lzma
from pathlib import Path
from typing import Any

from losscli.fs import input_stream, is_uri
from losscli.readers import COMPRESSIONS


def compression_of(path: str) -> str | None:
    return COMPRESSIONS.get(Path(path).suffix.lower())


def open_text(path: str) -> Any:
    """A binary input stream, decompressing .gz/.bz2/.zst in pyarrow and .xz in Python's lzma."""
    codec = compression_of(path)
    if codec == "xz":
        return lzma.open(input_stream(path) if is_uri(path) else path, "rb")
    return input_stream(path, compression=codec)

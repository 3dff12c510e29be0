"""`-`: standard input is copied to a temporary file first.

Parquet and Arrow files need seeking, and losses with a whole-file pass read the input
twice, so a pipe cannot be read in place; the copy streams, so memory stays bounded. The
copy keeps a compression suffix sniffed from its first bytes, so `zcat`-less pipes work.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from losscli import interrupts
from losscli.atomic import writing

_MAGIC = {
    b"\x1f\x8b": ".gz",
    b"BZh": ".bz2",
    b"\x28\xb5\x2f\xfd": ".zst",
    b"\xfd7zXZ\x00": ".xz",
}
_TEXT_FORMATS = ("csv", "tsv", "jsonl")


def spool_stdin(fmt: str, stream: BinaryIO | None = None) -> str:
    """Copy stdin to a temp file named `stdin.<fmt>[.gz]`, removed when the process exits."""
    stream = stream or sys.stdin.buffer
    chunks = _chunks(stream)
    head = b""
    for chunk in chunks:  # enough bytes to recognise a compression's magic number
        head += chunk
        if len(head) >= 8:
            break
    suffix = f".{fmt}"
    if fmt in _TEXT_FORMATS:
        suffix += next((ext for magic, ext in _MAGIC.items() if head.startswith(magic)), "")
    # a full or read-only temporary folder names itself and TMPDIR, not "stdin"
    where = f"{tempfile.gettempdir()} (the copy of the input; TMPDIR sets the folder)"
    with writing(where):
        handle, path = tempfile.mkstemp(prefix="losscli-stdin-", suffix=suffix)
    atexit.register(_remove, path)
    with os.fdopen(handle, "wb", buffering=0) as out:  # unbuffered: every write fails here
        for chunk in itertools.chain([head], chunks):
            with writing(where):
                out.write(chunk)
    return path


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The stream's bytes in chunks; a real descriptor is read so that Ctrl-C, SIGTERM and
    SIGHUP stop a copy that waits for input at once (losscli.interrupts.read_chunk)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    while True:
        chunk = stream.read(1 << 20) if fd is None else interrupts.read_chunk(fd, 1 << 20)
        if not chunk:
            return
        yield chunk


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)

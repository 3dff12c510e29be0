"""Standard streams that were closed before losscli started (`losscli … >&-`, `<&-`).

Python leaves `sys.stdout` (or stdin, stderr) as None when its file descriptor is closed,
and the next file losscli opens would silently take that descriptor: a temporary output
file could become "stdout". `guard_standard_streams` fills closed descriptors 0-2 with
/dev/null and replaces a closed stdout by a stream that fails on the first write with
EBADF, so writing results to a closed stdout is one clear error (exit 3), never a crash
and never a silent success.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import Any


class ClosedStream(io.TextIOBase):
    """A text stream whose writes fail: stdout was closed when losscli started."""

    def __init__(self, name: str) -> None:
        self.name = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not text:
            return 0
        raise OSError(errno.EBADF, "is closed, so the results cannot be written", self.name)

    def fileno(self) -> int:
        raise OSError(errno.EBADF, f"{self.name} is closed")


STDOUT = "standard output"


class NamedStream:
    """sys.stdout whose write errors (a full /dev/full, an I/O error) name it, so the one
    error line says `standard output: …`; a closed pipe stays a BrokenPipeError (exit 141)."""

    def __init__(self, stream: Any, name: str) -> None:
        self._stream = stream
        self._name = name

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _named(exc, self._name) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _named(exc, self._name) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _named(exc: OSError, name: str) -> OSError:
    return OSError(exc.errno, exc.strerror or str(exc), exc.filename or name)


def guard_standard_streams() -> None:
    """Occupy closed descriptors 0, 1 and 2; make the Python streams say they are closed."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            devnull = os.open(os.devnull, os.O_RDWR)
            if devnull != fd:
                os.dup2(devnull, fd)
                os.close(devnull)
    if sys.stdout is None:
        sys.stdout = ClosedStream(STDOUT)
    else:
        sys.stdout = NamedStream(sys.stdout, STDOUT)  # type: ignore[assignment]
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    if sys.stdin is None:
        sys.stdin = _closed_stdin()


def _closed_stdin() -> io.TextIOWrapper:
    """A stdin whose reads fail with EBADF (so `-` says stdin is closed)."""

    class _Closed(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: object) -> int:
            raise OSError(errno.EBADF, "is closed", "standard input")

    return io.TextIOWrapper(io.BufferedReader(_Closed()))

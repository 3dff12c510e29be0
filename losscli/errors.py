"""One exception hierarchy; the CLI maps each class to an exit code in one place."""

from __future__ import annotations

import errno
import os
import re

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_INTERNAL = 4
EXIT_HANGUP = 129  # SIGHUP: 128 + 1
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away (`| head`): 128 + SIGPIPE
EXIT_TERMINATED = 143  # SIGTERM: 128 + 15


class LossCliError(Exception):
    """Base of every error a user can cause; `exit_code` is what the CLI exits with."""

    exit_code = EXIT_USAGE

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        column: str | None = None,
        row: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.column = column
        self.row = row
        self.hint = hint

    def where(self) -> str:
        """`file, column 'c', row 12` — the place, or '' when the error has none."""
        parts = []
        if self.path:
            parts.append(str(self.path))
        if self.column:
            parts.append(f"column {self.column!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = self.message
        where = self.where()
        if where:
            text = f"{where}: {text}"
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class UsageError(LossCliError):
    """Unknown loss, bad parameter, bad option or bad config: exit 2."""

    exit_code = EXIT_USAGE


class InputDataError(LossCliError):
    """The data cannot give a loss: missing column, bad value, unreadable file: exit 3."""

    exit_code = EXIT_DATA


class LossCliWarning(UserWarning):
    """Something the user should know that does not stop the run (e.g. a broken plugin
    package); the CLI prints these as `losscli: warning:` lines."""


#: what to do about the environment failures a run can meet (errno → hint)
_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free some space or write elsewhere",
    errno.EDQUOT: "the disk quota is used up: free some space or write elsewhere",
    errno.EROFS: "the file system is read-only: write elsewhere",
    errno.EACCES: "check the permissions, or write elsewhere",
    errno.EPERM: "check the permissions, or write elsewhere",
    errno.ENAMETOOLONG: "use a shorter file name",
    errno.EBADF: "a standard stream is closed: give losscli a stdin/stdout, or use -o FILE",
    errno.EIO: "the device failed: retry, or write elsewhere",
}


def output_error(exc: OSError, target: str) -> InputDataError:
    """Writing `target` failed (full disk, read-only folder, a name too long): exit 3 naming
    the output as the user gave it, not a temporary name (pyarrow's errors carry no errno
    attribute: it is read from the message)."""
    code = exc.errno
    if code is None:
        found = re.search(r"errno (\d+)", str(exc), re.I)
        code = int(found.group(1)) if found else None
    what = os.strerror(code) if code else (exc.strerror or str(exc).splitlines()[0])
    return InputDataError(
        f"cannot write: {what[:1].lower() + what[1:]}",
        path=str(target),
        hint=_OS_HINTS.get(code or 0),
    )


def environment_error(exc: BaseException) -> LossCliError | None:
    """An OS or resource failure (full disk, read-only folder, closed stream, no memory) as
    a one-line data/environment error (exit 3); None for anything else, which is a bug."""
    if isinstance(exc, MemoryError):
        return InputDataError("out of memory", hint="use a smaller --batch-size")
    if not isinstance(exc, OSError):
        return None
    what = exc.strerror or str(exc) or type(exc).__name__
    return InputDataError(
        what[:1].lower() + what[1:],
        path=None if exc.filename is None else str(exc.filename),
        hint=_OS_HINTS.get(exc.errno or 0),
    )

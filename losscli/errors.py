"""One exception hierarchy; the CLI maps each class to an exit code in one place."""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away (`| head`): 128 + SIGPIPE


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

"""pyarrow's and the OS's reading errors, told in losscli's words: file, column, row, what to do.

pyarrow reports CSV problems as `In CSV column #2: Row #12: CSV conversion error to double:
invalid value 'abc'` (the row only when it parses on one thread); readers hand such
exceptions here with a way to re-read the file on one thread, so the message can name the
row. Row numbers count data rows from 0, as everywhere in losscli.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from losscli.errors import InputDataError

_ROW = re.compile(r"Row #(\d+)")
_COLUMN = re.compile(r"column #(\d+)")
_CONVERSION = re.compile(r"conversion error to (\w+): invalid value '(.*)'", re.S)
_FIELDS = re.compile(r"Expected (\d+) columns, got (\d+)")


def os_error(exc: Exception, *, path: str, what: str) -> InputDataError:
    """Unreadable, truncated or damaged files (a cut-off .gz, a broken Parquet footer)."""
    if isinstance(exc, PermissionError):
        return InputDataError("permission denied", path=path, hint="check the file's permissions")
    if isinstance(exc, IsADirectoryError):
        return InputDataError("is a directory, not a file", path=path)
    message = _first_line(exc)
    hint = "the file is damaged or cut short; write or download it again"
    if "compress" in message.lower() or "gzip" in message.lower():
        hint = "the compressed file is cut short or damaged; write or download it again"
    return InputDataError(f"cannot read as {what}: {message}", path=path, hint=hint)


def check_header(schema: Any, path: str) -> None:
    """Column names that are not UTF-8 (a binary or Latin-1 file) fail here, not later."""
    try:
        schema.names  # noqa: B018 - decoding the names is the check
    except UnicodeDecodeError as exc:
        raise InputDataError(
            f"the header is not UTF-8 text ({exc.object[exc.start : exc.start + 8]!r})",
            path=path,
            hint="save the file as UTF-8, or check that it is a text table",
        ) from None


def csv_error(
    exc: Exception,
    *,
    path: str,
    names: Sequence[str],
    header: bool = True,
    rescan: Callable[[], Iterable[Any]] | None = None,
    what: str = "CSV",
) -> InputDataError:
    """A pyarrow CSV error as `file, column 'c', row r: ... (what to do)`.

    `rescan` re-reads the file on one thread (pyarrow only numbers rows then); it is only
    called on this error path.
    """
    if isinstance(exc, OSError) and not _ROW.search(str(exc)):
        return os_error(exc, path=path, what=what)
    message = str(exc)
    if rescan is not None and not _ROW.search(message):
        message = _rescan_message(rescan) or message
    row = _row(message, header)
    column = _column(message, names)
    conversion = _CONVERSION.search(message)
    if conversion:
        kind, value = conversion.groups()
        return InputDataError(
            f"{value!r} is not a number"
            if "double" in kind or "int" in kind
            else f"{value!r} cannot be read as {kind}",
            path=path,
            column=column,
            row=row,
            hint="fix that cell; an empty cell is read as NaN (see --nan-policy)",
        )
    fields = _FIELDS.search(message)
    if fields:
        want, got = fields.groups()
        from losscli.hints import wrong_delimiter

        line = message[fields.end() :].removeprefix(": ").splitlines()[0] if want == "1" else ""
        return InputDataError(
            f"{'it' if row is not None else 'a row'} has {got} fields but the header has {want}",
            path=path,
            row=row,
            hint=wrong_delimiter(line) or "check the delimiter and the quoting on that row",
        )
    if "cannot infer number of columns" in message:  # one line, no final newline
        if header:
            return InputDataError(
                "has no data rows", path=path, hint="the file holds only a header line"
            )
        return InputDataError(
            "has one line and no final newline", path=path, hint="end the file with a newline"
        )
    if "empty" in message.lower():
        return InputDataError("is empty", path=path, hint="the file has no header and no rows")
    return InputDataError(
        f"cannot read as {what}: {_first_line(exc)}",
        path=path,
        column=column,
        row=row,
        hint=f"is this really a {what} file?",
    )


def _first_line(exc: BaseException) -> str:
    """pyarrow's first line, without the C++ context that follows it."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _rescan_message(rescan: Callable[[], Iterable[Any]]) -> str | None:
    try:
        for _ in rescan():
            pass
    except Exception as exc:  # the same error again, now with a row number
        return str(exc.__cause__ or exc)
    return None


def _row(message: str, header: bool) -> int | None:
    found = _ROW.search(message)
    if not found:
        return None
    line = int(found.group(1))  # pyarrow counts the header as row 1
    return max(line - (2 if header else 1), 0)


def _column(message: str, names: Sequence[str]) -> str | None:
    found = _COLUMN.search(message)
    if not found:
        return None
    index = int(found.group(1))
    return names[index] if index < len(names) else f"#{index}"


def not_numbers(
    column: Any, name: str, *, path: str | None, first_row: int | None = None
) -> InputDataError:
    """A text or bytes column where numbers were expected: name the first bad cell."""
    import pyarrow as pa

    kind = column.type
    hint = "losses need numeric columns (integers, floats, booleans or lists of them)"
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)):
        return InputDataError(f"has type {kind}, not numbers", path=path, column=name, hint=hint)
    for i, cell in enumerate(column.to_pylist()):
        if cell is None:
            continue
        row = None if first_row is None else first_row + i
        if isinstance(cell, bytes):
            try:
                cell = cell.decode("utf-8")
            except UnicodeDecodeError:
                return InputDataError(
                    f"{cell[:20]!r} is not UTF-8 text",
                    path=path,
                    column=name,
                    row=row,
                    hint="save the file as UTF-8",
                )
        try:
            float(cell)
        except ValueError:
            from losscli.hints import number_text

            return InputDataError(
                f"{cell[:40]!r} is not a number",
                path=path,
                column=name,
                row=row,
                hint=number_text(cell, path)
                or "fix that cell or choose another column; an empty cell is read as NaN",
            )
    return InputDataError(f"has type {kind}, not numbers", path=path, column=name, hint=hint)

"""User code behind one door: every call into a plugin goes through `guest_call`.

A plugin's import, a factory call and every call of a custom loss run here, so that what a
guest does cannot change what losscli reports:

- its `print()` (and anything written to file descriptor 1) goes to stderr, so `--format json`
  on stdout still parses;
- any exception it raises, `BaseException` kinds included (`sys.exit(0)`, a `KeyboardInterrupt`
  it raises itself, `GeneratorExit`, its own `BaseException` subclasses), becomes a LossCliError
  naming its file and line: a plugin cannot end the process, least of all with exit 0;
- a real signal (Ctrl-C, SIGTERM, SIGHUP: see `losscli.interrupts`) that arrives while it runs
  still interrupts losscli, whatever the plugin does with it.

What a door cannot stop: `os._exit`, killing the process, or threads the plugin starts.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from losscli import interrupts
from losscli.errors import InputDataError, LossCliError

T = TypeVar("T")

_HERE = Path(__file__).parent


class PluginStopped(InputDataError):
    """A plugin raised a BaseException that is not an Exception (it tried to stop losscli)."""


def guest_call(
    run: Callable[[], T],
    what: str,
    *,
    translate: Callable[[Exception], LossCliError],
    site: Callable[[BaseException], str] | None = None,
) -> T:
    """Run user code `run()`: stdout to stderr, every exception contained.

    `what` names the code for messages (`plugin my_losses.py`, `custom loss pinball`);
    `translate` turns an ordinary Exception into the caller's error (usage or data); `site`
    finds the plugin's `file:line` in a traceback (default: the deepest frame outside
    losscli and the import machinery).
    """
    where = site or user_site
    with _stdout_to_stderr():
        try:
            result = run()
        except LossCliError:
            raise
        except BaseException as exc:
            real = interrupts.received()
            if real is not None:  # a real signal arrived while the guest ran: it wins
                raise interrupts.exception_for(real) from None
            if isinstance(exc, Exception):
                raise translate(exc) from exc
            raise PluginStopped(
                f"{what} raised {_describe(exc)} at {where(exc)}; a plugin may not stop losscli",
                hint="raise an Exception to report a problem; --debug shows the traceback",
            ) from exc
        real = interrupts.received()
        if real is not None:  # the guest swallowed a real signal: it still ends the run
            raise interrupts.exception_for(real)
        return result


def user_site(exc: BaseException) -> str:
    """`file:line` of the deepest traceback frame in user code, or `an unknown place`."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not is_machinery(f.filename)]
    if not frames:
        return "an unknown place"
    return f"{frames[-1].filename}:{frames[-1].lineno}"


def is_machinery(filename: str) -> bool:
    """Frames of the import system and of losscli itself, not of the user's code."""
    path = Path(filename)
    return (
        filename.startswith("<frozen")
        or "importlib" in path.parts
        or path.parent == _HERE
        or _HERE in path.parents
    )


def _describe(exc: BaseException) -> str:
    kind = type(exc).__name__
    if isinstance(exc, SystemExit):
        return f"SystemExit({exc.code!r})"
    text = str(exc)
    return f"{kind}: {text}" if text else kind


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """sys.stdout and file descriptor 1 point at stderr while the guest runs."""
    saved_fd = _redirect_fd()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        if saved_fd is not None:
            os.dup2(saved_fd, 1)
            os.close(saved_fd)


def _redirect_fd() -> int | None:
    """Point fd 1 at fd 2 (C code and subprocesses write there); None if either is closed."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:
        return None
    try:
        os.dup2(2, 1)
    except OSError:
        os.close(saved)
        return None
    return saved

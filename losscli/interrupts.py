"""Ctrl-C, SIGTERM and SIGHUP end a run the same way: unwind, clean up, exit 128 + signal.

The handlers record which signal arrived and raise `KeyboardInterrupt` (SIGINT) or
`Terminated` (SIGTERM, SIGHUP, a KeyboardInterrupt subclass), so every `finally` and
`except BaseException` on the way out runs: temporary output files are deleted, the copy of
standard input is removed (atexit), and nothing half-written is left behind. Recording the
signal lets the plugin door (`losscli.guest`) tell a real Ctrl-C from a plugin that raises
KeyboardInterrupt itself.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
from typing import Any

_received: list[int] = []
_wakeup: list[int] = []  # the read end of the signal wake-up pipe, once installed


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived; `signum` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def install() -> None:
    """Handle SIGINT, SIGTERM and SIGHUP in this (main) thread; a no-op elsewhere.

    The kernel may deliver a signal to any thread (numpy's and pyarrow's pools included);
    Python then runs the handler in the main thread only once that thread executes Python
    code again. A wake-up pipe lets a main thread that waits for input (`read_chunk`) see
    the signal at once instead of when the next bytes arrive.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if not _wakeup:
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        _wakeup.append(read)
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        if name == "SIGHUP" and signal.getsignal(signum) == signal.SIG_IGN:
            continue  # started under nohup: keep ignoring hang-ups
        signal.signal(signum, _handle)


def _handle(signum: int, frame: Any) -> None:
    _received.append(signum)
    raise exception_for(signum)


def exception_for(signum: int) -> KeyboardInterrupt:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


def read_chunk(fd: int, size: int) -> bytes:
    """`os.read(fd, size)` that a signal interrupts at once, in whichever thread it lands."""
    if _wakeup and threading.current_thread() is threading.main_thread():
        ready, _, _ = select.select([fd, _wakeup[0]], [], [])
        if _wakeup[0] in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(_wakeup[0], 512)  # the handler runs as this returns to Python code
            if fd not in ready:
                return read_chunk(fd, size)
    return os.read(fd, size)


def received() -> int | None:
    """The first signal that arrived in this process, or None."""
    return _received[0] if _received else None


def exit_code(exc: BaseException) -> int:
    """128 + the signal number: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    signum = getattr(exc, "signum", None) or received() or signal.SIGINT
    return 128 + int(signum)


def describe(exc: BaseException) -> str:
    signum = getattr(exc, "signum", None) or received()
    if signum in (None, signal.SIGINT):
        return "interrupted"
    return f"terminated by {signal.Signals(signum).name}"

"""Guest calls that overlap in threads (a Dask or web worker calling `evaluate` with custom
losses on several threads) leave standard output where it was when the last one ends."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os, sys, threading
    from losscli.errors import InputDataError
    from losscli.guest import guest_call

    before = os.fstat(1).st_ino, sys.stdout
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first():  # enters first, leaves first
        a_in.set(); b_in.wait(); return 1

    def second():  # enters while `first` runs, leaves after it
        a_in.wait(); b_in.set(); a_out.wait(); return 2

    fail = lambda exc: InputDataError(str(exc))
    threads = [
        threading.Thread(target=lambda: (guest_call(first, "a", translate=fail), a_out.set())),
        threading.Thread(target=lambda: guest_call(second, "b", translate=fail)),
    ]
    for t in threads: t.start()
    for t in threads: t.join()
    after = os.fstat(1).st_ino, sys.stdout
    print("same" if after == before else f"moved {before} -> {after}")
    """
)


def test_overlapping_guest_calls_restore_stdout() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout == "same\n"

"""A signal ignored when losscli starts stays ignored: `nohup losscli …` survives a hang-up,
and `losscli … &` in a script (the shell ignores SIGINT for background jobs) survives the
Ctrl-C meant for the foreground job, as every well-behaved Unix tool (and Python) does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=str)
def test_a_signal_ignored_at_start_does_not_stop_the_run(
    tmp_path: Path, sig: signal.Signals
) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()

    def ignore() -> None:
        signal.signal(sig, signal.SIG_IGN)

    process = subprocess.Popen(
        [sys.executable, "-m", "losscli", "eval", "mse", "-", "-q", "--input-format", "csv"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmpdir)},
        preexec_fn=ignore,
    )
    try:
        assert process.stdin is not None
        process.stdin.write("y_true,y_pred\n1,2\n")
        process.stdin.flush()
        for _ in range(3000):  # wait until losscli copies stdin: its handlers are installed
            if any(tmpdir.glob("losscli-stdin-*")) or process.poll() is not None:
                break
            time.sleep(0.02)
        process.send_signal(sig)
        time.sleep(0.2)
        stdout, stderr = process.communicate("3,3\n", timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert stdout == "0.5\n"

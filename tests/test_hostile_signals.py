"""SIGTERM and SIGHUP clean up like Ctrl-C and exit 143 / 129 (issue #10).

Each test starts a real `python -m losscli` reading a slow FIFO or standard input that never
ends, waits until losscli has started copying it (its copy appears in TMPDIR), sends the
signal, and checks the exit code, the one stderr line and that no file is left behind: no
stdin copy, no temporary output, no output file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CASES = [
    (signal.SIGTERM, 143, "terminated by SIGTERM"),
    (signal.SIGHUP, 129, "terminated by SIGHUP"),
    (signal.SIGINT, 130, "interrupted"),
]


def _wait_for_copy(tmpdir: Path, process: subprocess.Popen[str]) -> None:
    for _ in range(3000):  # up to a minute; not a timing test
        if any(tmpdir.glob("losscli-stdin-*")) or process.poll() is not None:
            break
        time.sleep(0.02)
    assert any(tmpdir.glob("losscli-stdin-*")), process.communicate()[1]


def _finish(process: subprocess.Popen[str], sig: signal.Signals) -> tuple[str, str]:
    try:
        process.send_signal(sig)
        return process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize(("sig", "code", "said"), CASES, ids=[c[0].name for c in CASES])
def test_a_signal_while_reading_a_slow_fifo_cleans_up(
    tmp_path: Path, sig: signal.Signals, code: int, said: str
) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    fifo = tmp_path / "slow.csv"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "losscli", "eval", "mse", str(fifo), "-f", "json"),
            *("-o", str(out / "result.json"), "--per-sample", str(out / "rows.parquet")),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmpdir)},
    )
    with fifo.open("w") as writer:  # opens once losscli opens the FIFO; kept open: no EOF
        writer.write("y_true,y_pred\n1,2\n")
        writer.flush()
        _wait_for_copy(tmpdir, process)
        stdout, stderr = _finish(process, sig)
    assert process.returncode == code, stderr
    assert stderr.strip().splitlines() == [f"losscli: {said}"]
    assert stdout == ""
    assert list(tmpdir.iterdir()) == [] and list(out.iterdir()) == []


@pytest.mark.parametrize(("sig", "code", "said"), CASES, ids=[c[0].name for c in CASES])
def test_a_signal_while_copying_stdin_removes_the_copy(
    tmp_path: Path, sig: signal.Signals, code: int, said: str
) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "losscli", "eval", "mse", "-", "--input-format", "csv"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmpdir)},
    )
    assert process.stdin is not None
    process.stdin.write("y_true,y_pred\n" + "1,2\n" * 100_000)
    process.stdin.flush()  # stdin stays open: the copy never ends by itself
    _wait_for_copy(tmpdir, process)
    try:
        process.send_signal(sig)
        process.wait(timeout=60)  # stdin is still open: no EOF can end the copy first
    finally:
        if process.poll() is None:
            process.kill()
    process.stdin.close()
    assert process.stderr is not None
    stderr = process.stderr.read()
    assert process.returncode == code, stderr
    assert stderr.strip().splitlines()[-1] == f"losscli: {said}"
    assert list(tmpdir.iterdir()) == []

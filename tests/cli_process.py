"""`python -m losscli ...` as a real subprocess, for tests where the process matters (exit
codes, stdin, stderr)."""

from __future__ import annotations

import subprocess
import sys


def losscli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """Run losscli; stdout and stderr as text (stdin, when given, as bytes)."""
    done = subprocess.run(
        [sys.executable, "-m", "losscli", *args], input=stdin, capture_output=True, check=False
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )

"""What a first-time user tripped over (following the README at 80 columns), pinned.

Through a real `python -m losscli` process: what is checked is the bytes on stdout and
stderr and the exit code a shell sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "mse", "sample_data/regression.csv", "--format", "json"],
        ["check", "sample_data/check.toml", "--format", "json"],
    ],
)
def test_json_on_stdout_ends_with_a_newline(args: list[str]) -> None:
    """Without it the shell prompt lands after the `}` and `wc -l`, `diff` and `cat a b` trip."""
    out = run(*args)
    assert out.returncode == 0, out.stderr
    assert out.stdout.endswith("}\n")
    json.loads(out.stdout)


def test_json_output_file_ends_with_a_newline(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    out = run("eval", "mse,mae", "sample_data/regression.csv", "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert target.read_text().endswith("}\n")

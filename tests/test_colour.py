"""Colour by convention, through a real process: status words coloured on a terminal (and
under FORCE_COLOR), plain when piped, none under NO_COLOR; never literal markup tags."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GREEN = "\x1b[32m"


def _check(env: dict[str, str], tty: bool = False) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    command = [sys.executable, "-m", "losscli", "check", "sample_data/check.toml"]
    full = {**clean, "TERM": "xterm-256color", "COLUMNS": "80", **env}
    if not tty:
        done = subprocess.run(command, capture_output=True, text=True, env=full, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return done.stdout
    main, child = pty.openpty()
    process = subprocess.Popen(command, stdout=child, stderr=subprocess.DEVNULL, env=full, cwd=ROOT)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait()
    os.close(main)
    return b"".join(chunks).decode()


def test_piped_is_plain() -> None:
    out = _check({})
    assert "PASS" in out and "\x1b[" not in out and "[green]" not in out


def test_force_color_colours_the_status_words() -> None:
    out = _check({"FORCE_COLOR": "1"})
    assert f"{GREEN}PASS" in out and "[green]" not in out


def test_no_color_wins_over_a_terminal() -> None:
    assert GREEN not in _check({"NO_COLOR": "1"}, tty=True)


def test_a_terminal_gets_colour() -> None:
    out = _check({}, tty=True)
    assert f"{GREEN}PASS" in out and "[green]" not in out

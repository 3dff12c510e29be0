"""Plugins are guests (issue #10): whatever a plugin does at import, in a factory, in a loss or
in a hook, the gate never passes wrongly and stdout stays the requested output.

Every kind of BaseException a plugin can raise is tried in every place user code runs; each
must end in exit 3 with one line naming the plugin's file and line. Process-level behaviour
(what reaches file descriptor 1, real signals) is tested through real subprocesses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from losscli.cli import app

runner = CliRunner()

#: what a plugin raises → what the error line calls it
RAISES = {
    "sys.exit(0)": "SystemExit(0)",
    "sys.exit('bye')": "SystemExit('bye')",
    "sys.exit(1)": "SystemExit(1)",
    "raise KeyboardInterrupt": "KeyboardInterrupt",
    "raise GeneratorExit": "GeneratorExit",
    "raise Custom('mine')": "Custom: mine",
}

#: where user code runs → (plugin source with {stmt}, spec, line of {stmt} in the source)
PLACES = {
    "import": ("import sys\nclass Custom(BaseException): pass\n{stmt}\n", "mse", 3),
    "factory": (
        "import sys\nclass Custom(BaseException): pass\ndef made(k: float = 1.0):\n    {stmt}\n",
        "made(k=2)",
        4,
    ),
    "loss": (
        "import sys\nclass Custom(BaseException): pass\ndef stops(y_true, y_pred):\n    {stmt}\n",
        "stops",
        4,
    ),
    "validate": (
        "import sys\nimport losscli\nclass Custom(BaseException): pass\n"
        "def _check(params):\n    {stmt}\n"
        "@losscli.register_loss(name='checked', validate=_check)\n"
        "def checked(y_true, y_pred, k: float = 1.0):\n    return y_pred[:, 0]\n",
        "checked(k=2)",
        5,
    ),
    "prepass": (
        "import sys\nimport losscli\nclass Custom(BaseException): pass\n"
        "class _State:\n    def update(self, y_true, y_pred):\n        {stmt}\n"
        "    def result(self):\n        return {{}}\n"
        "@losscli.register_loss(name='whole', prepass=lambda params: _State())\n"
        "def whole(y_true, y_pred):\n    return y_pred[:, 0]\n",
        "whole",
        6,
    ),
}


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    path = tmp_path / "d.csv"
    path.write_text("y_true,y_pred\n1,2\n3,5\n4,4\n0,1\n")
    return path


@pytest.mark.parametrize("stmt", RAISES, ids=list(RAISES))
@pytest.mark.parametrize("place", PLACES)
def test_a_plugin_that_stops_the_process_is_exit_3_naming_its_line(
    tmp_path: Path, csv: Path, place: str, stmt: str
) -> None:
    source, spec, line = PLACES[place]
    plugin = tmp_path / f"guest_{place}.py"
    plugin.write_text(source.format(stmt=stmt))
    result = runner.invoke(
        app, ["eval", "--plugin", str(plugin), spec, str(csv), "--fail-above", "1000"]
    )
    assert result.exit_code == 3, result.stderr
    assert f"raised {RAISES[stmt]} at {plugin}:{line}" in result.stderr
    assert "a plugin may not stop losscli" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "400"},
        check=False,
    )


def test_sys_exit_0_in_a_loss_fails_the_gate_and_the_check(tmp_path: Path, csv: Path) -> None:
    """The issue's first finding: exit 0 with nothing printed and no JUnit file."""
    plugin = tmp_path / "quits.py"
    plugin.write_text("import sys\ndef quits(y_true, y_pred):\n    sys.exit(0)\n")
    evaluated = _run("eval", "--plugin", str(plugin), "mse,quits", str(csv), "--fail-above", "9")
    assert evaluated.returncode == 3, evaluated.stderr
    assert evaluated.stdout == ""
    config = tmp_path / "checks.toml"
    config.write_text(
        f'plugins = ["{plugin.name}"]\n'
        '[[check]]\nname = "fine"\nfile = "d.csv"\nloss = "mse"\nfail_above = 9\n'
        '[[check]]\nname = "quits"\nfile = "d.csv"\nloss = "quits"\nfail_above = 9\n'
    )
    junit = tmp_path / "junit.xml"
    checked = _run("check", str(config), "--junit", str(junit))
    assert checked.returncode == 3, checked.stderr
    assert "check error: quits" in checked.stderr and "SystemExit(0)" in checked.stderr
    assert "<error" in junit.read_text()


def test_what_a_plugin_prints_goes_to_stderr_and_json_still_parses(
    tmp_path: Path, csv: Path
) -> None:
    plugin = tmp_path / "noisy.py"
    plugin.write_text(
        textwrap.dedent(
            """
            import os
            import sys
            print("loading noisy")

            def noisy(y_true, y_pred):
                print("python print")
                sys.stdout.write("sys.stdout\\n")
                os.write(1, b"fd 1\\n")
                return (y_pred - y_true)[:, 0] ** 2
            """
        )
    )
    proc = _run("eval", "--plugin", str(plugin), "noisy,mse", str(csv), "-f", "json")
    assert proc.returncode == 0, proc.stderr
    values = [r["value"] for r in json.loads(proc.stdout)["results"]]
    assert values == [1.5, 1.5]
    for text in ("loading noisy", "python print", "sys.stdout", "fd 1"):
        assert text in proc.stderr


def test_a_loss_cannot_write_into_its_inputs(tmp_path: Path, csv: Path) -> None:
    plugin = tmp_path / "scribbles.py"
    plugin.write_text(
        "import numpy as np\ndef scribbles(y_true, y_pred):\n"
        "    y_pred *= 2\n    return np.mean(y_pred, axis=-1)\n"
    )
    result = runner.invoke(app, ["eval", "--plugin", str(plugin), "scribbles,mse", str(csv)])
    assert result.exit_code == 3, result.stderr
    assert f"wrote into its input at {plugin}:3" in result.stderr
    assert "y_pred = y_pred.copy()" in result.stderr


def test_a_loss_that_copies_its_inputs_first_works(tmp_path: Path, csv: Path) -> None:
    """Read-only inputs are not a ban on numpy: a loss that copies gets the number, and the
    loss after it sees the file's values (mse of the file is 1.5)."""
    plugin = tmp_path / "copies.py"
    plugin.write_text(
        "import numpy as np\ndef copies(y_true, y_pred):\n"
        "    y_pred = y_pred.copy()\n    y_pred *= 0\n    return np.mean(y_pred, axis=-1)\n"
    )
    result = runner.invoke(
        app, ["eval", "--plugin", str(plugin), "copies,mse", str(csv), "-f", "json"]
    )
    assert result.exit_code == 0, result.stderr
    assert [r["value"] for r in json.loads(result.stdout)["results"]] == [0.0, 1.5]


_SWALLOWS = """
import pathlib
import time
import numpy as np

def swallows(y_true, y_pred):
    pathlib.Path({marker!r}).write_text("started")
    try:
        time.sleep(60)
    except KeyboardInterrupt:
        pass  # a plugin that swallows Ctrl-C must not turn it into a pass
    return np.zeros(len(y_pred))
"""


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_real_signal_wins_even_if_the_plugin_swallows_it(
    tmp_path: Path, csv: Path, sig: signal.Signals, code: int
) -> None:
    marker = tmp_path / "started"
    plugin = tmp_path / "swallows.py"
    plugin.write_text(_SWALLOWS.format(marker=str(marker)))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "losscli",
            "eval",
            "--plugin",
            str(plugin),
            "swallows",
            str(csv),
            "--fail-above",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(3000):  # wait (up to a minute) for the loss to start; not a timing test
            if marker.exists() or process.poll() is not None:
                break
            time.sleep(0.02)
        assert marker.exists(), process.communicate()[1]
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == code, stderr
    assert stdout == "" and "Traceback" not in stderr

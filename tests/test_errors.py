"""The error model: one stderr line, a documented exit code, a traceback only with --debug.

Cases that need the file system or a real process live here; bad file contents are in the
corpus (tests/test_errors_corpus.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import losscli.api
from losscli.cli import app

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
REGRESSION = str(SAMPLES / "regression.csv")


def _run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KERAS_BACKEND": "numpy"}
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("losscli: error: "), stderr
    return lines[0]


def test_missing_file_exits_3_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    result = runner.invoke(app, ["eval", "mse", str(missing)])
    assert result.exit_code == 3
    line = _one_error_line(result.stderr)
    assert str(missing) in line and "no such file" in line


def test_directory_without_data_exits_3(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "mse", str(tmp_path)])
    assert result.exit_code == 3
    assert str(tmp_path) in _one_error_line(result.stderr)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "secret.csv"
    path.write_text("y_true,y_pred\n1,2\n")
    path.chmod(0)
    try:
        result = runner.invoke(app, ["eval", "mse", str(path)])
    finally:
        path.chmod(0o600)
    assert result.exit_code == 3
    assert "permission denied" in _one_error_line(result.stderr).lower()


def test_usage_errors_from_the_parser_are_one_line_exit_2() -> None:
    for args in (
        ["eval", "mse", REGRESSION, "--reduction", "bogus"],
        ["eval", "mse", REGRESSION, "--nan-policy", "sometimes"],
        ["eval", "mse", REGRESSION, "--no-such-option"],
        ["eval", "mse", REGRESSION, "--batch-size", "zero"],
        ["evaluate", "mse", REGRESSION],
    ):
        result = _run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "--help" in _one_error_line(result.stderr)
        assert result.stdout == ""


def test_library_usage_errors_exit_2_in_a_real_process() -> None:
    result = _run("eval", "huber(delta=0.5", REGRESSION)
    assert result.returncode == 2
    assert "unbalanced parentheses" in _one_error_line(result.stderr)


def test_unexpected_error_asks_for_a_bug_report_and_exits_4(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something nobody expected")

    monkeypatch.setattr(losscli.api, "evaluate", broken)
    result = runner.invoke(app, ["eval", "mse", REGRESSION])
    assert result.exit_code == 4
    line = _one_error_line(result.stderr.replace("losscli: internal error", "losscli: error"))
    assert "RuntimeError: something nobody expected" in line
    assert "report" in line and "--debug" in line
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(losscli.api, "evaluate", broken)
    result = runner.invoke(app, ["--debug", "eval", "mse", REGRESSION])
    assert isinstance(result.exception, RuntimeError)


def test_input_errors_under_debug_raise_the_exception(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--debug", "eval", "mse", str(tmp_path / "nope.csv")])
    assert result.exception is not None and "no such file" in str(result.exception)


def _has_output_option() -> bool:
    return "--output" in runner.invoke(app, ["eval", "--help"], terminal_width=200).stdout


@pytest.mark.skipif(not _has_output_option(), reason="eval has no --output yet")
def test_output_path_that_is_the_input_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "preds.csv"
    data.write_text("y_true,y_pred\n1,2\n3,5\n")
    before = data.read_bytes()
    result = runner.invoke(app, ["eval", "mse", str(data), "-o", str(data)])
    assert result.exit_code == 2
    assert "input" in _one_error_line(result.stderr)
    assert data.read_bytes() == before


@pytest.mark.skipif(not _has_output_option(), reason="eval has no --output yet")
def test_output_in_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.json"
    result = runner.invoke(app, ["eval", "mse", REGRESSION, "-f", "json", "-o", str(target)])
    assert result.exit_code == 2
    assert "does not exist" in _one_error_line(result.stderr)
    assert not target.parent.exists()


def test_inputs_are_opened_read_only(tmp_path: Path) -> None:
    data = tmp_path / "preds.csv"
    data.write_text("y_true,y_pred\n1,2\n3,5\n")
    data.chmod(0o444)
    before = (data.read_bytes(), data.stat().st_mtime_ns)
    result = runner.invoke(app, ["eval", "mse", str(data)])
    assert result.exit_code == 0, result.stderr
    assert (data.read_bytes(), data.stat().st_mtime_ns) == before


_SLOW_PLUGIN = """
import time
from pathlib import Path

import numpy as np


def slow_loss(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    \"\"\"Tells the test it started, then works until interrupted.\"\"\"
    Path({marker!r}).touch()
    for _ in range(6000):
        time.sleep(0.01)
    return np.mean(np.square(y_true - y_pred), axis=-1)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_exits_130_and_leaves_no_partial_file(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    plugin = tmp_path / "slow.py"
    plugin.write_text(textwrap.dedent(_SLOW_PLUGIN.format(marker=str(marker))))
    out = tmp_path / "out" / "result.json"
    out.parent.mkdir()
    args = ["eval", "--plugin", str(plugin), "slow_loss", REGRESSION, "-f", "json"]
    if _has_output_option():
        args += ["-o", str(out)]
    env = {**os.environ, "KERAS_BACKEND": "numpy"}
    process = subprocess.Popen(
        [sys.executable, "-m", "losscli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        for _ in range(3000):  # wait (up to a minute) for the loss to start; not a timing test
            if marker.exists() or process.poll() is not None:
                break
            time.sleep(0.02)
        assert marker.exists(), process.communicate()[1]
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "losscli: interrupted"
    assert "Traceback" not in stderr
    assert stdout == ""
    assert list(out.parent.iterdir()) == []


def test_a_loss_that_cannot_use_the_inputs_says_what_it_needs() -> None:
    import numpy as np

    from losscli.engine import evaluate_arrays
    from losscli.errors import InputDataError
    from losscli.registry import BoundLoss, build_info

    def pairwise(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", y_true, y_pred.reshape(len(y_pred), 2, -1)[:, 0])

    info = build_info(
        pairwise,
        name="pairwise",
        class_name=None,
        category="custom",
        formula="",
        y_true="a vector per row",
        y_pred="two vectors per row, concatenated",
        labels="ids",
    )
    with pytest.raises(InputDataError) as caught:
        evaluate_arrays([BoundLoss(info, {})], np.ones((4, 3)), np.ones((4, 3)))
    message = str(caught.value)
    assert (
        "pairwise cannot use these inputs: y_true has 3 values and y_pred has 3 values" in message
    )
    assert "needs y_true: a vector per row; y_pred: two vectors per row" in message

"""The CLI end to end: through Typer's runner and through a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from losscli import __version__
from losscli.cli import app

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture
def regression_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    path = tmp_path / "preds.parquet"
    pq.write_table(
        pa.table(
            {
                "y_true": rng.normal(size=50),
                "y_pred": rng.normal(size=50),
                "sample_weight": rng.uniform(size=50),
            }
        ),
        path,
    )
    return path


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"losscli {__version__}"


def test_eval_json_is_the_documented_shape(regression_file: Path) -> None:
    result = runner.invoke(app, ["eval", "mse,mae", str(regression_file), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["losscli"] == __version__
    assert data["input"]["path"] == str(regression_file)
    assert data["input"]["format"] == "parquet"
    assert data["input"]["rows"] == 50
    assert [r["loss"] for r in data["results"]] == ["mean_squared_error", "mean_absolute_error"]
    first = data["results"][0]
    assert set(first) >= {"loss", "params", "reduction", "value", "count", "weight_sum"}
    table = pq.read_table(regression_file).to_pydict()
    t, p, w = (np.array(table[k]) for k in ("y_true", "y_pred", "sample_weight"))
    assert first["value"] == pytest.approx(np.sum((t - p) ** 2 * w) / 50, rel=1e-12)
    assert first["weight_sum"] == pytest.approx(w.sum(), rel=1e-12)


def test_reduction_none_gives_values(regression_file: Path) -> None:
    result = runner.invoke(
        app, ["eval", "mse", str(regression_file), "-r", "none", "--format", "json"]
    )
    values = json.loads(result.stdout)["results"][0]["values"]
    assert len(values) == 50


def test_table_output_names_the_loss(regression_file: Path) -> None:
    result = runner.invoke(app, ["eval", "mse", str(regression_file)])
    assert result.exit_code == 0
    assert "mean_squared_error" in result.stdout


def test_unknown_loss_exits_2_with_suggestion(regression_file: Path) -> None:
    result = runner.invoke(app, ["eval", "msee", str(regression_file)])
    assert result.exit_code == 2
    assert "mse" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_bad_parameter_exits_2_and_lists_parameters(regression_file: Path) -> None:
    result = runner.invoke(app, ["eval", "mse(delta=1)", str(regression_file)])
    assert result.exit_code == 2
    assert "no parameter 'delta'" in result.stderr


def test_missing_column_exits_3_and_lists_columns(regression_file: Path) -> None:
    result = runner.invoke(app, ["eval", "mse", str(regression_file), "--y-pred", "score"])
    assert result.exit_code == 3
    assert "y_true, y_pred, sample_weight" in result.stderr


def test_list_json_has_every_loss_with_aliases_and_parameters() -> None:
    result = runner.invoke(app, ["list", "--format", "json"])
    assert result.exit_code == 0
    losses = {entry["name"]: entry for entry in json.loads(result.stdout)["losses"]}
    assert "mse" in losses["mean_squared_error"]["aliases"]


def test_describe_shows_formula_and_example() -> None:
    result = runner.invoke(app, ["describe", "mse"])
    assert result.exit_code == 0
    assert "mean((y_true - y_pred)^2" in result.stdout
    assert ">>>" in result.stdout


def test_every_command_has_help_and_an_example() -> None:
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example" in (command.callback.__doc__ or ""), f"{name} has no documented example"


def test_real_subprocess_eval_and_error(regression_file: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "losscli", "eval", "mae", str(regression_file), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["results"][0]["loss"] == "mean_absolute_error"
    bad = subprocess.run(
        [sys.executable, "-m", "losscli", "eval", "mae", str(regression_file) + ".missing"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 3
    assert bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad.stderr


def test_warnings_print_brackets_in_messages_verbatim(capsys: pytest.CaptureFixture[str]) -> None:
    from losscli.cli import warn

    warn("cell [0.1, 0.9] and [bold]not markup[/bold]")
    assert "cell [0.1, 0.9] and [bold]not markup[/bold]" in capsys.readouterr().err


def test_numpy_float_warnings_do_not_reach_the_user(tmp_path: Path) -> None:
    """An overflow inside a loss is reported once by losscli, not as a Python warning."""
    path = tmp_path / "huge.csv"
    path.write_text("y_true,y_pred\n1e308,0\n-1e308,0\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "losscli",
            "eval",
            "poisson",
            str(path),
            "--nan-policy",
            "propagate",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert "RuntimeWarning" not in proc.stderr
    assert "losscli: warning: poisson: the result is nan" in proc.stderr

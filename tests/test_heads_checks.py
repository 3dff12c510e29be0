"""Multi-head runs and `losscli check` pass their batches through the same input checks as
`eval`: NaN policy, shape rules and diagnostics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from losscli.cli import app

runner = CliRunner()
HEADS = ["--head", "name=o1,y_true=a,y_pred=b", "--head", "name=o2,y_true=a,y_pred=c"]


@pytest.fixture
def gappy(tmp_path: Path) -> Path:
    path = tmp_path / "gappy.csv"
    path.write_text("a,b,c\n1,1.5,2\n2,nan,2\n3,3,3\n")
    return path


def test_heads_raise_on_nan_naming_the_column(gappy: Path) -> None:
    result = runner.invoke(app, ["eval", "mse", str(gappy), *HEADS])
    assert result.exit_code == 3
    assert "column 'b', row 1" in result.stderr


def test_heads_omit_drops_rows_per_head(gappy: Path) -> None:
    result = runner.invoke(
        app, ["eval", "mse", str(gappy), *HEADS, "--nan-policy", "omit", "-f", "json"]
    )
    assert result.exit_code == 0, result.stderr
    assert "head o1: omitted 1 row" in result.stderr

    heads = {h["name"]: h["value"] for h in json.loads(result.stdout)["heads"]}
    assert heads["o1"] == pytest.approx((0.25 + 0.0) / 2)  # the NaN row is dropped for o1 only
    assert heads["o2"] == pytest.approx((1 + 0 + 0) / 3)


def test_heads_diagnostics_and_strict() -> None:
    sample = Path(__file__).resolve().parent.parent / "sample_data" / "regression.csv"
    args = ["eval", "bce", str(sample), "--head", "name=o1,y_true=y_true,y_pred=y_pred"]
    loose = runner.invoke(app, args)
    assert loose.exit_code == 0 and "head o1: binary_crossentropy" in loose.stderr
    assert runner.invoke(app, [*args, "--strict"]).exit_code == 3


def test_check_reports_nan_as_a_data_error(gappy: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[check]]\nname = "gappy"\nfile = "{gappy.name}"\nloss = "mse"\ny_true = "a"\ny_pred = "b"\n'
        "report_only = true\n"
    )
    result = runner.invoke(app, ["check", str(config)])
    assert result.exit_code == 3
    assert "NaN" in result.stdout + result.stderr


def test_check_prints_diagnostics_on_stderr(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parent.parent / "sample_data" / "regression.csv"
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[check]]\nname = "bce on scores"\nfile = "{sample}"\nloss = "bce"\nreport_only = true\n'
    )
    result = runner.invoke(app, ["check", str(config), "-f", "json"])
    assert result.exit_code == 0
    assert "warning: check 'bce on scores': binary_crossentropy" in result.stderr

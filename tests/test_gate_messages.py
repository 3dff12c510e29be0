"""A failed bound's message shows value and bound so that they visibly differ, from `eval`
and from `check` alike (one formatter: thresholds.describe_failure)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from losscli.cli import app

runner = CliRunner()

# 0.55 ** 2 is 0.30250000000000005 in float64: just above a bound of 0.3025
DATA = "y_true,y_pred\n0,0.55\n"


def test_eval_shows_every_digit_when_ten_would_hide_the_failure(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(DATA)
    result = runner.invoke(app, ["eval", "mse", str(path), "--fail-above", "0.3025"])
    assert result.exit_code == 1
    assert "mean_squared_error = 0.30250000000000005 > 0.3025 (--fail-above)" in result.stderr


def test_eval_shows_a_bound_with_more_than_six_digits_as_given(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(DATA)
    result = runner.invoke(app, ["eval", "mse", str(path), "--fail-below", "0.30250001"])
    assert result.exit_code == 1
    assert "mean_squared_error = 0.3025 < 0.30250001 (--fail-below)" in result.stderr


def test_check_names_its_config_key_with_the_same_digits(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(DATA)
    config = tmp_path / "checks.toml"
    config.write_text(
        '[[check]]\nname = "tight"\nfile = "d.csv"\nloss = "mse"\nfail_above = 0.3025\n'
    )
    result = runner.invoke(app, ["check", str(config)])
    assert result.exit_code == 1
    assert (
        "mean_squared_error = 0.30250000000000005 > 0.3025 (fail_above in check 'tight', line 5)"
        in result.stderr
    )

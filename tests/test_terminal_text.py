"""Text from data files and configs reaches the screen with its control characters escaped:
an ESC in a group key or a check name cannot recolour or rewrite the user's terminal."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from losscli.cli import app
from losscli.report.layout import printable

runner = CliRunner()


def test_a_group_key_with_an_escape_sequence_is_shown_escaped(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text('y_true,y_pred,g\n0,1,"a\x1b[2Jb"\n0,0,c\n')
    result = runner.invoke(app, ["eval", "mse", str(path), "--group-by", "g"])
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "a\\x1b[2Jb" in result.stdout


def test_a_check_name_with_a_bell_is_shown_escaped(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("y_true,y_pred\n0,1\n")
    config = tmp_path / "checks.toml"
    config.write_text(
        '[[check]]\nname = "ring\\u0007"\nfile = "d.csv"\nloss = "mse"\nfail_above = 2\n'
    )
    result = runner.invoke(app, ["check", str(config)])
    assert result.exit_code == 0, result.stderr
    assert "\x07" not in result.stdout and "ring\\x07" in result.stdout


def test_printable_keeps_ordinary_text_and_is_idempotent() -> None:
    text = "mean_squared_error · 0.5 ≤ 1 — tab\there"
    assert printable(text) == text
    assert printable(printable("\x1b\x9b\x00")) == "\\x1b\\x9b\\x00"

"""A check config can name plugin files; their losses are then usable in its checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from losscli.cli import app

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"


def test_config_plugins_are_loaded_relative_to_the_config(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "plugins" / "my_losses.py", tmp_path / "my_losses.py")
    shutil.copy(SAMPLES / "regression.csv", tmp_path / "regression.csv")
    config = tmp_path / "checks.toml"
    config.write_text(
        'plugins = ["my_losses.py"]\n\n[[check]]\nname = "q90"\nfile = "regression.csv"\n'
        'loss = "pinball(tau=0.9)"\nfail_above = 0.01\n'
    )
    result = CliRunner().invoke(app, ["check", str(config), "--format", "json"])
    assert result.exit_code == 1, result.stderr  # runs, and the (too tight) bound fails
    assert '"pinball(tau=0.9)"' in result.stdout


def test_config_plugins_must_be_a_list_of_strings(tmp_path: Path) -> None:
    config = tmp_path / "checks.toml"
    config.write_text('plugins = "my_losses.py"\n\n[[check]]\nname = "a"\nfile = "x.csv"\n')
    result = CliRunner().invoke(app, ["check", str(config)])
    assert result.exit_code == 2
    assert "plugins must be a list" in result.stderr and "line 1" in result.stderr


def test_a_check_can_take_labels_from_a_second_file(tmp_path: Path) -> None:
    for name in ("predictions.csv", "labels.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    config = tmp_path / "checks.toml"
    config.write_text(
        '[[check]]\nname = "joined"\nfile = "predictions.csv"\nlabels = "labels.csv"\n'
        'on = "id"\nloss = "mae"\nfail_above = 1.0\n'
    )
    result = CliRunner().invoke(app, ["check", str(config), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    direct = CliRunner().invoke(
        app,
        ["eval", "mae", str(tmp_path / "predictions.csv"), "--labels",
         str(tmp_path / "labels.csv"), "--on", "id", "--format", "json"],
    )  # fmt: skip
    value = json.loads(direct.stdout)["results"][0]["value"]
    assert json.loads(result.stdout)["checks"][0]["value"] == value


def test_on_without_labels_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "checks.toml"
    config.write_text('[[check]]\nname = "a"\nfile = "x.csv"\nloss = "mse"\non = "id"\n')
    result = CliRunner().invoke(app, ["check", str(config)])
    assert result.exit_code == 2
    assert "add labels" in result.stderr

"""Help and shell: -h, readable metavars at 80 columns, examples, panels, clean choice
errors, and completion of loss and column names."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from losscli.cli import app

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
runner = CliRunner()


def _help(*args: str) -> str:
    result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_has_readable_metavars(command: str) -> None:
    text = _help(*filter(None, [command]))
    assert not re.findall(r"<[^>\s]*>", text), text  # <bool>, <list[str]>, <int range>
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage and "[ARGS]" not in usage.replace("COMMAND [ARGS]", "")
    assert "[x>=" not in text and "range" not in text


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_cuts_no_word_at_80_columns(command: str) -> None:
    """rich cuts a token longer than its column with `…`: an example people copy must fit."""
    text = _help(*filter(None, [command]))
    assert not re.findall(r"\w…", text), text


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_dash_h_is_help(command: str) -> None:
    args = [c for c in [command] if c]
    short = runner.invoke(app, [*args, "-h"], env={"COLUMNS": "80"})
    assert short.exit_code == 0 and short.stdout == _help(*args)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_shows_examples(command: str) -> None:
    text = _help(command)
    assert "Examples" in text and f"losscli {command} " in text


def test_eval_groups_its_options_in_panels() -> None:
    text = _help("eval")
    for panel in ("Input", "Loss", "Output", "CI gate"):
        assert f"─ {panel} ─" in text
    for metavar in ("COLUMN", "FILE", "SPEC", "N", "X|LOSS=X"):
        assert f" {metavar} " in text
    assert "Usage: losscli eval [OPTIONS] SPEC FILE..." in text


def _losscli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": "numpy", "COLUMNS": "80", **(env or {})},
        timeout=60,
    )


def test_an_invalid_choice_says_so_plainly() -> None:
    done = _losscli("eval", "mse", str(SAMPLES / "regression.csv"), "-r", "bogus")
    assert done.returncode == 2
    assert "Value error" not in done.stderr and "'bogus' is not one of" in done.stderr


def _complete(words: str) -> list[str]:
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = {"_LOSSCLI_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from losscli.cli import main; main()"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    heavy = [line for line in done.stderr.splitlines() if re.search(r"\| (numpy|pandas)$", line)]
    assert not heavy, "completing names imported numpy/pandas"
    return done.stdout.split()


def test_completion_offers_loss_names_without_numpy() -> None:
    assert {"huber", "huber_loss"} <= set(_complete("losscli eval hu"))
    assert "mae,huber" in _complete("losscli eval mae,hu")
    assert "huber" in _complete("losscli describe hub")


def test_completion_offers_column_names_of_the_file_on_the_line() -> None:
    csv = str(SAMPLES / "binary.csv")
    assert _complete(f"losscli eval bce {csv} --y-true ") == ["id", "split", "y_true", "y_pred"]
    assert _complete(f"losscli eval bce {csv} --keep id,s") == ["id,split"]
    parquet = str(SAMPLES / "regression_weighted.parquet")
    assert "sample_weight" in _complete(f"losscli eval mse {parquet} --sample-weight s")


def test_show_completion_prints_a_script() -> None:
    done = _losscli("--show-completion", "bash")
    assert done.returncode == 0 and "_LOSSCLI_COMPLETE" in done.stdout

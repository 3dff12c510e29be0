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


@pytest.mark.parametrize("name", ["root_mean_squared_error", "rmse", "RMSE"])
def test_rmse_is_not_sent_to_mse_as_if_it_were_the_same(name: str) -> None:
    """`use mse` for RMSE would gate on the square of the number the user meant."""
    out = run("eval", name, "sample_data/regression.csv")
    assert out.returncode == 2
    assert "square root of mse" in out.stderr
    assert "name: use mse" not in out.stderr


def test_describe_mse_does_not_call_rmse_its_other_name() -> None:
    out = run("describe", "mse")
    assert out.returncode == 0, out.stderr
    assert "root_mean_squared_error" not in out.stdout


def test_accuracy_hint_reads_as_a_sentence() -> None:
    out = run("eval", "accuracy", "sample_data/binary.csv")
    assert out.returncode == 2
    assert "; name:" not in out.stderr
    assert "sklearn.zero_one_loss is 1 - accuracy" in out.stderr


def test_no_loss_describes_y_pred_by_its_own_shape() -> None:
    """`describe mse` said `y_pred: …, same shape as y_pred`: y_pred is shaped like y_true."""
    out = run("list", "--format", "json")
    assert out.returncode == 0, out.stderr
    losses = json.loads(out.stdout)["losses"]
    assert losses
    circular = [i["name"] for i in losses if "same shape as y_pred" in (i["y_pred"] or "")]
    assert circular == []
    described = run("describe", "mse")
    assert "y_pred: a number or a vector per sample, same shape as y_true" in described.stdout


@pytest.mark.parametrize("name", ["r.parquet", "r.jsonl", "r.json.gz"])
def test_output_to_a_data_file_name_is_refused(tmp_path: Path, name: str) -> None:
    """-o r.parquet wrote the text table into a file every Parquet reader then rejects."""
    target = tmp_path / name
    out = run("eval", "mse", "sample_data/regression.csv", "-o", str(target))
    assert out.returncode == 2
    assert out.stderr.startswith("losscli: error: -o ")
    assert "--per-sample" in out.stderr
    assert not target.exists()


def test_output_with_an_explicit_format_keeps_the_name_given(tmp_path: Path) -> None:
    target = tmp_path / "r.json.gz"
    out = run("eval", "mse", "sample_data/regression.csv", "-o", str(target), "-f", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(target.read_text())["results"][0]["count"] == 200


@pytest.mark.parametrize("name", ["huber", "torch.smooth_l1", "torch.cross_entropy"])
def test_describe_wraps_a_formula_under_itself_and_keeps_a_eq_b_whole(name: str) -> None:
    """At 80 columns `formula: …, e` / `= y_pred - y_true` read as two statements."""
    out = run("describe", name)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert not [t for t in lines if t.lstrip().startswith("= ") or t.rstrip().endswith(" e")]
    start = next(i for i, t in enumerate(lines) if t.startswith("formula: "))
    if lines[start + 1].strip() and not lines[start + 1].startswith("y_true"):
        assert lines[start + 1].startswith(" " * len("formula: "))

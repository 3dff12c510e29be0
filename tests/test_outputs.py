"""eval's Output and CI-gate options: thresholds and exit codes, formats, --output, signature."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from losscli.cli import app
from losscli.errors import InputDataError, UsageError
from losscli.thresholds import Gated, apply_bounds, parse_bound, parse_bounds

runner = CliRunner()


@pytest.fixture
def preds(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    path = tmp_path / "preds.parquet"
    pq.write_table(pa.table({"y_true": rng.normal(size=40), "y_pred": rng.normal(size=40)}), path)
    return path


def _value(path: Path, spec: str) -> float:
    out = runner.invoke(app, ["eval", spec, str(path), "-f", "json"])
    assert out.exit_code == 0, out.stderr
    return json.loads(out.stdout)["results"][0]["value"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KERAS_BACKEND": "numpy"}
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args], capture_output=True, text=True, env=env
    )


def test_exit_codes_through_a_real_process(preds: Path, tmp_path: Path) -> None:
    mse = _value(preds, "mse")
    ok = _run("eval", "mse", str(preds), "--fail-above", str(mse + 0.01))
    assert ok.returncode == 0, ok.stderr
    failed = _run("eval", "mse", str(preds), "--fail-above", str(mse - 0.01))
    assert failed.returncode == 1
    assert "mean_squared_error" in failed.stderr and "--fail-above" in failed.stderr
    assert f"{mse - 0.01:g}" in failed.stderr
    usage = _run("eval", "mse", str(preds), "--fail-above", "lots")
    assert usage.returncode == 2 and "not a number" in usage.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("y_true,y_pred\n1,2\n")
    data = _run("eval", "mse", str(bad), "--y-pred", "missing")
    assert data.returncode == 3
    assert "Traceback" not in data.stderr + usage.stderr + failed.stderr


def test_fail_below_and_per_loss_bounds(preds: Path) -> None:
    mse, mae = _value(preds, "mse"), _value(preds, "mae")
    spec = "mse,mae"
    # the mae bound is violated, the general bound is replaced for mae and holds for mse
    out = runner.invoke(
        app,
        ["eval", spec, str(preds), "--fail-above", f"{mse + 1}", "--fail-above", f"mae={mae / 2}"],
    )
    assert out.exit_code == 1
    assert "mean_absolute_error" in out.stderr and "mean_squared_error" not in out.stderr
    out = runner.invoke(app, ["eval", spec, str(preds), "--fail-below", f"#0={mse + 1}"])
    assert out.exit_code == 1 and "< " in out.stderr
    out = runner.invoke(app, ["eval", spec, str(preds), "--fail-below", f"{min(mse, mae) / 2}"])
    assert out.exit_code == 0


def test_bound_syntax() -> None:
    assert parse_bound("0.5", "above").target is None
    bound = parse_bound("huber(delta=0.5)=0.3", "above")
    assert (bound.target, bound.limit) == ("huber(delta=0.5)", 0.3)
    with pytest.raises(UsageError):
        parse_bound("mse=nan", "above")
    with pytest.raises(UsageError, match="no result is called"):
        apply_bounds([Gated("mse", {"mse"}, 1.0)], parse_bounds(["mea=1"]))


def test_nan_violates_every_bound_and_leaves_the_gate_undecided() -> None:
    bounds = parse_bounds(["10"], ["-10"])
    outcome = apply_bounds([Gated("x", {"x"}, float("nan"))], bounds, raise_undecided=False)[0]
    assert len(outcome.failed) == 2 and not outcome.ok and outcome.problem == "x is NaN"
    with pytest.raises(InputDataError, match="the gate cannot be decided: x is NaN"):
        apply_bounds([Gated("x", {"x"}, float("nan"))], bounds)


def test_unknown_target_is_usage_error(preds: Path) -> None:
    out = runner.invoke(app, ["eval", "mse", str(preds), "--fail-above", "mea=1"])
    assert out.exit_code == 2 and "mea" in out.stderr


def test_csv_and_markdown(preds: Path) -> None:
    mse = _value(preds, "mse")
    out = runner.invoke(app, ["eval", "mse,mae", str(preds), "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["loss"] for r in rows] == ["mean_squared_error", "mean_absolute_error"]
    assert float(rows[0]["value"]) == mse  # repr round-trips exactly
    out = runner.invoke(app, ["eval", "mse", str(preds), "-f", "markdown"])
    lines = out.stdout.splitlines()
    assert "| loss | spec |" in out.stdout and any(line.startswith("|---") for line in lines)


def test_output_file_is_written_atomically(preds: Path, tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    out = runner.invoke(app, ["eval", "mse", str(preds), "-f", "json", "-o", str(target)])
    assert out.exit_code == 0 and out.stdout == ""
    assert json.loads(target.read_text())["results"][0]["loss"] == "mean_squared_error"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    table = tmp_path / "result.txt"
    runner.invoke(app, ["eval", "mse", str(preds), "-o", str(table)])
    assert "mean_squared_error" in table.read_text() and "\x1b[" not in table.read_text()


def test_output_never_overwrites_an_input(preds: Path) -> None:
    before = preds.read_bytes()
    out = runner.invoke(app, ["eval", "mse", str(preds), "-f", "json", "-o", str(preds)])
    assert out.exit_code == 2 and "input" in out.stderr
    assert preds.read_bytes() == before


def test_json_carries_reproducibility(preds: Path) -> None:
    out = runner.invoke(app, ["eval", "huber(delta=0.5)", str(preds), "-f", "json"])
    repro = json.loads(out.stdout)["reproducibility"]
    assert repro["losses"] == ["huber(delta=0.5)"]
    assert repro["reduction"] == "sum_over_batch_size" and repro["dtype"] == "float64"
    (entry,) = repro["inputs"]
    assert entry["sha256"] == hashlib.sha256(preds.read_bytes()).hexdigest()
    assert entry["size"] == preds.stat().st_size and entry["rows"] == 40
    assert repro["signature"] == (
        f"losscli:{repro['losscli']}|loss:huber(delta=0.5)|red:sum_over_batch_size"
        f"|dtype:float64|sha:{entry['sha256'][:6]}"
    )
    # the table's one settings line names the reduction, dtype and the input's hash
    table = runner.invoke(app, ["eval", "huber(delta=0.5)", str(preds)], env={"COLUMNS": "80"})
    assert f"sha:{entry['sha256'][:6]}" in table.stdout
    assert "reduction=sum_over_batch_size" in table.stdout


def test_thresholds_are_reported_in_json(preds: Path) -> None:
    out = runner.invoke(app, ["eval", "mse", str(preds), "-f", "json", "--fail-above", "0"])
    assert out.exit_code == 1
    (entry,) = json.loads(out.stdout)["thresholds"]
    assert entry["passed"] is False and entry["bounds"] == [{"kind": "above", "limit": 0.0}]

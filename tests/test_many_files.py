"""Many files with one spec: a row per file in the order given, a chart, and JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from losscli import evaluate
from losscli.cli import app
from losscli.report.chart import chart_lines
from losscli.report.document import files_document
from losscli.report.layout import plain
from losscli.report.text import files_screen

runner = CliRunner()
N = 200


@pytest.fixture
def checkpoints(tmp_path: Path) -> list[Path]:
    """Predictions of three 'epochs' that get closer to the labels."""
    rng = np.random.default_rng(5)
    truth = rng.random(N)
    paths = []
    for epoch, noise in ((1, 0.5), (2, 0.2), (3, 0.05)):
        path = tmp_path / f"epoch{epoch}.parquet"
        pq.write_table(pa.table({"y_true": truth, "y_pred": truth + noise * rng.random(N)}), path)
        paths.append(path)
    return paths


def test_one_row_per_file_in_the_order_given(checkpoints: list[Path]) -> None:
    order = [checkpoints[2], checkpoints[0], checkpoints[1]]
    result = runner.invoke(app, ["eval", "mse,mae", *map(str, order), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [f["input"]["path"] for f in data["files"]] == [str(p) for p in order]
    for entry, path in zip(data["files"], order, strict=True):
        single = evaluate(str(path), "mse,mae")
        assert [r["value"] for r in entry["results"]] == [r.value for r in single.results]


def test_each_file_entry_is_the_single_file_object(checkpoints: list[Path]) -> None:
    one = runner.invoke(app, ["eval", "mse", str(checkpoints[0]), "-f", "json"])
    many = runner.invoke(app, ["eval", "mse", *map(str, checkpoints), "-f", "json"])
    assert one.exit_code == many.exit_code == 0
    single = json.loads(one.stdout)
    data = json.loads(many.stdout)
    assert set(data) == {"losscli", "files"}
    assert data["files"][0] == single


def test_table_has_a_row_per_file_and_a_chart(checkpoints: list[Path]) -> None:
    result = runner.invoke(app, ["eval", "mse", *map(str, checkpoints)])
    assert result.exit_code == 0, result.stderr
    for path in checkpoints:
        assert path.name in result.stdout
    assert "across files" in result.stdout
    assert "█" in result.stdout
    assert result.stderr == ""


def test_csv_output_has_a_file_column(checkpoints: list[Path]) -> None:
    result = runner.invoke(app, ["eval", "mse", *map(str, checkpoints), "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("file,")
    assert len(lines) == 1 + len(checkpoints)


def test_a_bad_file_among_many_names_it(checkpoints: list[Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"nope")
    result = runner.invoke(app, ["eval", "mse", str(checkpoints[0]), str(broken)])
    assert result.exit_code == 3
    assert "broken.parquet" in result.stderr
    assert result.stdout == ""


def test_thresholds_apply_to_every_file(checkpoints: list[Path]) -> None:
    worst = evaluate(str(checkpoints[0]), "mse").results[0].value
    result = runner.invoke(
        app, ["eval", "mse", *map(str, checkpoints), "--fail-above", f"mse={worst / 2}"]
    )
    assert result.exit_code == 1
    assert "epoch1.parquet" in result.stderr


def test_chart_lines_exact_text() -> None:
    lines = chart_lines([3.0, 1.0, 2.0], width=20, height=2)
    assert lines == [
        "3 ┤███     ▁▁▁",
        "1 ┤███ ▁▁▁ ███",
        "  └────────────",
        "   1   2   3",
    ]


def test_chart_gaps_for_nan_and_flat_series() -> None:
    lines = chart_lines([1.0, math.nan, 1.0], width=20, height=2)
    assert lines[0] == "1 ┤"
    assert lines[1] == "1 ┤███     ███"


def test_chart_samples_long_series_to_the_width() -> None:
    lines = chart_lines([float(i) for i in range(500)], width=40, height=3)
    assert all(len(line) <= 40 for line in lines)
    assert lines[-1].split()[0] == "1" and lines[-1].split()[-1] == "500"


def test_loss_chart_renders(checkpoints: list[Path]) -> None:
    evaluations = [evaluate(str(p), "mse,mae") for p in checkpoints]
    text = plain(files_screen(files_document(evaluations), 60))
    assert "mean_squared_error across files" in text
    assert "mean_absolute_error across files" in text

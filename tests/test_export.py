"""--per-sample: streamed, atomic, never over an input, equal to --reduction none."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from losscli.atomic import atomic_path
from losscli.cli import app

runner = CliRunner()


@pytest.fixture
def weighted(tmp_path: Path) -> Path:
    rng = np.random.default_rng(11)
    n = 300
    path = tmp_path / "w.parquet"
    pq.write_table(
        pa.table(
            {
                "id": np.arange(1000, 1000 + n),
                "split": rng.choice(["a", "b"], size=n),
                "y_true": rng.normal(size=n),
                "y_pred": rng.normal(size=n),
                "sample_weight": rng.uniform(size=n),
            }
        ),
        path,
    )
    return path


def _none_values(path: Path, spec: str) -> list[list[float]]:
    out = runner.invoke(app, ["eval", spec, str(path), "-r", "none", "-f", "json"])
    assert out.exit_code == 0, out.stderr
    return [r["values"] for r in json.loads(out.stdout)["results"]]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_round_trip_equals_reduction_none(weighted: Path, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"per_sample{suffix}"
    out = runner.invoke(
        app,
        [
            "eval", "mse,huber(delta=0.5)", str(weighted), "--per-sample", str(target),
            "--keep", "id,split", "--batch-size", "64", "-f", "json",
        ],
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    table = pq.read_table(target) if suffix == ".parquet" else pacsv.read_csv(target)
    assert table.column_names == ["row", "id", "split", "mean_squared_error", "huber(delta=0.5)"]
    assert table.column("row").to_pylist() == list(range(300))
    source = pq.read_table(weighted)
    assert table.column("id").to_pylist() == source.column("id").to_pylist()
    assert table.column("split").to_pylist() == source.column("split").to_pylist()
    mse, huber = _none_values(weighted, "mse,huber(delta=0.5)")
    assert table.column("mean_squared_error").to_pylist() == mse
    assert table.column("huber(delta=0.5)").to_pylist() == huber


def test_failed_run_leaves_no_file(weighted: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    out = runner.invoke(
        app,
        ["eval", "mse", str(weighted), "--per-sample", str(target), "--fail-above", "bad"],
    )
    assert out.exit_code == 2
    out = runner.invoke(
        app, ["eval", "mse", str(weighted), "--per-sample", str(target), "--keep", "nope"]
    )
    assert out.exit_code == 3
    assert list(tmp_path.iterdir()) == [weighted]


def test_refuses_to_overwrite_an_input(weighted: Path) -> None:
    before = weighted.read_bytes()
    out = runner.invoke(app, ["eval", "mse", str(weighted), "--per-sample", str(weighted)])
    assert out.exit_code == 2 and "input" in out.stderr
    assert weighted.read_bytes() == before


def test_unknown_extension_is_usage_error(weighted: Path, tmp_path: Path) -> None:
    out = runner.invoke(
        app, ["eval", "mse", str(weighted), "--per-sample", str(tmp_path / "x.xlsx")]
    )
    assert out.exit_code == 2 and ".parquet or .csv" in out.stderr


def test_atomic_path_removes_temp_on_error(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and list(tmp_path.iterdir()) == [target]

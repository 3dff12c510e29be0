"""Malformed values are exit 2 or 3 with one line naming the key, and a gate never passes on
no data (issue #10): spec ranges and duplicates, numbers that overflow, non-UTF-8 files,
non-finite JSON fields, zero counted samples, and the quiet oddities the issue lists."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from losscli.cli import app
from losscli.errors import UsageError
from losscli.readers import jsonl
from losscli.spec import RANGES, parse_spec

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = str(ROOT / "sample_data" / "regression.csv")


def _outside(low: float, high: float, low_in: bool, high_in: bool) -> list[float]:
    values = []
    if math.isfinite(low):
        values.append(low - 0.5 if low_in else low)
    if math.isfinite(high):
        values.append(high + 0.5 if high_in else high)
    return values


@pytest.mark.parametrize(
    ("loss", "param"), sorted(RANGES), ids=[f"{loss}.{p}" for loss, p in sorted(RANGES)]
)
def test_built_in_parameters_outside_their_range_are_refused(loss: str, param: str) -> None:
    low, high, low_in, high_in = RANGES[(loss, param)]
    for value in _outside(low, high, low_in, high_in):
        with pytest.raises(UsageError, match=f"{param}"):
            parse_spec(f"{loss}({param}={value})")
    inside = [v for v, ok in ((low, low_in), (high, high_in)) if ok and math.isfinite(v)]
    for value in inside or [(low + min(high, low + 2)) / 2]:
        assert parse_spec(f"{loss}({param}={value})").params[param] == value


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("huber(delta=1, delta=2)", "gives 'delta' twice"),
        ("bce(label_smoothing=0.1, label_smoothing=0.1)", "gives 'label_smoothing' twice"),
        ("huber(delta=1e999)", "is not a finite number"),
        ("huber(delta=-1e999)", "is not a finite number"),
        (f"sparse_categorical_crossentropy(ignore_class={2**70})", "is too large"),
        ("categorical_crossentropy(axis=99)", "names no axis"),
        ("dice(axis=[1, 99])", "names no axis"),
    ],
)
def test_malformed_spec_values_are_usage_errors(spec: str, message: str) -> None:
    result = runner.invoke(app, ["eval", spec, SAMPLE])
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("option", ["--batch-size", "--skip", "--limit", "--top"])
def test_numbers_that_overflow_are_usage_errors_naming_the_option(option: str) -> None:
    result = runner.invoke(app, ["eval", "mse", SAMPLE, option, str(2**70)])
    assert result.exit_code == 2, result.stderr
    assert f"{option} {2**70} is too large" in result.stderr


def test_non_utf8_class_weights_and_configs_are_usage_errors(tmp_path: Path) -> None:
    weights = tmp_path / "weights.json"
    weights.write_bytes(b'{"0": 1.0}\xff')
    result = runner.invoke(app, ["eval", "bce", SAMPLE, "--class-weight", str(weights)])
    assert result.exit_code == 2 and "is not UTF-8 text" in result.stderr
    config = tmp_path / "checks.toml"
    config.write_bytes(b'[[check]]\nfile = "x.csv"\nloss = "mse"\n# caf\xe9\n')
    result = runner.invoke(app, ["check", str(config)])
    assert result.exit_code == 2, result.stderr
    assert f"{config}: line 4: not UTF-8 text (byte 0xe9)" in result.stderr


def test_non_finite_numbers_anywhere_in_json_are_null(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("y_true,y_pred,sample_weight,id\n0,1e200,1e308,a\n0,1,1e308,b\n")
    for extra in ([], ["--top", "2", "--keep", "id"], ["--group-by", "id"], ["-r", "none"]):
        result = runner.invoke(app, ["eval", "mse", str(path), "-f", "json", *extra])
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["results"][0]["weight_sum"] is None  # 2e308 has no JSON form


# --- no data, no pass --------------------------------------------------------------------------


def test_a_check_over_no_data_is_an_error_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "zero.csv").write_text("y_true,y_pred,w\n1,2,0\n3,5,0\n")
    config = tmp_path / "checks.toml"
    config.write_text(
        '[[check]]\nname = "plain"\nfile = "zero.csv"\nloss = "mse"\nfail_above = 9\n'
        '[[check]]\nname = "weighted"\nfile = "zero.csv"\nloss = "mse"\nfail_above = 9\n'
        'sample_weight = "w"\n'
    )
    result = runner.invoke(app, ["check", str(config)])
    assert result.exit_code == 3, result.stderr
    errors = [line for line in result.stderr.splitlines() if "check error" in line]
    assert len(errors) == 1 and errors[0].startswith("losscli: check error: weighted: ")
    assert "has no data: 0 counted samples" in errors[0]


def test_a_head_without_data_makes_the_total_undecided(tmp_path: Path) -> None:
    path = tmp_path / "heads.csv"
    path.write_text("t,p,w\n1,2,0\n3,5,0\n")
    heads = [
        "--head",
        "name=a,y_true=t,y_pred=p",
        "--head",
        "name=b,y_true=t,y_pred=p,sample_weight=w",
    ]
    result = runner.invoke(app, ["eval", "mse", str(path), *heads, "--fail-above", "total=100"])
    assert result.exit_code == 3, result.stderr
    assert "total has no data" in result.stderr and result.stdout == ""
    assert runner.invoke(app, ["eval", "mse", str(path), *heads]).exit_code == 0  # no gate


# --- quiet oddities -----------------------------------------------------------------------------


def test_bce_labels_outside_0_1_warn(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("y_true,y_pred\n2,0.9\n-1,0.1\n1,0.5\n0,0.2\n")
    result = runner.invoke(app, ["eval", "bce,binary_focal_crossentropy", str(path), "-f", "json"])
    assert "y_true has values outside [0, 1] (2 rows, first at row 0)" in result.stderr
    clean = tmp_path / "clean.csv"
    clean.write_text("y_true,y_pred\n1,0.9\n0,0.1\n")
    assert "outside [0, 1]" not in runner.invoke(app, ["eval", "bce", str(clean)]).stderr


def test_keep_row_does_not_overwrite_the_row_number(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("row,y_true,y_pred\n10,1,2\n11,3,5\n")
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["eval", "mse", str(path), "--per-sample", str(out), "--keep", "row"]
    )
    assert result.exit_code == 0, result.stderr
    assert out.read_text().splitlines() == [
        '"row","input_row","mean_squared_error"',
        "0,10,1",
        "1,11,4",
    ]


def test_empty_list_cells_are_an_error_in_parquet_too(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    kind = pa.list_(pa.float64())
    table = pa.table({"y_true": pa.array([[], []], kind), "y_pred": pa.array([[], []], kind)})
    pq.write_table(table, tmp_path / "empty.parquet")
    result = runner.invoke(app, ["eval", "mse", str(tmp_path / "empty.parquet")])
    assert result.exit_code == 3 and "list cells are empty" in result.stderr


def _csv_result(*args: str, **kwargs: object) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "losscli", "eval", "mse", *args, "-f", "csv"],
        capture_output=True,
        text=True,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_a_fifo_or_dev_stdin_as_input_reads_like_stdin(tmp_path: Path) -> None:
    expected = _csv_result(SAMPLE)
    fifo = tmp_path / "preds.csv"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(Path(SAMPLE).read_bytes()))
    writer.start()
    assert _csv_result(str(fifo)).replace(str(fifo), SAMPLE) == expected
    writer.join(timeout=60)
    with open(SAMPLE, "rb") as stdin:
        piped = subprocess.run(
            f"cat | {sys.executable} -m losscli eval mse /dev/stdin --input-format csv -f csv",
            shell=True,
            stdin=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == expected


def test_a_json_lines_error_past_the_first_block_names_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonl, "_BLOCK_BYTES", 1 << 10)  # many blocks: the 16 MiB case, small
    lines = ['{"y_true": 1.0, "y_pred": 2.0}'] * 300
    lines[257] = '{"y_true": 1.0, "y_pred": "two"}'
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["eval", "mse", str(path)])
    assert result.exit_code == 3, result.stderr
    assert f"{path}, row 257: cannot parse JSON Lines" in result.stderr

"""Every input format, read from real files made here, gives the same number to the last digit."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from losscli import evaluate
from losscli.errors import InputDataError, UsageError
from losscli.readers import ReadOptions, detect_format, open_source

N = 1_000


@pytest.fixture(scope="module")
def table() -> pa.Table:
    rng = np.random.default_rng(7)
    return pa.table(
        {
            "y_true": rng.integers(0, 2, N).astype(np.float64),
            "y_pred": rng.random(N),
            "sample_weight": rng.random(N) + 0.5,
        }
    )


@pytest.fixture(scope="module")
def files(table: pa.Table, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same rows in every format losscli reads."""
    d = tmp_path_factory.mktemp("formats")
    out: dict[str, Path] = {}
    pq.write_table(table, d / "t.parquet", row_group_size=128)
    out["parquet"] = d / "t.parquet"
    feather.write_feather(table, d / "t.feather", chunksize=100)
    out["feather"] = d / "t.feather"
    with pa.ipc.new_stream(d / "t.arrows", table.schema) as writer:
        writer.write_table(table, max_chunksize=300)
    out["ipc stream"] = d / "t.arrows"
    pacsv.write_csv(table, d / "t.csv")
    out["csv"] = d / "t.csv"
    text = (d / "t.csv").read_bytes()
    for suffix, compress in (("gz", gzip.compress), ("bz2", bz2.compress), ("xz", lzma.compress)):
        (d / f"t.csv.{suffix}").write_bytes(compress(text))
        out[f"csv.{suffix}"] = d / f"t.csv.{suffix}"
    with pa.output_stream(d / "t.csv.zst", compression="zstd") as stream:
        stream.write(text)
    out["csv.zst"] = d / "t.csv.zst"
    (d / "t.tsv").write_text(text.decode().replace(",", "\t"))
    out["tsv"] = d / "t.tsv"
    (d / "t.txt").write_text(text.decode().replace(",", ";"))
    out["semicolon"] = d / "t.txt"
    (d / "t.jsonl").write_text("\n".join(json.dumps(r) for r in table.to_pylist()) + "\n")
    out["jsonl"] = d / "t.jsonl"
    for part in range(3):
        (d / "ds" / f"part={part}").mkdir(parents=True)
        pq.write_table(table.slice(part * 400, 400), d / "ds" / f"part={part}" / "0.parquet")
    (d / "ds" / "_SUCCESS").write_text("")
    out["dataset dir"] = d / "ds"
    for i in range(4):
        pq.write_table(table.slice(i * 250, 250), d / f"shard-{i}.parquet")
    out["glob"] = Path(str(d / "shard-*.parquet"))
    return out


OPTIONS = {"semicolon": {"input_format": "csv", "delimiter": ";"}}


@pytest.mark.parametrize(
    "kind",
    [
        "parquet",
        "feather",
        "ipc stream",
        "csv",
        "csv.gz",
        "csv.bz2",
        "csv.xz",
        "csv.zst",
        "tsv",
        "semicolon",
        "jsonl",
        "dataset dir",
        "glob",
    ],
)
def test_every_format_gives_the_same_value(kind: str, files: dict[str, Path]) -> None:
    reference = evaluate(str(files["parquet"]), "mse,mae,bce")
    got = evaluate(str(files[kind]), "mse,mae,bce", batch_size=97, **OPTIONS.get(kind, {}))
    assert got.input.rows == N
    assert got.input.columns["sample_weight"] == ["sample_weight"]
    assert [r.value for r in got.results] == [r.value for r in reference.results]


def test_formats_are_named(files: dict[str, Path]) -> None:
    assert evaluate(str(files["feather"]), "mse").input.format == "arrow"
    assert evaluate(str(files["csv.gz"]), "mse").input.format == "csv"
    assert evaluate(str(files["dataset dir"]), "mse").input.format == "parquet dataset (3 files)"


def test_partition_values_become_columns(files: dict[str, Path]) -> None:
    source = open_source(str(files["dataset dir"]))
    assert "part" in source.column_names
    assert source.num_rows == N


def test_a_file_many_batches_long_equals_one_batch(files: dict[str, Path]) -> None:
    for kind in ("parquet", "csv", "jsonl", "feather"):
        one = evaluate(str(files[kind]), "mse,bce", batch_size=N)
        many = evaluate(str(files[kind]), "mse,bce", batch_size=7)
        assert [r.value for r in many.results] == [r.value for r in one.results]


def test_batches_respect_batch_size(files: dict[str, Path]) -> None:
    for kind in ("parquet", "csv", "jsonl", "feather", "dataset dir"):
        source = open_source(str(files[kind]), options=ReadOptions(batch_size=64))
        sizes = [b.num_rows for b in source.batches(["y_pred"])]
        assert max(sizes) <= 64
        assert sum(sizes) == N


def test_skip_and_limit_select_rows(files: dict[str, Path], table: pa.Table) -> None:
    from losscli import evaluate_arrays

    got = evaluate(str(files["csv"]), "mse", skip=100, limit=250, batch_size=64)
    rows = table.slice(100, 250)
    expected = evaluate_arrays(
        "mse",
        rows["y_true"].to_numpy(),
        rows["y_pred"].to_numpy(),
        rows["sample_weight"].to_numpy(),
    )
    assert got.input.rows == 250
    assert got.results[0].value == expected[0].value


def test_limit_past_the_end_reads_everything(files: dict[str, Path]) -> None:
    assert evaluate(str(files["parquet"]), "mse", limit=10 * N).input.rows == N


def test_integers_then_decimals_in_a_later_block_still_parse(tmp_path: Path) -> None:
    lines = ["y_true,y_pred"] + ["1,1"] * 200_000 + ["0.5,0.25"]
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n")
    got = evaluate(str(path), "mse")
    assert got.input.rows == 200_001
    assert got.results[0].value == pytest.approx(0.0625 / 200_001)


def test_jsonl_vectors_are_list_columns(tmp_path: Path) -> None:
    rows = [{"y_true": [1, 0, 0], "y_pred": [0.5, 0.25, 0.25]}] * 3
    rows.append({"y_true": [0, 0.5, 0.5], "y_pred": [0.25, 0.25, 0.5]})
    path = tmp_path / "vectors.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    from losscli import evaluate_arrays

    expected = evaluate_arrays("mse", [r["y_true"] for r in rows], [r["y_pred"] for r in rows])[
        0
    ].value
    assert evaluate(str(path), "mse", batch_size=2).results[0].value == expected


def test_header_less_tsv_by_position(tmp_path: Path) -> None:
    path = tmp_path / "nohdr.tsv"
    path.write_text("1\t0.5\n0\t0.25\n")
    got = evaluate(str(path), "mse", header=False, y_true="#0", y_pred="#1")
    assert got.results[0].value == (0.25 + 0.0625) / 2
    assert got.input.columns["y_pred"] == ["#1"]


def test_stdin_through_a_real_subprocess(files: dict[str, Path]) -> None:
    reference = evaluate(str(files["parquet"]), "mse").results[0].value
    for kind, fmt in (("csv", "csv"), ("csv.gz", "csv"), ("parquet", "parquet")):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "losscli",
                "eval",
                "mse",
                "-",
                "--input-format",
                fmt,
                "-f",
                "json",
            ],
            input=files[kind].read_bytes(),
            capture_output=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        data = json.loads(done.stdout)
        assert data["input"]["path"] == "-"
        assert data["results"][0]["value"] == reference


def test_stdin_needs_a_format() -> None:
    with pytest.raises(UsageError, match="--input-format"):
        open_source("-")


def test_unknown_extension_and_format_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--input-format"):
        detect_format("preds.dat")
    with pytest.raises(UsageError, match="unknown input format"):
        open_source(str(tmp_path), "excel")


def test_missing_file_and_empty_glob_are_data_errors(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no such file"):
        open_source(str(tmp_path / "nope.csv"))
    with pytest.raises(InputDataError, match="matches no files"):
        open_source(str(tmp_path / "nope-*.parquet"))


def test_corrupt_parquet_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(InputDataError, match=r"bad\.parquet"):
        open_source(str(path))


def test_delimiter_must_be_one_character_and_backslash_t_is_a_tab(files: dict[str, Path]) -> None:
    with pytest.raises(UsageError, match="one character"):
        evaluate(str(files["csv"]), "mse", delimiter=";;")
    got = evaluate(str(files["tsv"]), "mse", input_format="csv", delimiter="\\t")
    assert got.input.rows == N

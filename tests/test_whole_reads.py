"""Whole reads or clean errors (#10): a dataset is all its files or an error naming one; a
damaged or cut file is exit 3 naming it, never a number from what remains."""

from __future__ import annotations

import bz2
import gzip
import lzma
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_process import losscli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from losscli import evaluate, evaluate_arrays
from losscli.cli import app
from losscli.errors import InputDataError

runner = CliRunner()


def _table(n: int, seed: int, weights: bool = False) -> pa.Table:
    rng = np.random.default_rng(seed)
    columns = {"y_true": rng.random(n), "y_pred": rng.random(n)}
    if weights:
        columns["sample_weight"] = rng.random(n) + 0.5
    return pa.table(columns)


@pytest.mark.parametrize("weighted_first", [True, False])
def test_a_column_only_some_files_have_is_an_error_naming_a_file_without_it(
    tmp_path: Path, weighted_first: bool
) -> None:
    # the file order must not decide whether sample_weight counts: it is an error either way
    names = ("a.parquet", "b.parquet") if weighted_first else ("b.parquet", "a.parquet")
    pq.write_table(_table(10, 1, weights=True), tmp_path / names[0])
    pq.write_table(_table(10, 2), tmp_path / names[1])
    with pytest.raises(InputDataError) as err:
        evaluate(str(tmp_path), "mse")
    assert err.value.path == str(tmp_path / names[1])
    assert "sample_weight" in err.value.message
    done = losscli("eval", "mse", str(tmp_path / "*.parquet"))
    assert done.returncode == 3, done.stderr
    assert str(tmp_path / names[1]) in done.stderr and done.stdout == ""


def test_csv_files_with_integer_then_decimal_columns_are_promoted(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("y_true,y_pred\n1,2\n0,1\n")
    (tmp_path / "b.csv").write_text("y_true,y_pred\n0.5,0.25\n1,0.75\n")
    expected = evaluate_arrays("mse", [1, 0, 0.5, 1], [2, 1, 0.25, 0.75])[0].value
    assert evaluate(str(tmp_path), "mse").results[0].value == expected


def test_parquet_int_and_float_files_are_promoted_in_any_order(tmp_path: Path) -> None:
    ints = pa.table({"y_true": pa.array([1, 0], pa.int64()), "y_pred": [0.5, 0.25]})
    floats = pa.table({"y_true": [0.5, 1.0], "y_pred": [0.125, 0.75]})
    expected = evaluate_arrays("mse", [1, 0, 0.5, 1], [0.5, 0.25, 0.125, 0.75])[0].value
    for first, second in ((ints, floats), (floats, ints)):
        d = tmp_path / f"d{len(list(tmp_path.iterdir()))}"
        d.mkdir()
        pq.write_table(first, d / "0.parquet")
        pq.write_table(second, d / "1.parquet")
        got = evaluate(str(d), "mse").results[0].value
        order = [0, 1, 2, 3] if first is ints else [2, 3, 0, 1]
        t, p = np.array([1, 0, 0.5, 1]), np.array([0.5, 0.25, 0.125, 0.75])
        assert got == evaluate_arrays("mse", t[order], p[order])[0].value
        assert got == pytest.approx(expected, rel=1e-15)


def test_types_that_cannot_be_promoted_name_the_file(tmp_path: Path) -> None:
    pq.write_table(pa.table({"y_true": [1.0], "y_pred": [0.5]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"y_true": ["cat"], "y_pred": [0.5]}), tmp_path / "b.parquet")
    with pytest.raises(InputDataError) as err:
        evaluate(str(tmp_path), "mse")
    assert err.value.path is not None and err.value.path.endswith(".parquet")


def test_one_corrupt_file_in_a_directory_is_named(tmp_path: Path) -> None:
    pq.write_table(_table(10, 1), tmp_path / "a.parquet")
    (tmp_path / "b.parquet").write_bytes(b"PAR1 this is not parquet at all PAR1")
    done = losscli("eval", "mse", str(tmp_path))
    assert done.returncode == 3, done.stderr
    assert str(tmp_path / "b.parquet") in done.stderr


def test_a_corrupt_csv_file_in_a_directory_is_named_when_read(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("y_true,y_pred\n1,2\n")
    (tmp_path / "b.csv").write_text("y_true,y_pred\n1,2\n" + "1,2\n" * 10 + "1,2,3\n")
    with pytest.raises(InputDataError) as err:
        evaluate(str(tmp_path), "mse")
    assert err.value.path == str(tmp_path / "b.csv")


def test_a_hive_folder_named_like_a_column_is_refused(tmp_path: Path) -> None:
    (tmp_path / "y_true=1").mkdir()
    pq.write_table(_table(5, 1), tmp_path / "y_true=1" / "a.parquet")
    done = losscli("eval", "mse", str(tmp_path))
    assert done.returncode == 3, done.stderr
    assert str(tmp_path / "y_true=1") in done.stderr and "partition" in done.stderr


def test_hive_partitions_still_become_columns(tmp_path: Path) -> None:
    for part in (1, 2):
        (tmp_path / f"part={part}").mkdir()
        pq.write_table(_table(5, part), tmp_path / f"part={part}" / "a.parquet")
    got = evaluate(str(tmp_path), "mse", keep=["part"])
    assert got.input.rows == 10


def _checksummed(tmp_path: Path) -> tuple[Path, Path]:
    table = pa.table({"y_true": np.arange(1000.0), "y_pred": np.arange(1000.0) + 0.5})
    good = tmp_path / "good.parquet"
    pq.write_table(table, good, write_page_checksum=True, compression="none")
    data = bytearray(good.read_bytes())
    data[200] ^= 0x10  # one bit of a y_true value in the first data page
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(bytes(data))
    return good, bad


def test_a_flipped_bit_under_a_page_checksum_is_exit_3(tmp_path: Path) -> None:
    good, bad = _checksummed(tmp_path)
    # without verification pyarrow reads a different, wrong number: the test can fail
    assert not pq.read_table(bad).equals(pq.read_table(good))
    assert evaluate(str(good), "mse").results[0].value == 0.25
    done = losscli("eval", "mse", str(bad))
    assert done.returncode == 3, done.stderr
    assert "bad.parquet" in done.stderr and "checksum" in done.stderr.lower()


def test_a_flipped_bit_in_a_dataset_file_is_exit_3_naming_it(tmp_path: Path) -> None:
    _, bad = _checksummed(tmp_path)
    d = tmp_path / "ds"
    d.mkdir()
    bad.rename(d / "bad.parquet")
    with pytest.raises(InputDataError) as err:
        evaluate(str(d), "mse")
    assert err.value.path == str(d / "bad.parquet")


def _stream_cut_at_a_batch(path: Path) -> Path:
    table = _table(10, 3)
    with pa.ipc.new_stream(path, table.schema) as writer:
        writer.write_table(table, max_chunksize=3)
    data = path.read_bytes()
    source = pa.BufferReader(data)
    reader = pa.ipc.MessageReader.open_stream(source)
    ends = []
    for _ in range(3):  # schema and two batches: a valid stream without its end
        reader.read_next_message()
        ends.append(source.tell())
    cut = path.with_name("cut.arrows")
    cut.write_bytes(data[: ends[-1]])
    return cut


def test_an_arrow_stream_cut_at_a_batch_boundary_is_exit_3(tmp_path: Path) -> None:
    cut = _stream_cut_at_a_batch(tmp_path / "whole.arrows")
    assert pa.ipc.open_stream(cut.read_bytes()).read_all().num_rows == 6  # pyarrow reads it
    assert evaluate(str(tmp_path / "whole.arrows"), "mse").input.rows == 10
    done = losscli("eval", "mse", str(cut))
    assert done.returncode == 3, done.stderr
    assert "cut.arrows" in done.stderr and "end-of-stream" in done.stderr


@pytest.mark.parametrize(
    ("suffix", "compress"), [("gz", gzip.compress), ("bz2", bz2.compress), ("xz", lzma.compress)]
)
@pytest.mark.parametrize("kind", ["csv", "jsonl"])
@pytest.mark.parametrize("damage", ["cut", "flipped"])
def test_damaged_compressed_files_are_exit_3_naming_them(
    tmp_path: Path, suffix: str, compress: object, kind: str, damage: str
) -> None:
    rows = 20_000
    text = (
        "y_true,y_pred\n" + "1,0.5\n" * rows
        if kind == "csv"
        else '{"y_true": 1, "y_pred": 0.5}\n' * rows
    )
    data = bytearray(compress(text.encode()))  # type: ignore[operator]
    if damage == "cut":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    path = tmp_path / f"damaged.{kind}.{suffix}"
    path.write_bytes(bytes(data))
    done = losscli("eval", "mse", str(path))
    assert done.returncode == 3, done.stderr
    assert str(path) in done.stderr


def test_a_latin1_header_in_a_dataset_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("y_true,y_pred\n1,2\n")
    (tmp_path / "b.csv").write_bytes(b"y_tr\xe9e,y_pred\n1,2\n")
    done = losscli("eval", "mse", str(tmp_path))
    assert done.returncode == 3, done.stderr
    assert str(tmp_path / "b.csv") in done.stderr and "UTF-8" in done.stderr


FILE_KINDS = {".csv": b"y_true,y_pred\n1,0.5\n", ".jsonl": b'{"y_true": 1, "y_pred": 0.5}\n'}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(suffix=st.sampled_from([*FILE_KINDS, ".parquet"]), data=st.binary(max_size=300))
def test_any_bytes_beside_a_good_file_in_a_dataset_end_in_exit_3(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        good = FILE_KINDS.get(suffix)
        if good is None:
            pq.write_table(pa.table({"y_true": [1.0], "y_pred": [0.5]}), Path(folder, "a.parquet"))
        else:
            Path(folder, f"a{suffix}").write_bytes(good)
        Path(folder, f"b{suffix}").write_bytes(data)
        result = runner.invoke(app, ["eval", "mse", folder])
    assert result.exit_code in (0, 3), (result.exit_code, result.stderr, result.exception)
    assert "internal error" not in result.stderr


def test_a_folder_of_mixed_files_names_the_kinds_and_the_glob(tmp_path: Path) -> None:
    """Data beside a config or a script: not a damaged file, a folder of several kinds."""
    (tmp_path / "a.csv").write_text("y_true,y_pred\n1,0.5\n")
    pq.write_table(_table(5, 1), tmp_path / "b.parquet")
    (tmp_path / "notes.toml").write_text("x = 1\n")
    result = runner.invoke(app, ["eval", "mse", str(tmp_path)])
    assert result.exit_code == 3, result.stderr
    assert "holds several kinds of files: csv (a.csv), parquet (b.parquet)" in result.stderr
    assert "files of no data format (notes.toml)" in result.stderr
    assert f"'{tmp_path}/*.csv'" in result.stderr
    one_kind = runner.invoke(app, ["eval", "mse", str(tmp_path / "*.parquet"), "-q"])
    assert one_kind.exit_code == 0, one_kind.stderr

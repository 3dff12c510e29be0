"""Every input is hashed: stdin while it is copied, each file of a dataset plus a combined
digest, and a check's labels file as eval records it."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from cli_process import losscli


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_stdin_is_hashed_while_copied() -> None:
    text = b"y_true,y_pred\n1,0.5\n0,0.25\n"
    for data in (text, gzip.compress(text)):
        done = losscli("eval", "mse", "-", "--input-format", "csv", "-f", "json", stdin=data)
        assert done.returncode == 0, done.stderr
        record = json.loads(done.stdout)["reproducibility"]["inputs"][0]
        assert record["path"] == "-"
        assert record["sha256"] == _sha(data)  # the bytes as given, compressed or not
        assert record["size"] == len(data)
    done = losscli("eval", "mse", "-", "--input-format", "csv", stdin=text)
    assert f"sha:{_sha(text)[:6]}" in done.stdout


def _dataset(root: Path) -> Path:
    rng = np.random.default_rng(3)
    for part in (1, 2):
        (root / f"part={part}").mkdir(parents=True)
        table = pa.table({"y_true": rng.random(5), "y_pred": rng.random(5)})
        pq.write_table(table, root / f"part={part}" / "data.parquet")
    (root / "_SUCCESS").write_text("")  # not read, so not hashed
    return root


def _record(path: str) -> dict:
    done = losscli("eval", "mse", path, "-f", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["reproducibility"]["inputs"][0]


def test_a_directory_dataset_records_each_file_and_a_combined_digest(tmp_path: Path) -> None:
    root = _dataset(tmp_path / "ds")
    record = _record(str(root))
    files = sorted(root.glob("part=*/data.parquet"))
    assert [f["path"] for f in record["files"]] == [str(f) for f in files]
    assert [f["sha256"] for f in record["files"]] == [_sha(f.read_bytes()) for f in files]
    assert record["size"] == sum(f.stat().st_size for f in files)
    # the combined digest is `sha256sum` of the files, relative to the folder, hashed again
    manifest = "".join(f"{_sha(f.read_bytes())}  {f.relative_to(root)}\n" for f in files)
    assert record["sha256"] == _sha(manifest.encode())
    # ...so the same dataset elsewhere has the same digest, and a changed file changes it
    moved = shutil.copytree(root, tmp_path / "elsewhere")
    assert _record(str(moved))["sha256"] == record["sha256"]
    pq.write_table(pa.table({"y_true": [1.0], "y_pred": [0.0]}), moved / "part=1" / "data.parquet")
    assert _record(str(moved))["sha256"] != record["sha256"]


def test_a_glob_dataset_is_hashed_and_signed(tmp_path: Path) -> None:
    for i in range(3):
        pq.write_table(pa.table({"y_true": [float(i)], "y_pred": [0.5]}), tmp_path / f"{i}.parquet")
    record = _record(str(tmp_path / "*.parquet"))
    assert len(record["files"]) == 3 and record["sha256"]
    done = losscli("eval", "mse", str(tmp_path / "*.parquet"))
    assert f"sha:{record['sha256'][:6]}" in done.stdout


def test_check_records_its_labels_file(tmp_path: Path) -> None:
    (tmp_path / "preds.csv").write_text("id,y_pred\n1,0.5\n2,0.25\n")
    (tmp_path / "labels.csv").write_text("id,y_true\n2,0\n1,1\n")
    config = tmp_path / "check.toml"
    config.write_text(
        '[[check]]\nname = "joined"\nfile = "preds.csv"\nlabels = "labels.csv"\non = "id"\n'
        'loss = "mse"\nfail_above = 1.0\n'
    )
    done = losscli("check", str(config), "-f", "json")
    assert done.returncode == 0, done.stderr
    inputs = json.loads(done.stdout)["checks"][0]["reproducibility"]["inputs"]
    labels = tmp_path / "labels.csv"
    assert [i["path"] for i in inputs] == [str(tmp_path / "preds.csv"), str(labels)]
    assert inputs[1]["sha256"] == _sha(labels.read_bytes())

"""Synthetic benchmark inputs, written in streamed chunks so generating 50 M rows stays small.

Regression: y_true, y_pred, sample_weight (float64). Binary: y_true 0/1, y_pred probability.
Classes: one-hot y_true and probability y_pred as list columns plus an integer label in
Parquet; label, t0..t9 and p0..p9 columns in CSV.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CHUNK = 1_000_000
CLASSES = 10


def _regression(rng: np.random.Generator, n: int) -> pa.Table:
    y_true = rng.normal(size=n)
    return pa.table(
        {
            "y_true": y_true,
            "y_pred": y_true + rng.normal(scale=0.5, size=n),
            "sample_weight": rng.uniform(0.5, 2.0, size=n),
        }
    )


def _binary(rng: np.random.Generator, n: int) -> pa.Table:
    y_true = rng.integers(0, 2, size=n).astype(np.float64)
    noise = rng.uniform(0.0, 0.6, size=n)
    return pa.table({"y_true": y_true, "y_pred": np.abs(y_true - noise)})


def _classes(rng: np.random.Generator, n: int) -> tuple[pa.Table, pa.Table]:
    label = rng.integers(0, CLASSES, size=n)
    logits = rng.normal(size=(n, CLASSES))
    logits[np.arange(n), label] += 2.0
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    onehot = np.eye(CLASSES)[label]
    lists = pa.table(
        {
            "y_true": pa.FixedSizeListArray.from_arrays(pa.array(onehot.ravel()), CLASSES),
            "y_pred": pa.FixedSizeListArray.from_arrays(pa.array(probs.ravel()), CLASSES),
            "label": label,
        }
    )
    columns = {"label": label}
    columns.update({f"t{k}": onehot[:, k] for k in range(CLASSES)})
    columns.update({f"p{k}": probs[:, k] for k in range(CLASSES)})
    return lists, pa.table(columns)


def write_parquet(path: Path, make, rows: int, seed: int) -> Path:
    """Write `rows` rows in 1 M-row row groups (the layout most writers produce)."""
    rng = np.random.default_rng(seed)
    writer = None
    try:
        for start in range(0, rows, CHUNK):
            table = make(rng, min(CHUNK, rows - start))
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            writer.write_table(table, row_group_size=CHUNK)
    finally:
        if writer is not None:
            writer.close()
    return path


def write_csv(path: Path, make, rows: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    with pa.OSFile(str(path), "wb") as sink:
        writer = None
        for start in range(0, rows, CHUNK):
            table = make(rng, min(CHUNK, rows - start))
            if writer is None:
                writer = pacsv.CSVWriter(sink, table.schema)
            writer.write_table(table)
        if writer is not None:
            writer.close()
    return path


def make_all(folder: Path, *, rows: int, class_rows: int, scaling: list[int]) -> dict[str, Path]:
    """Every input the suite reads, keyed by name; same seed, same data on every machine."""
    files: dict[str, Path] = {}
    files["reg.parquet"] = write_parquet(folder / "reg.parquet", _regression, rows, 1)
    files["reg.csv"] = write_csv(folder / "reg.csv", _regression, rows, 1)
    files["bin.parquet"] = write_parquet(folder / "bin.parquet", _binary, rows, 2)
    files["cls.parquet"] = write_parquet(
        folder / "cls.parquet", lambda r, n: _classes(r, n)[0], class_rows, 3
    )
    files["cls.csv"] = write_csv(folder / "cls.csv", lambda r, n: _classes(r, n)[1], class_rows, 3)
    files["cls_cols.parquet"] = write_parquet(
        folder / "cls_cols.parquet", lambda r, n: _classes(r, n)[1], class_rows, 3
    )
    files["tiny.parquet"] = write_parquet(folder / "tiny.parquet", _regression, 10, 4)
    for n in scaling:
        name = f"reg_{n}.parquet"
        files[name] = (
            files["reg.parquet"] if n == rows else write_parquet(folder / name, _regression, n, 1)
        )
    return files


def main(argv: list[str]) -> None:
    """`python bench/data.py FOLDER ROWS CLASS_ROWS SCALING`: runs in its own process so the
    suite's launcher stays small (Linux counts a parent's RSS into a child's peak at exec)."""
    folder, rows, class_rows, scaling = argv
    files = make_all(
        Path(folder),
        rows=int(rows),
        class_rows=int(class_rows),
        scaling=[int(n) for n in scaling.split(",") if n],
    )
    print(json.dumps({name: str(path) for name, path in files.items()}))


if __name__ == "__main__":
    main(sys.argv[1:])

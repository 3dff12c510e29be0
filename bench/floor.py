"""The floor: read the same columns with pyarrow, compute the same Keras loss with numpy.

Run as a whole process (`python bench/floor.py TASK FILE`) so its wall time and peak RSS
include interpreter start and imports, like losscli's. Prints the loss value.
Streaming reads 1 M-row batches (the faster, smaller floor); `--whole` reads whole columns.
"""

from __future__ import annotations

import sys

import numpy as np

EPS = 1e-7
BATCH = 1 << 20


def _parquet(path: str, columns: list[str], whole: bool):
    import pyarrow.parquet as pq

    if whole:
        yield pq.read_table(path, columns=columns)
        return
    yield from pq.ParquetFile(path).iter_batches(batch_size=BATCH, columns=columns)


def _csv(path: str, columns: list[str], whole: bool):
    import pyarrow.csv as pacsv

    convert = pacsv.ConvertOptions(include_columns=columns)
    if whole:
        yield pacsv.read_csv(path, convert_options=convert)
        return
    yield from pacsv.open_csv(path, convert_options=convert)


def _col(batch, name: str) -> np.ndarray:
    return batch.column(name).to_numpy()


def _matrix(batch, name: str, k: int) -> np.ndarray:
    column = batch.column(name)
    if hasattr(column, "combine_chunks"):
        column = column.combine_chunks()
    return column.flatten().to_numpy().reshape(-1, k)


def _columns(batch, prefix: str, k: int) -> np.ndarray:
    return np.column_stack([batch.column(f"{prefix}{i}").to_numpy() for i in range(k)])


def per_sample(task: str, batch) -> np.ndarray:
    """Keras's per-sample loss for one batch (the Keras formulas, float64)."""
    if task in ("mse", "wmse"):
        return np.square(_col(batch, "y_true") - _col(batch, "y_pred"))
    if task == "mae":
        return np.abs(_col(batch, "y_true") - _col(batch, "y_pred"))
    if task == "bce":
        t, p = _col(batch, "y_true"), np.clip(_col(batch, "y_pred"), EPS, 1 - EPS)
        return -(t * np.log(p) + (1 - t) * np.log(1 - p))
    if task in ("cce", "scce", "cce_csv", "scce_csv"):
        p = _columns(batch, "p", 10) if task.endswith("csv") else _matrix(batch, "y_pred", 10)
        p = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
        if task.startswith("scce"):
            label = _col(batch, "label").astype(np.int64)
            return -np.log(np.take_along_axis(p, label[:, None], axis=-1)[:, 0])
        t = _columns(batch, "t", 10) if task.endswith("csv") else _matrix(batch, "y_true", 10)
        return -np.sum(t * np.log(p), axis=-1)
    raise SystemExit(f"unknown task {task}")


COLUMNS = {
    "mse": ["y_true", "y_pred"],
    "mae": ["y_true", "y_pred"],
    "bce": ["y_true", "y_pred"],
    "wmse": ["y_true", "y_pred", "sample_weight"],
    "cce": ["y_true", "y_pred"],
    "scce": ["label", "y_pred"],
    "cce_csv": [*(f"t{i}" for i in range(10)), *(f"p{i}" for i in range(10))],
    "scce_csv": ["label", *(f"p{i}" for i in range(10))],
}


def main(argv: list[str]) -> None:
    whole = "--whole" in argv
    task, path = [a for a in argv if a != "--whole"]
    read = _csv if path.endswith(".csv") else _parquet
    total, count = 0.0, 0
    for batch in read(path, COLUMNS[task], whole):
        values = per_sample(task, batch)
        if task == "wmse":
            values = values * _col(batch, "sample_weight")
        total += float(values.sum())
        count += len(values)
    print(repr(total / count))


if __name__ == "__main__":
    main(sys.argv[1:])

"""Make the small, deterministic sample files the README and `make demo` use.

Run `python sample_data/make_samples.py` (or `make sample-data`); the output is identical on
every run, so the committed files can be checked against it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROWS = 200
CLASSES = ("cat", "dog", "bird")


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _write_csv(table: pa.Table, name: str) -> None:
    pacsv.write_csv(table, HERE / name)


def _write_parquet(table: pa.Table, name: str) -> None:
    pq.write_table(table, HERE / name, compression="zstd")


def _list_column(values: np.ndarray) -> pa.Array:
    return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), values.shape[1])


def main() -> None:
    rng = np.random.default_rng(20261124)
    ids = np.arange(ROWS)

    # regression: a noisy linear model
    y_true = np.round(rng.normal(3.0, 2.0, ROWS), 4)
    y_pred = np.round(y_true + rng.normal(0.0, 0.7, ROWS), 4)
    weight = np.round(rng.uniform(0.1, 2.0, ROWS), 3)
    _write_csv(pa.table({"id": ids, "y_true": y_true, "y_pred": y_pred}), "regression.csv")
    _write_parquet(
        pa.table({"id": ids, "y_true": y_true, "y_pred": y_pred, "sample_weight": weight}),
        "regression_weighted.parquet",
    )

    # binary: labels 0/1 and calibrated-ish probabilities
    score = rng.normal(0.0, 1.5, ROWS)
    label = (score + rng.normal(0.0, 1.0, ROWS) > 0).astype(np.int64)
    prob = np.round(1.0 / (1.0 + np.exp(-score)), 6)
    split = np.where(ids % 4 == 0, "test", "train")
    _write_csv(pa.table({"id": ids, "split": split, "y_true": label, "y_pred": prob}), "binary.csv")

    # multiclass: one-hot labels and softmax probabilities as list columns, plus logits
    logits = np.round(rng.normal(0.0, 2.0, (ROWS, len(CLASSES))), 4)
    cls = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
    onehot = np.eye(len(CLASSES))[cls]
    probs = _softmax(logits)
    _write_parquet(
        pa.table({"id": ids, "y_true": _list_column(onehot), "y_pred": _list_column(probs)}),
        "multiclass.parquet",
    )
    _write_parquet(
        pa.table({"id": ids, "y_true": _list_column(onehot), "y_pred": _list_column(logits)}),
        "logits.parquet",
    )

    # sparse: integer class index and one probability column per class
    columns = {"id": ids, "y_true": cls, "label": [CLASSES[c] for c in cls]}
    for k, name in enumerate(CLASSES):
        columns[f"p_{name}"] = probs[:, k]
    _write_csv(pa.table(columns), "sparse.csv")

    # gaps: a prediction file with a NaN and an empty cell, for --nan-policy
    (HERE / "with_nan.csv").write_text("y_true,y_pred\n1,1.5\n2,nan\n3,\n4,4.5\n")


if __name__ == "__main__":
    main()

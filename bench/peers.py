"""The peers, each a whole process including its own read: `python bench/peers.py PEER TASK FILE`.

- sklearn: pandas reads the file (its default engines), sklearn.metrics computes the loss.
- keras: pyarrow reads whole columns into numpy, a Keras 3 loss object (numpy backend,
  float64) computes it.
Both print the value, so the suite can check every peer computed the same number.
"""

from __future__ import annotations

import sys

import numpy as np

CLASSES = 10


def _sklearn(task: str, path: str) -> float:
    import pandas as pd
    from sklearn import metrics

    read = pd.read_csv if path.endswith(".csv") else pd.read_parquet
    if task in ("mse", "mae", "wmse", "bce"):
        cols = ["y_true", "y_pred"] + (["sample_weight"] if task == "wmse" else [])
        df = read(path, columns=cols) if read is pd.read_parquet else read(path, usecols=cols)
        if task == "mse":
            return metrics.mean_squared_error(df["y_true"], df["y_pred"])
        if task == "mae":
            return metrics.mean_absolute_error(df["y_true"], df["y_pred"])
        if task == "bce":
            return metrics.log_loss(df["y_true"], df["y_pred"], labels=[0, 1])
        w = df["sample_weight"]
        # sklearn divides by sum(w); Keras's default reduction divides by the row count
        return metrics.mean_squared_error(df["y_true"], df["y_pred"], sample_weight=w) * (
            w.sum() / len(w)
        )
    if path.endswith(".csv"):
        cols = ["label", *(f"p{i}" for i in range(CLASSES))]
        df = pd.read_csv(path, usecols=cols)
        probs = df[cols[1:]].to_numpy()
    else:
        df = pd.read_parquet(path, columns=["label", "y_pred"])
        probs = np.stack(df["y_pred"].to_numpy())
    return metrics.log_loss(df["label"], probs, labels=list(range(CLASSES)))


def _keras(task: str, path: str) -> float:
    import keras
    from keras.src.backend.common import dtypes

    # Keras's numpy backend computes float64 inputs in float32 (BIT64_TO_BIT32_DTYPE); ask
    # for real float64 so the peer computes the same number as losscli and the floor
    dtypes.BIT64_TO_BIT32_DTYPE.update({"float64": "float64", "int64": "int64"})
    keras.config.set_floatx("float64")
    if path.endswith(".csv"):
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(path)
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(path)

    def col(name: str) -> np.ndarray:
        return table.column(name).to_numpy()[:, None]

    def lists(name: str) -> np.ndarray:
        if name in table.column_names:
            return table.column(name).combine_chunks().flatten().to_numpy().reshape(-1, CLASSES)
        prefix = "t" if name == "y_true" else "p"
        return np.column_stack([table.column(f"{prefix}{i}").to_numpy() for i in range(CLASSES)])

    losses = keras.losses
    if task == "mse":
        return float(losses.MeanSquaredError()(col("y_true"), col("y_pred")))
    if task == "wmse":
        w = table.column("sample_weight").to_numpy()
        return float(losses.MeanSquaredError()(col("y_true"), col("y_pred"), sample_weight=w))
    if task == "mae":
        return float(losses.MeanAbsoluteError()(col("y_true"), col("y_pred")))
    if task == "bce":
        return float(losses.BinaryCrossentropy()(col("y_true"), col("y_pred")))
    if task == "cce":
        return float(losses.CategoricalCrossentropy()(lists("y_true"), lists("y_pred")))
    if task == "scce":
        label = table.column("label").to_numpy()
        return float(losses.SparseCategoricalCrossentropy()(label, lists("y_pred")))
    raise SystemExit(f"unknown task {task}")


def main(argv: list[str]) -> None:
    peer, task, path = argv
    value = {"sklearn": _sklearn, "keras": _keras}[peer](task, path)
    print(repr(float(value)))


if __name__ == "__main__":
    main(sys.argv[1:])

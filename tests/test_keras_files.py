"""Differential tests through the CLI: real CSV and Parquet files against real Keras.

Every built-in loss is written to files in the forms users have (scalar columns, several
scalar columns selected by glob, Parquet list columns), evaluated by `losscli eval
--format json`, and compared with `keras.losses.<Class>` on the same arrays, for every
reduction, with and without sample weights.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from keras_oracle import keras_loss
from typer.testing import CliRunner

from losscli.cli import app
from losscli.registry import get

runner = CliRunner()
N = 37
REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")

Arrays = tuple[np.ndarray, np.ndarray]


def _probs(rng: np.random.Generator, k: int) -> np.ndarray:
    p = rng.uniform(0.01, 1.0, (N, k))
    return p / p.sum(axis=1, keepdims=True)


def _onehot(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.eye(k)[rng.integers(0, k, N)]


def _regression(rng: np.random.Generator) -> Arrays:
    return rng.normal(size=(N, 3)), rng.normal(size=(N, 3))


def _positive(rng: np.random.Generator) -> Arrays:
    return rng.uniform(0.1, 3.0, (N, 2)), rng.uniform(0.1, 3.0, (N, 2))


def _binary(rng: np.random.Generator) -> Arrays:
    return rng.integers(0, 2, (N, 1)).astype(float), rng.uniform(0.0, 1.0, (N, 1))


def _binary_logits(rng: np.random.Generator) -> Arrays:
    return rng.integers(0, 2, (N, 1)).astype(float), rng.normal(0, 4, (N, 1))


def _categorical(rng: np.random.Generator) -> Arrays:
    return _onehot(rng, 4), _probs(rng, 4)


def _sparse(rng: np.random.Generator) -> Arrays:
    return rng.integers(0, 4, (N, 1)).astype(float), _probs(rng, 4)


def _hinge(rng: np.random.Generator) -> Arrays:
    return rng.integers(0, 2, (N, 1)).astype(float), rng.normal(size=(N, 1))


def _masks(rng: np.random.Generator) -> Arrays:
    return rng.integers(0, 2, (N, 5)).astype(float), rng.uniform(size=(N, 5))


def _embeddings(rng: np.random.Generator) -> Arrays:
    e = rng.normal(size=(N, 4))
    return rng.integers(0, 3, (N, 1)).astype(float), e / np.linalg.norm(e, axis=1, keepdims=True)


def _sequences(rng: np.random.Generator) -> Arrays:
    labels = rng.integers(1, 5, (N, 3)).astype(float)
    labels[::4, 2] = 0  # some shorter label sequences (0 is padding)
    return labels, rng.normal(size=(N, 6, 5))


# Keras class → (input generator, params): one entry per built-in loss
CASES: dict[str, tuple[Callable[[np.random.Generator], Arrays], dict[str, Any]]] = {
    "MeanSquaredError": (_regression, {}),
    "MeanAbsoluteError": (_regression, {}),
    "MeanAbsolutePercentageError": (_positive, {}),
    "MeanSquaredLogarithmicError": (_positive, {}),
    "CosineSimilarity": (_regression, {}),
    "Huber": (_regression, {"delta": 0.7}),
    "LogCosh": (_regression, {}),
    "Hinge": (_hinge, {}),
    "SquaredHinge": (_hinge, {}),
    "CategoricalHinge": (_categorical, {}),
    "KLDivergence": (_categorical, {}),
    "Poisson": (_positive, {}),
    "BinaryCrossentropy": (_binary, {"label_smoothing": 0.1}),
    "BinaryFocalCrossentropy": (_binary_logits, {"from_logits": True, "gamma": 1.5}),
    "CategoricalCrossentropy": (_categorical, {"label_smoothing": 0.2}),
    "CategoricalFocalCrossentropy": (_categorical, {}),
    "SparseCategoricalCrossentropy": (_sparse, {}),
    "CategoricalGeneralizedCrossEntropy": (_sparse, {"q": 0.7}),
    "Dice": (_masks, {}),
    "Tversky": (_masks, {"alpha": 0.3, "beta": 0.7}),
    "Circle": (_embeddings, {}),
    "CTC": (_sequences, {}),
}


def _spec(loss_name: str, params: dict[str, Any]) -> str:
    if not params:
        return loss_name
    items = ", ".join(f"{k}={json.dumps(v)}" for k, v in params.items())
    return f"{loss_name}({items})"


def _write(path: Path, y_true: np.ndarray, y_pred: np.ndarray, w: np.ndarray) -> list[str]:
    """Write the arrays in the file's natural form; return the column options needed."""
    options: list[str] = []
    if path.suffix == ".csv":
        columns: dict[str, Any] = {}
        for prefix, array, option in (("t", y_true, "--y-true"), ("p", y_pred, "--y-pred")):
            if array.shape[1] == 1:
                columns[f"{prefix}_only"] = array[:, 0]
                options += [option, f"{prefix}_only"]
            else:
                for k in range(array.shape[1]):
                    columns[f"{prefix}_{k}"] = array[:, k]
                options += [option, f"{prefix}_*"]
        columns["sample_weight"] = w
        pacsv.write_csv(pa.table(columns), path)
    else:
        pq.write_table(
            pa.table({"y_true": y_true.tolist(), "y_pred": y_pred.tolist(), "sample_weight": w}),
            path,
        )
    return options


@pytest.mark.parametrize("class_name", sorted(CASES))
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_cli_matches_keras_on_files(class_name: str, suffix: str, tmp_path: Path) -> None:
    make, params = CASES[class_name]
    if suffix == ".csv" and class_name == "CTC":
        pytest.skip("a (T, C) matrix per row has no flat CSV form; CTC is tested on Parquet")
    rng = np.random.default_rng(sorted(CASES).index(class_name))
    y_true, y_pred = make(rng)
    w = rng.uniform(0.0, 2.0, N)
    w[3] = 0.0  # zero-weight rows still count in sum_over_batch_size
    path = tmp_path / f"preds{suffix}"
    options = _write(path, y_true, y_pred, w)
    name = get(class_name).name
    for weighted in (False, True):
        for reduction in REDUCTIONS:
            args = ["eval", _spec(name, params), str(path), "-r", reduction, "--format", "json"]
            args += options + ([] if weighted else ["--sample-weight", "none"])
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.stderr
            got = json.loads(result.stdout)["results"][0]
            # Keras one-hot encodes (N, 1) GCE labels to (N, 1, K) and broadcasts to (N, N);
            # its own docstring asks for (N,) labels, which give the per-sample values
            labels = y_true[:, 0] if class_name == "CategoricalGeneralizedCrossEntropy" else y_true
            want = keras_loss(
                class_name,
                labels,
                y_pred,
                w if weighted else None,
                reduction=None if reduction == "none" else reduction,
                **params,
            )
            context = f"{class_name} {suffix} weighted={weighted} {reduction}"
            if reduction == "none":
                np.testing.assert_allclose(
                    got["values"], np.atleast_1d(want), rtol=1e-10, atol=1e-12, err_msg=context
                )
            else:
                assert got["value"] == pytest.approx(float(want), rel=1e-10, abs=1e-12), context


@pytest.mark.parametrize("class_name", sorted(CASES))
def test_cli_float32_matches_float32_keras(class_name: str, tmp_path: Path) -> None:
    """`--dtype float32` reproduces Keras computing in float32 (its clipping bounds included)."""
    make, params = CASES[class_name]
    rng = np.random.default_rng(100 + sorted(CASES).index(class_name))
    y_true, y_pred = make(rng)
    w = rng.uniform(0.0, 2.0, N)
    path = tmp_path / "preds.parquet"
    _write(path, y_true, y_pred, w)
    args = ["eval", _spec(get(class_name).name, params), str(path), "--dtype", "float32"]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    got = json.loads(result.stdout)["results"][0]["value"]
    labels = y_true[:, 0] if class_name == "CategoricalGeneralizedCrossEntropy" else y_true
    want = keras_loss(
        class_name,
        labels.astype(np.float32),
        y_pred.astype(np.float32),
        w.astype(np.float32),
        dtype="float32",
        **params,
    )
    assert got == pytest.approx(float(want), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize(
    ("spec", "class_name", "file", "columns"),
    [
        ("mse", "MeanSquaredError", "regression.csv", {}),
        ("huber(delta=0.5)", "Huber", "regression_weighted.parquet", {"delta": 0.5}),
        ("bce", "BinaryCrossentropy", "binary.csv", {}),
        ("categorical_crossentropy", "CategoricalCrossentropy", "multiclass.parquet", {}),
    ],
)
def test_sample_data_values_equal_keras(
    spec: str, class_name: str, file: str, columns: dict[str, Any]
) -> None:
    """The README's own examples: the number printed is the number Keras computes."""
    path = Path(__file__).resolve().parent.parent / "sample_data" / file
    result = runner.invoke(app, ["eval", spec, str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    got = json.loads(result.stdout)["results"][0]["value"]
    table = pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
    y_true = np.array(table["y_true"].to_pylist(), dtype=np.float64).reshape(table.num_rows, -1)
    y_pred = np.array(table["y_pred"].to_pylist(), dtype=np.float64).reshape(table.num_rows, -1)
    w = (
        np.array(table["sample_weight"].to_pylist(), dtype=np.float64)
        if "sample_weight" in table.column_names
        else None
    )
    want = keras_loss(class_name, y_true, y_pred, w, **columns)
    assert got == pytest.approx(float(want), rel=1e-12)


@pytest.mark.parametrize(("dtype", "expected"), [("float64", 16.11809565), ("float32", 15.942385)])
def test_clipping_bound_follows_the_dtype(dtype: str, expected: float, tmp_path: Path) -> None:
    """Keras clips to [eps, 1 - eps] in the compute dtype: 1 - 1e-7 rounds in float32."""
    path = tmp_path / "sure.csv"
    path.write_text("y_true,y_pred\n0,1.0\n")
    result = runner.invoke(app, ["eval", "bce", str(path), "--dtype", dtype, "-f", "json"])
    got = json.loads(result.stdout)["results"][0]["value"]
    want = float(keras_loss("BinaryCrossentropy", [[0.0]], [[1.0]], dtype=dtype))
    assert got == pytest.approx(want, rel=1e-6 if dtype == "float32" else 1e-12)
    assert got == pytest.approx(expected, rel=1e-6)

"""Inputs Keras takes that losscli used to refuse or misreport: categorical losses on one
value per row (the CLI computes what Keras and evaluate_arrays compute, with a warning) and
sparse crossentropy with the classes on another axis (a message saying which axes work)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_process import losscli
from keras_oracle import keras_loss

from losscli import evaluate_arrays

ONE_CLASS = {
    "categorical_hinge": "CategoricalHinge",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy",
    "categorical_crossentropy(from_logits=true)": "CategoricalCrossentropy",
}


@pytest.mark.parametrize("spec", sorted(ONE_CLASS))
def test_one_class_rows_give_keras_value_on_the_cli_and_in_the_api(
    spec: str, tmp_path: Path
) -> None:
    t = np.array([[1.0], [1.0], [0.0], [0.5]])
    p = np.array([[0.7], [0.2], [0.4], [1.5]])
    path = tmp_path / "one.csv"
    path.write_text(
        "y_true,y_pred\n" + "".join(f"{a},{b}\n" for a, b in zip(t[:, 0], p[:, 0], strict=True))
    )
    params = {"from_logits": True} if "from_logits" in spec else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras too warns about one class
        expected = float(keras_loss(ONE_CLASS[spec], t, p, **params))
    api = evaluate_arrays(spec, t, p)[0].value
    done = losscli("eval", spec, str(path), "-f", "json")
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)["results"][0]["value"]
    assert cli == api  # the CLI and the API agree to the last bit
    assert cli == pytest.approx(expected, rel=1e-10, abs=1e-15)
    assert "one value per row, a single class" in done.stderr  # ...and the CLI says so
    strict = losscli("eval", spec, str(path), "--strict")
    assert strict.returncode == 3


def test_sparse_crossentropy_with_classes_on_axis_1_says_which_axes_work(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    p = rng.random((3, 4, 2, 2))  # (N, C, H, W)
    p /= p.sum(axis=1, keepdims=True)
    t = rng.integers(0, 4, (3, 2, 2)).astype(float)
    with pytest.raises(ValueError):  # Keras (numpy backend) refuses it too, about shapes
        keras_loss("SparseCategoricalCrossentropy", t, p, axis=1)
    path = tmp_path / "nchw.parquet"
    pq.write_table(pa.table({"y_true": t.tolist(), "y_pred": p.tolist()}), path)
    done = losscli("eval", "sparse_categorical_crossentropy(axis=1)", str(path))
    assert done.returncode == 3
    assert "only the last axis of y_pred can hold the classes" in done.stderr
    assert "axis=-1 (or 3)" in done.stderr and "moveaxis" in done.stderr
    assert "2×2" not in done.stderr  # not the shape of the labels
    # channels-last, as the message says, gives Keras's value
    moved = np.moveaxis(p, 1, -1)
    pq.write_table(pa.table({"y_true": t.tolist(), "y_pred": moved.tolist()}), path)
    done = losscli("eval", "sparse_categorical_crossentropy", str(path), "-f", "json")
    assert done.returncode == 0, done.stderr
    value = json.loads(done.stdout)["results"][0]["value"]
    expected = float(keras_loss("SparseCategoricalCrossentropy", t, moved))
    assert value == pytest.approx(expected, rel=1e-10)

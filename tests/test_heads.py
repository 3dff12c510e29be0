"""Multi-head totals: each head on its own columns, summed exactly as Keras's CompileLoss."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from keras_oracle import _configure
from typer.testing import CliRunner

from losscli.cli import app
from losscli.errors import UsageError
from losscli.heads import Head, evaluate_heads, parse_head, weighted_total

runner = CliRunner()
N = 120


@pytest.fixture
def two_heads(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    rng = np.random.default_rng(2)
    cols = {
        "t1": rng.normal(size=N),
        "p1": rng.normal(size=N),
        "t2": rng.integers(0, 2, size=N).astype(float),
        "p2": rng.uniform(0.05, 0.95, size=N),
        "sample_weight": rng.uniform(size=N),
    }
    path = tmp_path / "heads.parquet"
    pq.write_table(pa.table(cols), path)
    return path, cols


def _keras_total(cols: dict[str, np.ndarray], weights: list[float] | None, sw: bool) -> float:
    keras = _configure("float64")
    from keras.src.trainers.compile_utils import CompileLoss

    loss = CompileLoss(
        loss=[
            keras.losses.Huber(delta=0.5, dtype="float64"),
            keras.losses.BinaryCrossentropy(dtype="float64"),
        ],
        loss_weights=weights,
    )
    value = loss(
        [cols["t1"][:, None], cols["t2"][:, None]],
        [cols["p1"][:, None], cols["p2"][:, None]],
        sample_weight=cols["sample_weight"] if sw else None,
    )
    assert np.asarray(value).dtype == np.float64
    return float(value)


@pytest.mark.parametrize("weights", [[0.3, 1.7], None])
@pytest.mark.parametrize("sw", [True, False])
def test_total_equals_keras_compile_loss(two_heads, weights, sw) -> None:  # type: ignore[no-untyped-def]
    path, cols = two_heads
    w1, w2 = weights or (None, None)
    heads = [
        Head("out1", "huber(delta=0.5)", "t1", "p1", None if sw else "none", w1),
        Head("out2", "bce", "t2", "p2", None if sw else "none", w2),
    ]
    evaluation = evaluate_heads(str(path), heads, batch_size=32)
    # per-head means are exact sums in losscli and pairwise sums in Keras: ulps apart
    assert evaluation.total == pytest.approx(_keras_total(cols, weights, sw), rel=1e-13)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_weighted_total_is_keras_sum_exactly(dtype: str) -> None:
    """Given Keras's own per-head values, the total is bit-identical to CompileLoss's."""
    keras = _configure(dtype)
    from keras.src.trainers.compile_utils import CompileLoss

    rng = np.random.default_rng(4)
    ts = [rng.normal(size=(20, 1)).astype(dtype) for _ in range(3)]
    ps = [rng.normal(size=(20, 1)).astype(dtype) for _ in range(3)]
    weights = [0.1, None, 2.3]
    classes = [keras.losses.MeanSquaredError, keras.losses.MeanAbsoluteError, keras.losses.Huber]
    heads = [cls(dtype=dtype) for cls in classes]
    per_head = [float(loss(t, p)) for loss, t, p in zip(heads, ts, ps, strict=True)]
    compiled = CompileLoss(loss=[cls(dtype=dtype) for cls in classes], loss_weights=[0.1, 1.0, 2.3])
    # Keras needs a weight per head when any is given; 1.0 and None give the same product
    want = np.asarray(compiled(ts, ps))
    assert want.dtype == np.dtype(dtype)
    assert weighted_total(per_head, weights, dtype) == float(want)


def test_cli_heads_json(two_heads) -> None:  # type: ignore[no-untyped-def]
    path, cols = two_heads
    out = runner.invoke(
        app,
        [
            "eval", "huber(delta=0.5)", str(path), "-f", "json",
            "--head", "name=out1,y_true=t1,y_pred=p1,weight=0.3",
            "--head", "name=out2,loss=bce,y_true=t2,y_pred=p2,weight=1.7",
        ],
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert [h["name"] for h in data["heads"]] == ["out1", "out2"]
    assert data["heads"][0]["spec"] == "huber(delta=0.5)"
    assert data["total"] == _keras_total(cols, [0.3, 1.7], True)
    assert data["reproducibility"]["losses"][1].startswith("binary_crossentropy(")


def test_cli_heads_gate_on_total(two_heads) -> None:  # type: ignore[no-untyped-def]
    path, _ = two_heads
    args = ["eval", "mse", str(path), "--head", "name=a,y_true=t1,y_pred=p1"]
    assert runner.invoke(app, [*args, "--fail-above", "total=0"]).exit_code == 1
    out = runner.invoke(app, [*args, "--fail-above", "a=1000"])
    assert out.exit_code == 0 and "total" in out.stdout


def test_parse_head() -> None:
    head = parse_head("name=o,loss=huber(delta=2.0),y_true=[a,b],y_pred=p_*,weight=0.5")
    assert head == Head("o", "huber(delta=2.0)", "a,b", "p_*", None, 0.5)
    with pytest.raises(UsageError):
        parse_head("name=o,los=mse")
    with pytest.raises(UsageError, match="one"):
        Head("o", "mse,mae").bound()

"""The shortcuts taken for speed give exactly what the plain way gives."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli import signature
from losscli.columns import _numbers

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.mark.parametrize(
    "arrow_type", ["float64", "float32", "float16", "int8", "int16", "int32", "int64", "uint8"]
)
def test_numeric_views_equal_arrow_to_numpy(arrow_type: str) -> None:
    base = pa.array(
        np.arange(40).astype(pa.from_numpy_dtype(np.dtype(arrow_type)).to_pandas_dtype())
    )
    for column in (
        base,
        base.slice(7, 20),
        pa.chunked_array([base.slice(0, 5), base.slice(5, 0), base.slice(9)]),
    ):
        got = _numbers(column)
        want = (
            column.to_numpy(zero_copy_only=False)
            if isinstance(column, pa.Array)
            else column.to_numpy()
        )
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_a_view_is_read_only_like_arrows() -> None:
    assert not _numbers(pa.array([1.0, 2.0])).flags.writeable


def test_nulls_still_become_nan() -> None:
    got = _numbers(pa.array([1.0, None, 3.0]))
    np.testing.assert_array_equal(got, [1.0, np.nan, 3.0])


@pytest.mark.parametrize(
    "name", ["regression.csv", "regression_weighted.parquet", "multiclass.parquet"]
)
def test_eval_does_not_import_pandas(name: str) -> None:
    spec = "categorical_crossentropy" if name.startswith("multiclass") else "mse"
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "losscli",
            "eval",
            spec,
            str(SAMPLES / name),
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": "numpy"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-1000:]
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "numpy" in modules  # the check can see imports
    assert "pandas" not in modules


def test_a_background_hash_is_the_files_sha256(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"y_true,y_pred\n" + b"1,2\n" * 100_000)
    signature.hash_in_background([str(path), str(tmp_path / "missing.csv")])
    assert signature.file_sha256(str(path)) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert str(path) not in signature._early  # used once: a later call hashes afresh
    path.write_bytes(b"changed")
    assert signature.file_sha256(str(path)) == hashlib.sha256(b"changed").hexdigest()


class _PlainSample:
    """The distribution sample without the early drop: every key goes into the partition."""

    def __init__(self, cap: int) -> None:
        self.cap, self.rng = cap, np.random.default_rng(0)
        self.keys, self.values = np.empty(0), np.empty(0)

    def add(self, chunk: np.ndarray) -> None:
        finite = chunk[np.isfinite(chunk)]
        keys = np.concatenate([self.keys, self.rng.random(len(finite))])
        values = np.concatenate([self.values, finite])
        if len(values) > self.cap:
            keep = np.argpartition(keys, self.cap)[: self.cap]
            keys, values = keys[keep], values[keep]
        self.keys, self.values = keys, values


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3_000),
    cap=st.integers(1, 500),
    cuts=st.lists(st.integers(1, 400), min_size=1, max_size=20),
)
def test_the_distribution_sample_keeps_the_same_values(n: int, cap: int, cuts: list[int]) -> None:
    from losscli.breakdown import _Sample

    data = np.random.default_rng(n).normal(size=n)
    data[::37] = np.nan
    fast, plain = _Sample(cap), _PlainSample(cap)
    start, i = 0, 0
    while start < n:
        stop = start + cuts[i % len(cuts)]
        fast.add(data[start:stop])
        plain.add(data[start:stop])
        start, i = stop, i + 1
    np.testing.assert_array_equal(np.sort(fast.values), np.sort(plain.values))


def test_many_losses_on_threads_equal_each_loss_alone() -> None:
    from losscli.engine import evaluate_arrays

    rng = np.random.default_rng(7)
    t = rng.integers(0, 2, size=(50_000, 1)).astype(float)
    p = rng.uniform(0.01, 0.99, size=(50_000, 1))
    w = rng.uniform(0.5, 2.0, size=50_000)
    specs = [
        "bce",
        "bce(label_smoothing=0.1)",
        "poisson",
        "kld",
        "mse",
        "mae",
        "msle",
        "log_cosh",
        "huber",
    ]
    together = evaluate_arrays(",".join(specs), t, p, w, batch_size=7_000)
    alone = [evaluate_arrays(s, t, p, w, batch_size=7_000)[0] for s in specs]
    assert [r.value for r in together] == [r.value for r in alone]
    assert [r.weight_sum for r in together] == [r.weight_sum for r in alone]


def _sparse_ce_one_hot_way(labels: np.ndarray, y_pred: np.ndarray, from_logits: bool) -> np.ndarray:
    """Keras's formula as written: -sum(one_hot * log p) over every class."""
    from losscli.losses import crossentropy as ce
    from losscli.losses._common import log_softmax

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if from_logits:
            log_prob = log_softmax(y_pred, axis=-1)
        else:
            log_prob = np.log(ce._class_probabilities(y_pred, -1))
        return -np.sum(ce._one_hot(labels, y_pred.shape[-1], y_pred.dtype) * log_prob, axis=-1)


_ODD = st.sampled_from([0.0, -0.0, 1e-300, 1e308, -1.0, np.inf, -np.inf, np.nan, 0.5, 3.0])


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.lists(_ODD | st.floats(-50, 50), min_size=3, max_size=3), min_size=1, max_size=6
    ),
    labels=st.lists(st.integers(0, 2), min_size=6, max_size=6),
    from_logits=st.booleans(),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_sparse_ce_label_first_is_bit_identical(rows, labels, from_logits, dtype) -> None:
    """Picking the label's column first equals the one-hot sum to the bit, NaN and inf rows
    included (those fall back to the long way)."""
    from losscli.losses.crossentropy import _label_log_loss

    with np.errstate(over="ignore"):
        y_pred = np.asarray(rows, dtype=dtype)
    picked = np.asarray(labels[: len(rows)])
    got = _label_log_loss(picked, y_pred, from_logits)
    want = _sparse_ce_one_hot_way(picked, y_pred, from_logits)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))

"""A single loss's batch computed as two halves on the pool gives what one call gives, bit
for bit (engine._call_split); losses that look across rows are never split."""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli import engine
from losscli.engine import evaluate_arrays

Make = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


def _regression(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    t = rng.normal(size=(n, 3)) * 10.0 ** rng.integers(-3, 4, size=(n, 1))
    return t, t + rng.normal(size=(n, 3))


def _positive(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(0, 5, size=(n, 2)), rng.uniform(0, 5, size=(n, 2))


def _binary(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    p = rng.uniform(0, 1, size=(n, 1))
    p[rng.random(n) < 0.05] = 0.0  # clipped rows too
    return rng.integers(0, 2, size=(n, 1)).astype(float), p


def _logits(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 2, size=(n, 1)).astype(float), rng.normal(scale=8, size=(n, 1))


def _onehot(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    p = rng.dirichlet(np.ones(4), size=n)
    return np.eye(4)[rng.integers(0, 4, size=n)], p


def _sparse(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 4, size=(n, 1)).astype(float), rng.dirichlet(np.ones(4), size=n)


#: Keras's per-row losses (the ones the engine splits), each with inputs it accepts
CASES: dict[str, Make] = {
    "mse": _regression,
    "mae": _regression,
    "mape": _regression,
    "huber(delta=0.5)": _regression,
    "log_cosh": _regression,
    "cosine_similarity": _regression,
    "msle": _positive,
    "poisson": _positive,
    "kl_divergence": _onehot,
    "binary_crossentropy": _binary,
    "binary_crossentropy(label_smoothing=0.1)": _binary,
    "binary_crossentropy(from_logits=true)": _logits,
    "binary_focal_crossentropy": _binary,
    "categorical_crossentropy": _onehot,
    "categorical_focal_crossentropy": _onehot,
    "categorical_hinge": _onehot,
    "sparse_categorical_crossentropy": _sparse,
    "sparse_categorical_crossentropy(ignore_class=2)": _sparse,
    "categorical_generalized_cross_entropy": _sparse,
}


def _run(spec: str, t: np.ndarray, p: np.ndarray, w: np.ndarray | None, split: bool, **kw):  # type: ignore[no-untyped-def]
    rows = 2 if split else 1 << 60
    with mock.patch.object(engine, "SPLIT_VALUES", rows):
        return evaluate_arrays(spec, t, p, w, **kw)[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=st.sampled_from(sorted(CASES)),
    n=st.integers(4, 300),
    seed=st.integers(0, 2**32 - 1),
    batch_size=st.one_of(st.none(), st.integers(4, 120)),
    dtype=st.sampled_from(["float64", "float32"]),
    weighted=st.booleans(),
)
def test_split_halves_equal_one_call(
    spec: str, n: int, seed: int, batch_size: int | None, dtype: str, weighted: bool
) -> None:
    rng = np.random.default_rng(seed)
    t, p = CASES[spec](rng, n)
    w = rng.uniform(0, 3, size=n) if weighted else None
    kw = {"dtype": dtype, "batch_size": batch_size}
    for reduction in ("none", "sum_over_batch_size"):
        plain = _run(spec, t, p, w, split=False, reduction=reduction, **kw)
        fast = _run(spec, t, p, w, split=True, reduction=reduction, **kw)
        assert np.asarray(fast.value).tobytes() == np.asarray(plain.value).tobytes()
        assert (fast.count, fast.nan_count) == (plain.count, plain.nan_count)
        if reduction == "none":
            assert fast.values.tobytes() == plain.values.tobytes()  # type: ignore[union-attr]


def test_a_big_batch_of_one_loss_is_split() -> None:
    """The fast path is taken (else the test above compares the plain way with itself)."""
    rng = np.random.default_rng(1)
    t, p = _binary(rng, engine.SPLIT_VALUES)
    with mock.patch.object(engine, "_call_split", wraps=engine._call_split) as spy:
        evaluate_arrays("binary_crossentropy", t, p)
    assert spy.call_count == 1


@pytest.mark.parametrize(
    "spec",
    [
        "sklearn.median_absolute_error",  # batch-level: one value from every row
        "hinge",  # a prepass decides the label convention for the whole file
        "torch.mse",  # not Keras's: not assumed row by row
    ],
)
def test_losses_that_may_look_across_rows_are_not_split(spec: str) -> None:
    rng = np.random.default_rng(2)
    t, p = _logits(rng, engine.SPLIT_VALUES)
    with mock.patch.object(engine, "_call_split", wraps=engine._call_split) as spy:
        evaluate_arrays(spec, t, p)
    assert spy.call_count == 0


def test_a_small_batch_is_computed_whole() -> None:
    rng = np.random.default_rng(3)
    t, p = _binary(rng, engine.SPLIT_VALUES - 1)
    with mock.patch.object(engine, "_call_split", wraps=engine._call_split) as spy:
        evaluate_arrays("binary_crossentropy", t, p)
    assert spy.call_count == 0


def test_a_value_for_the_whole_batch_is_computed_whole() -> None:
    """Were a per-row-looking loss to answer with one value per call, the halves' values
    are dropped and the loss is called once on the whole batch."""
    import dataclasses

    from losscli.registry import BoundLoss, get

    info = dataclasses.replace(get("mse"), fn=lambda y_true, y_pred: np.asarray(y_pred.sum()))
    loss = BoundLoss(info)
    batch = engine.Batch(np.zeros((6, 1)), np.arange(6.0)[:, None], None, 0)
    with mock.patch.object(engine, "SPLIT_VALUES", 2):
        assert engine._splittable(loss, {}, batch)
        assert engine._call_split(loss, {}, batch) == 15.0

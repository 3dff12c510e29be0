"""Accumulators: exact, mergeable, and independent of how the stream is cut."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.engine import evaluate_arrays
from losscli.reduce import BLOCK, REDUCTIONS, Accumulator, ExactSum, merge_all


def _sum_in_pieces(values: np.ndarray, cuts: list[int]) -> float:
    total = ExactSum()
    start = 0
    for cut in [*sorted(cuts), len(values)]:
        total.add(values[start:cut])
        start = cut
    return total.value


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3 * BLOCK + 17),
    cuts=st.lists(st.integers(0, 3 * BLOCK + 17), max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_exact_sum_does_not_depend_on_batching(n: int, cuts: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(n) * np.exp(rng.uniform(-20, 20, n))
    cuts = [c for c in cuts if c <= n]
    assert _sum_in_pieces(values, cuts) == _sum_in_pieces(values, [])


def test_exact_sum_is_accurate() -> None:
    values = np.array([1e16, 1.0, -1e16, 1.0] * 10)
    total = ExactSum()
    total.add(values)
    assert total.value == math.fsum(values) == 20.0


def test_merge_equals_one_pass() -> None:
    rng = np.random.default_rng(1)
    losses, weights = rng.uniform(size=1000), rng.uniform(size=1000)
    whole = Accumulator(weighted=True)
    whole.update(losses, weights, None, 0)
    parts = []
    for start in range(0, 1000, 333):
        acc = Accumulator(weighted=True)
        acc.update(losses[start : start + 333], weights[start : start + 333], None, start)
        parts.append(acc)
    merged = merge_all(parts)
    for reduction in REDUCTIONS:
        assert merged.reduce(reduction) == pytest.approx(whole.reduce(reduction), rel=1e-15)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_batch_size_invariance(reduction: str, weighted: bool) -> None:
    rng = np.random.default_rng(7)
    n = 257
    y_true, y_pred = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    w = rng.uniform(size=n) if weighted else None
    spec = "mse,mae"
    reference = evaluate_arrays(spec, y_true, y_pred, w, reduction=reduction)
    for batch_size in (1, 7, n):
        results = evaluate_arrays(
            spec, y_true, y_pred, w, reduction=reduction, batch_size=batch_size
        )
        for got, want in zip(results, reference, strict=True):
            assert got.value == want.value
            if reduction == "none":
                np.testing.assert_array_equal(got.values, want.values)


def test_reductions_match_keras_definitions() -> None:
    losses = np.array([1.0, 2.0, 3.0, 4.0])
    weights = np.array([0.0, 1.0, 2.0, 0.5])
    acc = Accumulator(weighted=True, keep_values=True)
    acc.update(losses, weights, None, 0)
    weighted_sum = 0 + 2 + 6 + 2
    assert acc.reduce("sum") == weighted_sum
    # zero-weight rows still count in the batch size
    assert acc.reduce("sum_over_batch_size") == weighted_sum / 4
    assert acc.reduce("mean") == weighted_sum / 4
    assert acc.reduce("mean_with_sample_weight") == weighted_sum / 3.5
    np.testing.assert_array_equal(acc.per_sample(), losses * weights)


def test_mask_follows_keras_apply_mask() -> None:
    losses = np.array([1.0, 2.0, 3.0, 4.0])
    mask = np.array([True, False, True, True])
    acc = Accumulator()
    acc.update(losses, None, mask, 0)
    assert acc.reduce("sum") == 8.0
    assert acc.reduce("sum_over_batch_size") == pytest.approx(8.0 / 3)
    assert acc.reduce("mean_with_sample_weight") == pytest.approx(8.0 / 3)


def test_all_zero_weights_divide_to_zero_like_keras_divide_no_nan() -> None:
    acc = Accumulator(weighted=True)
    acc.update(np.array([1.0, 2.0]), np.array([0.0, 0.0]), None, 0)
    assert acc.reduce("mean_with_sample_weight") == 0.0


def test_infinities_add_like_floats() -> None:
    both, one = ExactSum(), ExactSum()
    both.add(np.array([np.inf, 1.0, -np.inf]))
    one.add(np.array([np.inf, 1.0] * BLOCK))  # through block sums too
    assert math.isnan(both.value)
    assert one.value == np.inf


def test_float32_results_are_float32_numbers() -> None:
    """Keras weighs and sums in float32: 3e38 + 3e38 overflows; 0.5 × the smallest
    subnormal rounds (to even) in float32 before the division."""
    big = Accumulator()
    big.update(np.array([3e38, 3e38], dtype=np.float32), None, None, 0)
    assert big.reduce("sum_over_batch_size") == np.inf
    tiny = Accumulator(weighted=True)
    w = np.array([1.4e-45], dtype=np.float32)
    tiny.update(np.array([0.5], dtype=np.float32), w, None, 0)
    in_float32 = np.float32(0.5) * w[0]
    assert float(in_float32) != 0.5 * float(w[0])  # meaningful only if float32 rounds
    assert tiny.reduce("mean_with_sample_weight") == float(in_float32) / float(w[0])


def test_one_weighted_row_of_a_batch_level_loss_is_not_reduced() -> None:
    """Keras squeezes a (1,) weight to a scalar, so a 0-d loss × weight is returned as is."""
    acc = Accumulator(weighted=True)
    acc.update(np.asarray(0.25), np.array([0.5]), None, 0)
    assert acc.reduce("mean_with_sample_weight") == 0.125
    assert acc.reduce("sum_over_batch_size") == 0.125


def test_a_sum_past_float64_is_inf_not_a_crash() -> None:
    pieces, block = ExactSum(), ExactSum()
    pieces.add(np.array([1.5e308, 1.5e308]))  # through the exact tail
    block.add(np.full(2 * BLOCK, 1e305))  # through block sums
    assert pieces.value == np.inf
    assert block.value == np.inf

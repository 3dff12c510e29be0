"""Partitions evaluated separately and merged give what one pass gives (no Dask needed)."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.engine import accumulate_arrays, evaluate_arrays, finish_states, merge_states
from losscli.errors import UsageError
from losscli.reduce import BLOCK, REDUCTIONS

SPEC = "mse,mae,huber(delta=0.5),log_cosh"


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = rng.normal(size=n)
    return y_true, y_true + rng.normal(scale=0.3, size=n), rng.uniform(0.1, 2.0, size=n)


def _partitions(n: int, cuts: list[int]) -> list[tuple[int, int]]:
    edges = [0, *sorted({c for c in cuts if 0 < c < n}), n]
    return list(itertools.pairwise(edges))


def _distributed(spec, t, p, w, parts, reduction="sum_over_batch_size"):  # type: ignore[no-untyped-def]
    """What a Dask job does: one accumulate per partition (pickled, as if sent back from a
    worker), then finish on the driver."""
    states = []
    for start, stop in parts:
        wp = None if w is None else w[start:stop]
        state = accumulate_arrays(spec, t[start:stop], p[start:stop], wp, first_row=start)
        states.append(pickle.loads(pickle.dumps(state)))
    return finish_states(spec, states, reduction=reduction)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", [r for r in REDUCTIONS if r != "none"])
def test_block_aligned_partitions_are_bit_identical_to_one_pass(weighted, reduction):  # type: ignore[no-untyped-def]
    n = 3 * BLOCK + 123
    t, p, w = _data(n)
    w = w if weighted else None
    one = evaluate_arrays(SPEC, t, p, w, reduction=reduction)
    merged = _distributed(SPEC, t, p, w, _partitions(n, [BLOCK, 3 * BLOCK]), reduction)
    assert [r.value for r in merged] == [r.value for r in one]
    assert [r.count for r in merged] == [r.count for r in one]
    assert [r.weight_sum for r in merged] == [r.weight_sum for r in one]


@settings(max_examples=30, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=9_999), max_size=6))
def test_any_partitioning_matches_one_pass(cuts):  # type: ignore[no-untyped-def]
    n = 10_000
    t, p, w = _data(n, seed=1)
    one = evaluate_arrays(SPEC, t, p, w)
    merged = _distributed(SPEC, t, p, w, _partitions(n, cuts))
    for a, b in zip(merged, one, strict=True):
        # below one block every partition's rows stay pending and are summed together
        assert a.value == b.value
        assert a.count == b.count


def test_unaligned_large_partitions_agree_to_rounding():
    n = 2 * BLOCK + 5_000
    t, p, w = _data(n, seed=2)
    one = evaluate_arrays(SPEC, t, p, w)
    merged = _distributed(SPEC, t, p, w, _partitions(n, [BLOCK - 777, BLOCK + 4_321]))
    for a, b in zip(merged, one, strict=True):
        assert a.value == pytest.approx(b.value, rel=1e-14, abs=0)


def test_merge_states_is_a_tree_reduction():
    n = 4 * BLOCK
    t, p, _ = _data(n, seed=3)
    parts = [
        accumulate_arrays("mse", t[i : i + BLOCK], p[i : i + BLOCK]) for i in range(0, n, BLOCK)
    ]
    pairwise = [merge_states(parts[:2]), merge_states(parts[2:])]
    assert finish_states("mse", pairwise)[0].value == evaluate_arrays("mse", t, p)[0].value


def test_nan_rows_are_reported_in_file_coordinates():
    t, p, _ = _data(100)
    p[70] = np.nan
    states = [
        accumulate_arrays("mse", t[:50], p[:50]),
        accumulate_arrays("mse", t[50:], p[50:], first_row=50),
    ]
    result = finish_states("mse", states)[0]
    assert (result.nan_count, result.first_nan_row) == (1, 70)


def test_per_sample_values_come_back_in_partition_order():
    t, p, _ = _data(10)
    states = [
        accumulate_arrays("mae", t[:4], p[:4], keep_values=True),
        accumulate_arrays("mae", t[4:], p[4:], first_row=4, keep_values=True),
    ]
    values = finish_states("mae", states, reduction="none")[0].values
    np.testing.assert_array_equal(values, np.abs(t - p))


def test_a_whole_input_loss_refuses_to_be_split():
    pytest.importorskip("losscli.losses.hinge")
    t = np.array([0.0, 1.0, 1.0])
    with pytest.raises(UsageError, match="whole input"):
        accumulate_arrays("hinge", t, t)


def test_no_partitions_is_a_usage_error():
    with pytest.raises(UsageError):
        finish_states("mse", [])

"""The per-sample distribution stays bounded in memory and does not depend on batch sizes."""

from __future__ import annotations

import numpy as np

from losscli.breakdown import Distribution
from losscli.engine import Batch
from losscli.spec import parse_specs


def _spreads(values: np.ndarray, batch_size: int, cap: int) -> list:
    losses = parse_specs("mae")
    dist = Distribution(losses, cap=cap)
    for start in range(0, len(values), batch_size):
        chunk = values[start : start + batch_size]
        batch = Batch(np.zeros((len(chunk), 1)), chunk[:, None], None, start)
        dist(batch, [(np.abs(chunk), None)])
    return dist.results()


def test_exact_below_the_cap() -> None:
    values = np.random.default_rng(0).normal(size=500)
    (spread,) = _spreads(values, 64, cap=1000)
    assert spread.exact
    assert spread.quantiles["p50"] == np.quantile(np.abs(values), 0.5)
    assert sum(spread.counts) == 500


def test_sampled_above_the_cap_with_exact_extremes() -> None:
    values = np.random.default_rng(1).normal(size=20_000)
    (spread,) = _spreads(values, 777, cap=2000)
    assert not spread.exact
    assert sum(spread.counts) == 2000  # the sample, not the stream, is kept
    assert spread.quantiles["min"] == np.abs(values).min()
    assert spread.quantiles["max"] == np.abs(values).max()
    assert abs(spread.quantiles["p50"] - np.quantile(np.abs(values), 0.5)) < 0.05


def test_sample_does_not_depend_on_batch_size() -> None:
    values = np.random.default_rng(2).normal(size=5000)
    assert _spreads(values, 1000, cap=300) == _spreads(values, 37, cap=300)

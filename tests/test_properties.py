"""Properties that hold for any data: batch size and row order do not change a result,
weights of 1 are no weights, `sum` is linear in the weights, and any bytes given to any
reader end in exit 3 (or a result), never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from typer.testing import CliRunner

from losscli.cli import app
from losscli.engine import evaluate_arrays

runner = CliRunner()
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: per-sample losses of each input kind: (spec, makes y_true, makes y_pred from a uniform draw)
LOSSES = {
    "mse": "regression",
    "mae": "regression",
    "huber(delta=0.5)": "regression",
    "log_cosh": "regression",
    "binary_crossentropy": "binary",
    "hinge": "binary",
    "categorical_crossentropy": "categorical",
    "kl_divergence": "categorical",
}

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
unit = st.floats(0.01, 0.99, allow_nan=False)


@st.composite
def problems(draw: st.DrawFn) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    spec = draw(st.sampled_from(sorted(LOSSES)))
    kind = LOSSES[spec]
    n = draw(st.integers(1, 60))
    width = 1 if kind == "binary" else draw(st.integers(2, 4))
    weights = draw(arrays(np.float64, n, elements=st.floats(0.0, 5.0)))
    if kind == "regression":
        t = draw(arrays(np.float64, (n, width), elements=finite))
        p = draw(arrays(np.float64, (n, width), elements=finite))
    elif kind == "binary":
        t = draw(arrays(np.float64, (n, 1), elements=st.sampled_from([0.0, 1.0])))
        p = draw(arrays(np.float64, (n, 1), elements=unit))
    else:
        t = np.eye(width)[draw(arrays(np.int64, n, elements=st.integers(0, width - 1)))]
        p = draw(arrays(np.float64, (n, width), elements=unit))
        p = p / p.sum(axis=1, keepdims=True)
    return spec, t, p, weights


def _value(
    spec: str, t: np.ndarray, p: np.ndarray, w: np.ndarray | None = None, **kw: object
) -> float:
    return evaluate_arrays(spec, t, p, w, **kw)[0].value  # type: ignore[arg-type]


@FAST
@given(
    problems(),
    st.integers(1, 70),
    st.sampled_from(["sum_over_batch_size", "sum", "mean_with_sample_weight"]),
)
def test_batch_size_does_not_change_the_result(
    problem: tuple[str, np.ndarray, np.ndarray, np.ndarray], batch_size: int, reduction: str
) -> None:
    spec, t, p, w = problem
    one_pass = _value(spec, t, p, w, reduction=reduction)
    batched = _value(spec, t, p, w, reduction=reduction, batch_size=batch_size)
    assert batched == one_pass  # exact: sums are taken over fixed blocks of rows


@FAST
@given(problems(), st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_result(
    problem: tuple[str, np.ndarray, np.ndarray, np.ndarray], random: object
) -> None:
    spec, t, p, w = problem
    order = np.arange(len(p))
    random.shuffle(order)  # type: ignore[attr-defined]
    before = _value(spec, t, p, w)
    after = _value(spec, t[order], p[order], w[order])
    assert after == pytest.approx(before, rel=1e-12, abs=1e-12)


@FAST
@given(
    problems(), st.sampled_from(["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight"])
)
def test_weights_of_one_are_no_weights(
    problem: tuple[str, np.ndarray, np.ndarray, np.ndarray], reduction: str
) -> None:
    spec, t, p, _ = problem
    ones = np.ones(len(p))
    assert _value(spec, t, p, ones, reduction=reduction) == _value(spec, t, p, reduction=reduction)


@FAST
@given(problems(), st.floats(0.0, 100.0))
def test_sum_scales_linearly_with_the_weights(
    problem: tuple[str, np.ndarray, np.ndarray, np.ndarray], scale: float
) -> None:
    spec, t, p, w = problem
    base = _value(spec, t, p, w, reduction="sum")
    scaled = _value(spec, t, p, w * scale, reduction="sum")
    assert scaled == pytest.approx(base * scale, rel=1e-9, abs=1e-9)


SUFFIXES = [".csv", ".tsv", ".parquet", ".arrow", ".jsonl", ".csv.gz"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SUFFIXES), st.binary(max_size=600))
def test_any_bytes_to_any_reader_end_in_exit_3_not_a_traceback(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random{suffix}"
        path.write_bytes(data)
        result = runner.invoke(app, ["eval", "mse", str(path)])
    assert result.exit_code in (0, 3), (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if result.exit_code == 3:
        assert result.stderr.strip().splitlines()[-1].startswith("losscli: error: ")


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_text_that_is_almost_a_table_ends_in_exit_3(suffix: str, tmp_path: Path) -> None:
    """Plausible-looking garbage, the kind random bytes rarely hit."""
    path = tmp_path / f"almost{suffix}"
    payload = b'y_true,y_pred\n1,"2\n{"y_true": [1, 2}\nPAR1\x00\x00ARROW1\n'
    if suffix.endswith(".gz"):
        import gzip

        payload = gzip.compress(payload)[:-3]
    path.write_bytes(payload)
    result = runner.invoke(app, ["eval", "mse", str(path)])
    assert result.exit_code == 3, (result.stderr, result.exception)

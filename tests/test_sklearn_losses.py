"""sklearn.* losses against scikit-learn itself: values, parameters, reductions, files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from family_files import cli, cli_error, cli_value, runner, value, write

from losscli.cli import app

metrics = pytest.importorskip("sklearn.metrics")
# sklearn's own warnings about the inputs these tests give on purpose
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
N = 41
RNG = np.random.default_rng(7)


def _probs(k: int, n: int = N) -> np.ndarray:
    p = RNG.uniform(0.01, 1.0, (n, k))
    return p / p.sum(axis=1, keepdims=True)


def _classes(k: int) -> np.ndarray:
    y = RNG.integers(0, k, N)
    y[:k] = np.arange(k)  # sklearn infers the classes from y_true: each must occur
    return y


def _binary_p() -> np.ndarray:
    p = RNG.uniform(0, 1, N)
    p[:3] = [0.0, 1.0, 1e-20]  # clipping at sklearn's eps
    return p


def _positive(n: int = N, k: int | None = None) -> np.ndarray:
    return RNG.uniform(0.1, 5.0, n if k is None else (n, k))


_Y2, _YK, _LAB = _classes(2), _classes(4), np.array([2.0, 5.0, 7.0])
_YLAB = _LAB[_classes(3)]
_T, _P = RNG.normal(size=N), RNG.normal(size=N)
_T2, _P2 = RNG.normal(size=(N, 2)), RNG.normal(size=(N, 2))
_COUNTS = RNG.poisson(2.0, N).astype(float)
_POS_T, _POS_P = _positive(), _positive()


def _tweedie(q: float) -> Callable[..., float]:
    return lambda t, p, **kw: metrics.mean_tweedie_deviance(t, p, power=q, **kw)


#: id → (spec, y_true, y_pred, sklearn(y_true, y_pred, sample_weight) → value)
Case = tuple[str, np.ndarray, np.ndarray, Callable[..., float]]
CASES: dict[str, Case] = {
    "log_loss binary": ("sklearn.log_loss", _Y2, _binary_p(), metrics.log_loss),
    "log_loss multiclass": ("sklearn.log_loss", _YK, _probs(4), metrics.log_loss),
    "log_loss unnormalised rows": (
        "sklearn.log_loss",
        _YK,
        _probs(4) * 0.9,
        lambda t, p, sample_weight=None: metrics.log_loss(t, p, sample_weight=sample_weight),
    ),
    "log_loss labels": (
        "sklearn.log_loss(labels=[7, 2, 5])",
        _YLAB,
        _probs(3),
        lambda t, p, **kw: metrics.log_loss(t, p, labels=[7, 2, 5], **kw),
    ),
    "log_loss one-hot": (
        "sklearn.log_loss",
        np.eye(3)[_classes(3)],
        _probs(3),
        metrics.log_loss,
    ),
    "brier binary": ("sklearn.brier_score", _Y2, _binary_p(), metrics.brier_score_loss),
    "brier pos_label": (
        "sklearn.brier_score(pos_label=0)",
        _Y2,
        _binary_p(),
        lambda t, p, **kw: metrics.brier_score_loss(t, p, pos_label=0, **kw),
    ),
    "brier unscaled": (
        "sklearn.brier_score(scale_by_half=false)",
        _Y2,
        _binary_p(),
        lambda t, p, **kw: metrics.brier_score_loss(t, p, scale_by_half=False, **kw),
    ),
    "brier multiclass": ("sklearn.brier_score", _YK, _probs(4), metrics.brier_score_loss),
    "brier multiclass halved": (
        "sklearn.brier_score(scale_by_half=true)",
        _YK,
        _probs(4),
        lambda t, p, **kw: metrics.brier_score_loss(t, p, scale_by_half=True, **kw),
    ),
    "hinge ±1": ("sklearn.hinge_loss", 2.0 * _Y2 - 1, _T, metrics.hinge_loss),
    "hinge 0/1": ("sklearn.hinge_loss", _Y2, _T, metrics.hinge_loss),
    "hinge multiclass": ("sklearn.hinge_loss", _YK, RNG.normal(size=(N, 4)), metrics.hinge_loss),
    "hinge labels": (
        "sklearn.hinge_loss(labels=[2, 5, 7])",
        _YLAB,
        RNG.normal(size=(N, 3)),
        lambda t, p, **kw: metrics.hinge_loss(t, p, labels=[2, 5, 7], **kw),
    ),
    "zero_one labels": (
        "sklearn.zero_one_loss",
        _YK,
        RNG.integers(0, 4, N),
        metrics.zero_one_loss,
    ),
    "zero_one argmax": (
        "sklearn.zero_one_loss",
        _YK,
        RNG.normal(size=(N, 4)),
        lambda t, p, **kw: metrics.zero_one_loss(t, np.argmax(p, axis=1), **kw),
    ),
    "pinball": ("sklearn.mean_pinball_loss", _T, _P, metrics.mean_pinball_loss),
    "pinball alpha multioutput": (
        "sklearn.mean_pinball_loss(alpha=0.9)",
        _T2,
        _P2,
        lambda t, p, **kw: metrics.mean_pinball_loss(t, p, alpha=0.9, **kw),
    ),
    **{
        f"tweedie power={q}": (
            f"sklearn.mean_tweedie_deviance(power={q})",
            t,
            _POS_P,
            _tweedie(q),
        )
        for q, t in ((-0.5, _T), (0, _T), (1, _COUNTS), (1.5, _COUNTS), (2, _POS_T), (3, _POS_T))
    },
    "poisson": ("sklearn.mean_poisson_deviance", _COUNTS, _POS_P, metrics.mean_poisson_deviance),
    "gamma": ("sklearn.mean_gamma_deviance", _POS_T, _POS_P, metrics.mean_gamma_deviance),
}

#: batch-level metrics: no sample weights here
BATCH: dict[str, Case] = {
    "median": ("sklearn.median_absolute_error", _T, _P, metrics.median_absolute_error),
    "median multioutput": (
        "sklearn.median_absolute_error",
        _T2,
        _P2,
        metrics.median_absolute_error,
    ),
    "max_error": ("sklearn.max_error", _T, _P, metrics.max_error),
    "d2_tweedie": ("sklearn.d2_tweedie_score", _T, _P, metrics.d2_tweedie_score),
    "d2_tweedie power": (
        "sklearn.d2_tweedie_score(power=1.5)",
        _COUNTS,
        _POS_P,
        lambda t, p: metrics.d2_tweedie_score(t, p, power=1.5),
    ),
    "d2_pinball": (
        "sklearn.d2_pinball_score(alpha=0.3)",
        _T2,
        _P2,
        lambda t, p: metrics.d2_pinball_score(t, p, alpha=0.3),
    ),
    "d2_absolute": ("sklearn.d2_absolute_error_score", _T2, _P2, metrics.d2_absolute_error_score),
    "d2_log_loss": ("sklearn.d2_log_loss_score", _YK, _probs(4), metrics.d2_log_loss_score),
    "d2_log_loss binary labels": (
        "sklearn.d2_log_loss_score(labels=[0, 1])",
        _Y2,
        _binary_p(),
        lambda t, p: metrics.d2_log_loss_score(t, p, labels=[0, 1]),
    ),
    "d2_brier binary": ("sklearn.d2_brier_score", _Y2, _binary_p(), metrics.d2_brier_score),
    "d2_brier pos_label": (
        "sklearn.d2_brier_score(pos_label=0)",
        _Y2,
        _binary_p(),
        lambda t, p: metrics.d2_brier_score(t, p, pos_label=0),
    ),
    "d2_brier multiclass": ("sklearn.d2_brier_score", _YK, _probs(4), metrics.d2_brier_score),
    "d2_absolute odd rows": (
        "sklearn.d2_absolute_error_score",
        _T[:-1],
        _P[:-1],
        metrics.d2_absolute_error_score,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_per_sample_metrics_match_sklearn_in_every_reduction(case: str) -> None:
    spec, t, p, sk = CASES[case]
    w = RNG.uniform(0.0, 2.0, len(t))
    want = sk(t, p)
    weighted = sk(t, p, sample_weight=w)
    assert value(spec, t, p) == pytest.approx(want, rel=1e-12, abs=1e-14)
    assert value(spec, t, p, reduction="mean") == pytest.approx(want, rel=1e-12, abs=1e-14)
    assert value(spec, t, p, w, reduction="mean_with_sample_weight") == pytest.approx(
        weighted, rel=1e-12, abs=1e-14
    )
    assert value(spec, t, p, w, reduction="sum") == pytest.approx(
        weighted * w.sum(), rel=1e-12, abs=1e-13
    )
    per_row = value(spec, t, p, reduction="none")
    assert per_row.shape == (len(t),)
    assert per_row.mean() == pytest.approx(want, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("case", sorted(BATCH))
def test_batch_level_metrics_match_sklearn(case: str) -> None:
    spec, t, p, sk = BATCH[case]
    assert value(spec, t, p) == pytest.approx(sk(t, p), rel=1e-12, abs=1e-14)
    # streamed in small batches, the file is still one batch
    from losscli.engine import evaluate_arrays

    got = evaluate_arrays(spec, t, p, batch_size=5)[0].value
    assert got == pytest.approx(sk(t, p), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("case", sorted(CASES) + sorted(BATCH))
def test_every_metric_from_a_file_through_the_cli(case: str, tmp_path: Path) -> None:
    spec, t, p, sk = CASES.get(case) or BATCH[case]
    got = cli_value(tmp_path, spec, t, p, "--batch-size", "5")
    assert got["value"] == pytest.approx(sk(t, p), rel=1e-12, abs=1e-14)


def test_log_loss_sum_is_sklearn_normalize_false() -> None:
    p = _probs(4)
    got = value("sklearn.log_loss", _YK, p, reduction="sum")
    assert got == pytest.approx(metrics.log_loss(_YK, p, normalize=False), rel=1e-12)


def test_zero_one_sum_is_the_count_sklearn_gives() -> None:
    y_pred = RNG.integers(0, 4, N)
    got = value("sklearn.zero_one_loss", _YK, y_pred, reduction="sum")
    assert got == metrics.zero_one_loss(_YK, y_pred, normalize=False)


@pytest.mark.parametrize(
    ("spec", "t", "p", "message"),
    [
        ("sklearn.log_loss", _YK, _probs(4) * 2, "outside [0, 1]"),
        ("sklearn.log_loss", _YK + 10, _probs(4), "not a class index"),
        ("sklearn.log_loss(labels=[1, 2, 3, 4])", _YK, _probs(4), "not one of labels"),
        ("sklearn.mean_gamma_deviance", -_POS_T, _POS_P, "strictly positive"),
        ("sklearn.mean_poisson_deviance", _COUNTS, -_POS_P, "strictly positive y_pred"),
        ("sklearn.max_error", _T2, _P2, "one output per row"),
        ("sklearn.mean_tweedie_deviance", _T2, _P2, "one output per row"),
    ],
)
def test_inputs_sklearn_refuses_are_refused(spec: str, t: Any, p: Any, message: str) -> None:
    from losscli.errors import InputDataError

    with pytest.raises(InputDataError, match=re.escape(message)):
        value(spec, t, p)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sklearn.mean_tweedie_deviance(power=0.5)", "power must be"),
        ("sklearn.mean_pinball_loss(alpha=1.5)", "alpha must be"),
    ],
)
def test_bad_parameters_are_usage_errors(spec: str, message: str) -> None:
    from losscli.errors import UsageError

    with pytest.raises(UsageError, match=message):
        value(spec, _T, _P)


# ------------------------------------------------------------------------------ files, CLI


def test_cli_log_loss_from_probability_columns(tmp_path: Path) -> None:
    p = _probs(4)
    w = RNG.uniform(0.5, 2.0, N)
    path = write(tmp_path / "p.parquet", {"y_true": _YK, "p": p, "sample_weight": w})
    got = cli("sklearn.log_loss", str(path), "--y-pred", "p_*", "--sample-weight", "none")
    assert got["value"] == pytest.approx(metrics.log_loss(_YK, p), rel=1e-12)
    got = cli("sklearn.log_loss", str(path), "--y-pred", "p_*", "-r", "mean_with_sample_weight")
    assert got["value"] == pytest.approx(metrics.log_loss(_YK, p, sample_weight=w), rel=1e-12)


def test_cli_regression_metrics_from_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "y_true,y_pred\n"
        + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(_T, _P, strict=True))
    )
    for spec, want in [
        ("sklearn.mean_pinball_loss(alpha=0.25)", metrics.mean_pinball_loss(_T, _P, alpha=0.25)),
        ("sklearn.median_absolute_error", metrics.median_absolute_error(_T, _P)),
        ("sklearn.d2_tweedie_score", metrics.d2_tweedie_score(_T, _P)),
        ("sklearn.max_error", metrics.max_error(_T, _P)),
    ]:
        got = cli(spec, str(path), "--batch-size", "7")
        assert got["value"] == pytest.approx(want, rel=1e-12), spec


def test_cli_batch_level_refuses_weights_and_other_reductions(tmp_path: Path) -> None:
    path = write(tmp_path / "r.parquet", {"y_true": _T, "y_pred": _P, "sample_weight": _POS_T})
    code, err = cli_error("sklearn.max_error", str(path))
    assert code == 2 and "takes no sample weights" in err and "--sample-weight none" in err
    code, err = cli_error("sklearn.max_error", str(path), "--sample-weight", "none", "-r", "sum")
    assert code == 2 and "has no meaning" in err


def test_cli_batch_level_states_its_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from losscli.losses import _batch

    monkeypatch.setattr(_batch, "MAX_ROWS", 10)
    path = write(tmp_path / "r.parquet", {"y_true": _T, "y_pred": _P})
    code, err = cli_error("sklearn.median_absolute_error", str(path))
    assert code == 3 and "at most 10 rows" in err


@pytest.mark.parametrize("option", ["--top", "--per-sample"])
def test_cli_batch_level_refuses_per_row_breakdowns(tmp_path: Path, option: str) -> None:
    path = write(tmp_path / "r.parquet", {"y_true": _T, "y_pred": _P, "g": _Y2})
    argument = "3" if option == "--top" else str(tmp_path / "rows.csv")
    code, err = cli_error("sklearn.max_error", str(path), option, argument)
    assert code == 2 and "one value for the whole batch" in err


def test_cli_group_by_makes_each_group_the_batch(tmp_path: Path) -> None:
    groups = np.arange(N) % 3
    path = write(tmp_path / "r.parquet", {"y_true": _T, "y_pred": _P, "g": groups})
    spec = "sklearn.median_absolute_error,sklearn.d2_tweedie_score,sklearn.mean_pinball_loss"
    result = runner.invoke(
        app, ["eval", spec, str(path), "--group-by", "g", "--batch-size", "4", "-f", "json"]
    )
    assert result.exit_code == 0, result.stderr
    for group in json.loads(result.stdout)["groups"]["values"]:
        rows = groups == group["key"]
        t, p = _T[rows], _P[rows]
        got = [r["value"] for r in group["results"]]
        want = [
            metrics.median_absolute_error(t, p),
            metrics.d2_tweedie_score(t, p),
            metrics.mean_pinball_loss(t, p),
        ]
        assert got == pytest.approx(want, rel=1e-12)

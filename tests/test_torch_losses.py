"""torch.* losses against torch itself: every loss, its parameters, torch's three reductions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from family_files import cli, cli_error, cli_value, runner, value, write
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.cli import app
from losscli.engine import evaluate_arrays

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:reduction. .mean. divides:UserWarning")
F = torch.nn.functional
N, C, D = 23, 4, 3
RNG = np.random.default_rng(11)

# torch's reduction → losscli's
REDUCTIONS = {"mean": "sum_over_batch_size", "sum": "sum", "none": "none"}


def _t(x: Any) -> Any:
    return torch.as_tensor(np.asarray(x), dtype=torch.float64)


def _idx(x: Any) -> Any:
    return torch.as_tensor(np.asarray(x), dtype=torch.long)


def _probs(n: int = N, k: int = C) -> np.ndarray:
    p = RNG.uniform(0.01, 1.0, (n, k))
    return p / p.sum(axis=1, keepdims=True)


_X, _Y = RNG.normal(size=(N, C)), RNG.normal(size=(N, C))
_X1, _Y1 = RNG.normal(size=N) * 2, RNG.normal(size=N) * 2
_CLS = RNG.integers(0, C, N)
_CLS_IGN = np.where(RNG.uniform(size=N) < 0.3, -100, _CLS)
_CLS_IGN7 = np.where(RNG.uniform(size=N) < 0.3, 7, _CLS)
_SIGN = RNG.choice([-1.0, 1.0], N)
_SIGN_C = RNG.choice([-1.0, 1.0], (N, C))
_BIN = RNG.integers(0, 2, (N, C)).astype(float)
_P01 = RNG.uniform(0, 1, (N, C))
_P01[0, :2] = [0.0, 1.0]  # torch clamps the logs at -100
_COUNTS = RNG.poisson(3.0, (N, C)).astype(float)
_W = [0.5, 2.0, 1.0, 3.0]
_VAR = RNG.uniform(0.0, 2.0, (N, D))
_VAR[0, 0] = 1e-9  # clamped to eps
_TRUE_D, _MEAN_D = RNG.normal(size=(N, D)), RNG.normal(size=(N, D))
_ML = np.full((N, C), -1.0)
for _i in range(N):
    _k = RNG.integers(0, C)
    _ML[_i, :_k] = RNG.permutation(C)[:_k]
_A, _POS, _NEG = (RNG.normal(size=(N, D)) for _ in range(3))


def _ml_margin(t: Any, p: Any, **kw: Any) -> Any:
    return F.multilabel_margin_loss(p, t.long(), **kw)


#: id → (spec, y_true, y_pred, torch(y_true tensor, y_pred tensor, reduction=...) → tensor)
Case = tuple[str, np.ndarray, np.ndarray, Callable[..., Any]]
CASES: dict[str, Case] = {
    "l1 vector": ("torch.l1", _Y, _X, lambda t, p, **kw: F.l1_loss(p, t, **kw)),
    "l1 scalar": ("torch.l1", _Y1, _X1, lambda t, p, **kw: F.l1_loss(p, t, **kw)),
    "mse": ("torch.mse", _Y, _X, lambda t, p, **kw: F.mse_loss(p, t, **kw)),
    "smooth_l1": ("torch.smooth_l1", _Y, _X, lambda t, p, **kw: F.smooth_l1_loss(p, t, **kw)),
    "smooth_l1 beta": (
        "torch.smooth_l1(beta=0.3)",
        _Y1,
        _X1,
        lambda t, p, **kw: F.smooth_l1_loss(p, t, beta=0.3, **kw),
    ),
    "smooth_l1 beta 0": (
        "torch.smooth_l1(beta=0)",
        _Y,
        _X,
        lambda t, p, **kw: F.smooth_l1_loss(p, t, beta=0.0, **kw),
    ),
    "huber": ("torch.huber", _Y, _X, lambda t, p, **kw: F.huber_loss(p, t, **kw)),
    "huber delta": (
        "torch.huber(delta=0.4)",
        _Y1,
        _X1,
        lambda t, p, **kw: F.huber_loss(p, t, delta=0.4, **kw),
    ),
    "nll": ("torch.nll", _CLS, np.log(_probs()), lambda t, p, **kw: F.nll_loss(p, t.long(), **kw)),
    "nll weight ignore": (
        "torch.nll(weight=[0.5, 2, 1, 3], ignore_index=-100)",
        _CLS_IGN,
        np.log(_probs()),
        lambda t, p, **kw: F.nll_loss(p, t.long(), weight=_t(_W), **kw),
    ),
    "cross_entropy indices": (
        "torch.cross_entropy",
        _CLS,
        _X,
        lambda t, p, **kw: F.cross_entropy(p, t.long(), **kw),
    ),
    "cross_entropy weight": (
        "torch.cross_entropy(weight=[0.5, 2, 1, 3])",
        _CLS,
        _X,
        lambda t, p, **kw: F.cross_entropy(p, t.long(), weight=_t(_W), **kw),
    ),
    "cross_entropy ignore_index": (
        "torch.cross_entropy(ignore_index=7)",
        _CLS_IGN7,
        _X,
        lambda t, p, **kw: F.cross_entropy(p, t.long(), ignore_index=7, **kw),
    ),
    "cross_entropy all": (
        "torch.cross_entropy(weight=[0.5, 2, 0, 3], ignore_index=-100, label_smoothing=0.2)",
        _CLS_IGN,
        _X,
        lambda t, p, **kw: F.cross_entropy(
            p, t.long(), weight=_t([0.5, 2, 0, 3]), label_smoothing=0.2, **kw
        ),
    ),
    "cross_entropy smoothing": (
        "torch.cross_entropy(label_smoothing=0.1)",
        _CLS,
        _X,
        lambda t, p, **kw: F.cross_entropy(p, t.long(), label_smoothing=0.1, **kw),
    ),
    "cross_entropy probabilities": (
        "torch.cross_entropy(weight=[0.5, 2, 1, 3], label_smoothing=0.3)",
        _probs(),
        _X,
        lambda t, p, **kw: F.cross_entropy(p, t, weight=_t(_W), label_smoothing=0.3, **kw),
    ),
    "bce": ("torch.bce", _BIN, _P01, lambda t, p, **kw: F.binary_cross_entropy(p, t, **kw)),
    "bce weight": (
        "torch.bce(weight=[0.5, 2, 1, 3])",
        _P01[::-1].copy(),
        _P01,
        lambda t, p, **kw: F.binary_cross_entropy(p, t, weight=_t(_W), **kw),
    ),
    "bce_with_logits": (
        "torch.bce_with_logits",
        _BIN,
        _X * 20,
        lambda t, p, **kw: F.binary_cross_entropy_with_logits(p, t, **kw),
    ),
    "bce_with_logits weights": (
        "torch.bce_with_logits(pos_weight=[1, 2, 3, 4], weight=[0.5, 2, 1, 3])",
        _P01,
        _X,
        lambda t, p, **kw: F.binary_cross_entropy_with_logits(
            p, t, pos_weight=_t([1, 2, 3, 4]), weight=_t(_W), **kw
        ),
    ),
    "poisson_nll": (
        "torch.poisson_nll",
        _COUNTS,
        _X,
        lambda t, p, **kw: F.poisson_nll_loss(p, t, **kw),
    ),
    "poisson_nll rates full": (
        "torch.poisson_nll(log_input=false, full=true, eps=1e-6)",
        _COUNTS,
        np.abs(_X),
        lambda t, p, **kw: F.poisson_nll_loss(p, t, log_input=False, full=True, eps=1e-6, **kw),
    ),
    "gaussian_nll": (
        "torch.gaussian_nll",
        _TRUE_D,
        np.hstack([_MEAN_D, _VAR]),
        lambda t, p, **kw: F.gaussian_nll_loss(p[:, :D], t, p[:, D:], **kw),
    ),
    "gaussian_nll one variance full": (
        "torch.gaussian_nll(full=true, eps=0.01)",
        _TRUE_D,
        np.hstack([_MEAN_D, _VAR[:, :1]]),
        lambda t, p, **kw: F.gaussian_nll_loss(p[:, :D], t, p[:, D:], full=True, eps=0.01, **kw),
    ),
    "kl_div": (
        "torch.kl_div",
        _probs(),
        np.log(_probs()),
        lambda t, p, **kw: F.kl_div(p, t, **kw),
    ),
    "kl_div log_target": (
        "torch.kl_div(log_target=true)",
        np.log(_probs()),
        np.log(_probs()),
        lambda t, p, **kw: F.kl_div(p, t, log_target=True, **kw),
    ),
    "margin_ranking": (
        "torch.margin_ranking(margin=0.5)",
        _SIGN,
        np.stack([_X1, _Y1], axis=1),
        lambda t, p, **kw: F.margin_ranking_loss(p[:, 0], p[:, 1], t, margin=0.5, **kw),
    ),
    "hinge_embedding": (
        "torch.hinge_embedding(margin=2)",
        _SIGN_C,
        np.abs(_X),
        lambda t, p, **kw: F.hinge_embedding_loss(p, t, margin=2.0, **kw),
    ),
    "soft_margin": (
        "torch.soft_margin",
        _SIGN_C,
        _X,
        lambda t, p, **kw: F.soft_margin_loss(p, t, **kw),
    ),
    "multilabel_soft_margin": (
        "torch.multilabel_soft_margin(weight=[0.5, 2, 1, 3])",
        _BIN,
        _X,
        lambda t, p, **kw: F.multilabel_soft_margin_loss(p, t, weight=_t(_W), **kw),
    ),
    "multilabel_margin": ("torch.multilabel_margin", _ML, _X, _ml_margin),
    "multi_margin": (
        "torch.multi_margin",
        _CLS,
        _X,
        lambda t, p, **kw: F.multi_margin_loss(p, t.long(), **kw),
    ),
    "multi_margin p2 weight": (
        "torch.multi_margin(p=2, margin=0.7, weight=[0.5, 2, 1, 3])",
        _CLS,
        _X,
        lambda t, p, **kw: F.multi_margin_loss(p, t.long(), p=2, margin=0.7, weight=_t(_W), **kw),
    ),
    "cosine_embedding": (
        "torch.cosine_embedding(margin=0.2)",
        _SIGN,
        np.hstack([_A, _POS]),
        lambda t, p, **kw: F.cosine_embedding_loss(p[:, :D], p[:, D:], t, margin=0.2, **kw),
    ),
    "triplet_margin": (
        "torch.triplet_margin",
        _A,
        np.hstack([_POS, _NEG]),
        lambda t, p, **kw: F.triplet_margin_loss(t, p[:, :D], p[:, D:], **kw),
    ),
    "triplet_margin p1 swap": (
        "torch.triplet_margin(margin=0.5, p=1, eps=0.001, swap=true)",
        _A,
        np.hstack([_POS, _NEG]),
        lambda t, p, **kw: F.triplet_margin_loss(
            t, p[:, :D], p[:, D:], margin=0.5, p=1, eps=0.001, swap=True, **kw
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("reduction", sorted(REDUCTIONS))
def test_matches_torch(case: str, reduction: str) -> None:
    spec, t, p, fn = CASES[case]
    want = fn(_t(t), _t(p), reduction=reduction).numpy()
    got = value(spec, t, p, reduction=REDUCTIONS[reduction])
    if reduction == "none":
        np.testing.assert_allclose(
            np.asarray(got).reshape(want.shape), want, rtol=1e-12, atol=1e-14
        )
    else:
        assert got == pytest.approx(float(want), rel=1e-12, abs=1e-14), case


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_loss_from_a_file_through_the_cli(case: str, tmp_path: Path) -> None:
    spec, t, p, fn = CASES[case]
    got = cli_value(tmp_path, spec, t, p, "--batch-size", "5")
    assert got["value"] == pytest.approx(float(fn(_t(t), _t(p), reduction="mean")), rel=1e-12)


def test_batch_size_does_not_change_the_weighted_mean() -> None:
    spec, t, p, fn = CASES["cross_entropy all"]
    from losscli.engine import evaluate_arrays

    want = float(fn(_t(t), _t(p), reduction="mean"))
    assert evaluate_arrays(spec, t, p, batch_size=4)[0].value == pytest.approx(want, rel=1e-13)


def test_kl_div_batchmean() -> None:
    t, x = _probs(), np.log(_probs())
    want = float(F.kl_div(_t(x), _t(t), reduction="batchmean"))
    assert value("torch.kl_div(batchmean=true)", t, x) == pytest.approx(want, rel=1e-12)


def test_torch_huber_is_not_keras_huber_on_vectors() -> None:
    assert value("torch.huber", _Y, _X) != pytest.approx(value("huber", _Y, _X) / C)
    assert value("torch.huber", _Y, _X) == pytest.approx(value("huber", _Y, _X), rel=1e-12)
    assert value("torch.huber", _Y, _X, reduction="sum") == pytest.approx(
        value("huber", _Y, _X, reduction="sum") * C, rel=1e-12
    )


@pytest.mark.parametrize(
    ("spec", "t", "p", "message"),
    [
        ("torch.cross_entropy", _CLS + C, _X, "is not in 0..3"),
        ("torch.cross_entropy(weight=[1, 2])", _CLS, _X, "weight has 2 values"),
        ("torch.bce", _BIN, _X, "outside [0, 1]"),
        ("torch.gaussian_nll", _TRUE_D, _MEAN_D, "means then 3 variances"),
        ("torch.gaussian_nll", _TRUE_D, np.hstack([_MEAN_D, -_VAR]), "negative"),
        ("torch.triplet_margin", _A, np.hstack([_POS, _NEG[:, :2]]), "multiple of 2"),
        ("torch.margin_ranking", _SIGN, _X, "two columns"),
    ],
)
def test_inputs_torch_refuses_are_refused(spec: str, t: Any, p: Any, message: str) -> None:
    import re

    from losscli.errors import InputDataError

    with pytest.raises(InputDataError, match=re.escape(message)):
        value(spec, t, p)


# ------------------------------------------------------------------------------ files, CLI


def test_cli_cross_entropy_with_class_weights_from_a_file(tmp_path: Path) -> None:
    path = write(tmp_path / "p.parquet", {"label": _CLS_IGN, "logit": _X})
    spec = "torch.cross_entropy(weight=[0.5, 2, 1, 3])"
    for reduction, torch_reduction in (("sum_over_batch_size", "mean"), ("sum", "sum")):
        got = cli(spec, str(path), "--y-true", "label", "--y-pred", "logit_*", "-r", reduction)
        want = F.cross_entropy(_t(_X), _idx(_CLS_IGN), weight=_t(_W), reduction=torch_reduction)
        assert got["value"] == pytest.approx(float(want), rel=1e-12)


def test_cli_extra_inputs_as_column_groups(tmp_path: Path) -> None:
    path = write(
        tmp_path / "e.parquet",
        {"y": _TRUE_D, "mu": _MEAN_D, "var": _VAR, "a": _A, "pos": _POS, "neg": _NEG, "s": _SIGN},
    )
    got = cli("torch.gaussian_nll", str(path), "--y-true", "y_*", "--y-pred", "mu_*,var_*")
    want = F.gaussian_nll_loss(_t(_MEAN_D), _t(_TRUE_D), _t(_VAR))
    assert got["value"] == pytest.approx(float(want), rel=1e-12)
    got = cli("torch.triplet_margin", str(path), "--y-true", "a_*", "--y-pred", "pos_*,neg_*")
    want = F.triplet_margin_loss(_t(_A), _t(_POS), _t(_NEG))
    assert got["value"] == pytest.approx(float(want), rel=1e-12)
    got = cli("torch.cosine_embedding", str(path), "--y-true", "s", "--y-pred", "a_*,pos_*")
    want = F.cosine_embedding_loss(_t(_A), _t(_POS), _t(_SIGN))
    assert got["value"] == pytest.approx(float(want), rel=1e-12)


def test_cli_elementwise_none_gives_torchs_elementwise_values(tmp_path: Path) -> None:
    path = write(tmp_path / "v.parquet", {"t": _Y, "p": _X})
    got = cli("torch.mse", str(path), "--y-true", "t_*", "--y-pred", "p_*", "-r", "none")
    want = F.mse_loss(_t(_X), _t(_Y), reduction="none").numpy()
    np.testing.assert_allclose(np.asarray(got["values"]), want, rtol=1e-12)


def test_cli_refuses_a_bad_label_with_its_row(tmp_path: Path) -> None:
    labels = _CLS.copy()
    labels[5] = 9
    path = write(tmp_path / "b.parquet", {"label": labels, "logit": _X})
    code, err = cli_error("torch.nll", str(path), "--y-true", "label", "--y-pred", "logit_*")
    assert code == 3 and "class index 9 is not in 0..3" in err


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 30),
    classes=st.integers(2, 5),
    smoothing=st.sampled_from([0.0, 0.25]),
    batch=st.integers(1, 8),
    seed=st.integers(0, 2**16),
)
def test_weighted_cross_entropy_matches_torch_whatever_the_batches(
    n: int, classes: int, smoothing: float, batch: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, classes)) * 3
    labels = np.where(rng.uniform(size=n) < 0.2, -100, rng.integers(0, classes, n))
    weight = rng.uniform(0.0, 2.0, classes).round(3).tolist()
    spec = f"torch.cross_entropy(weight={weight}, label_smoothing={smoothing})"
    kept = labels != -100
    for reduction, ours in REDUCTIONS.items():
        want = F.cross_entropy(
            _t(logits),
            _idx(labels),
            weight=_t(weight),
            label_smoothing=smoothing,
            reduction=reduction,
        ).numpy()
        got = evaluate_arrays(spec, labels, logits, reduction=ours, batch_size=batch)[0]
        if reduction == "none":
            np.testing.assert_allclose(got.values, want, rtol=1e-12, atol=1e-14)
        elif reduction == "mean" and not kept.any():
            assert got.value == 0.0  # torch gives NaN (0/0); losscli's masked mean of nothing is 0
        else:
            assert got.value == pytest.approx(float(want), rel=1e-11, abs=1e-14)


def test_group_by_weighted_cross_entropy_equals_each_group_alone(tmp_path: Path) -> None:
    groups = np.arange(N) % 3
    path = write(tmp_path / "g.parquet", {"label": _CLS_IGN, "logit": _X, "g": groups})
    spec = "torch.cross_entropy(weight=[0.5, 2, 1, 3])"
    result = runner.invoke(
        app,
        [
            "eval",
            spec,
            str(path),
            "--y-true",
            "label",
            "--y-pred",
            "logit_*",
            "--group-by",
            "g",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    groups_out = json.loads(result.stdout)["groups"]["values"]
    assert len(groups_out) == 3
    for group in groups_out:
        rows = groups == int(group["key"])
        want = F.cross_entropy(_t(_X[rows]), _idx(_CLS_IGN[rows]), weight=_t(_W))
        assert group["results"][0]["value"] == pytest.approx(float(want), rel=1e-12)

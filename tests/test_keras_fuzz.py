"""Differential fuzz: every registered built-in loss against Keras 3.15.1.

For each built-in loss (read from the registry, so a new loss cannot escape: it fails
`test_every_builtin_has_a_strategy` until it gets one here), hypothesis draws valid
parameters, shapes (N, 1) and (N, K), nasty values (exact 0 and 1, the clip bounds
1e-7 and 1 - 1e-7, denormals, large values, y_true == y_pred, all-zero rows), a
reduction, sample weights (with zeros) or none, a batch size and a dtype, and checks

* the direct per-sample call `losscli.get(name)(y_true, y_pred, **params)` and
* the streamed, reduced `evaluate_arrays(...)`

against Keras on its numpy backend (made to compute in float64 by the oracle).

Where the numpy backend is not Keras's exact math (from_logits=True saturates through
clipped probabilities; losscli follows TensorFlow/JAX), large logits are compared with
Keras on JAX instead, in one batched subprocess (`test_large_logits_match_keras_jax`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keras_oracle import _configure, keras_jax, keras_loss

from losscli.engine import evaluate_arrays
from losscli.registry import BoundLoss, get, list_losses

DTYPES = ("float64", "float32")
REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")
RTOL = {"float64": 1e-10, "float32": 1e-5}
ATOL = {"float64": 1e-12, "float32": 1e-6}

#: LOSSCLI_FUZZ_EXAMPLES=2000 LOSSCLI_FUZZ_RANDOM=1 explores further than CI does
FUZZ = settings(
    max_examples=int(os.environ.get("LOSSCLI_FUZZ_EXAMPLES", "20")),
    deadline=None,
    derandomize=not os.environ.get("LOSSCLI_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ------------------------------------------------------------------------------ values

#: exact 0 and 1, the clip bounds, float64 and float32 denormals, tiny and near-1 values
PROB_EDGES = (0.0, 1.0, 1e-7, 1 - 1e-7, 5e-324, 1e-310, 1e-40, 1e-8, 1 - 1e-8, 0.5, 1e-300)
REAL_EDGES = (0.0, -0.0, 1.0, -1.0, 5e-324, -1e-310, 1e-40, 1e-7, 50.0, -50.0, 1000.0, -1000.0)
#: logits the numpy backend turns into probabilities without reaching the clip bounds
SMALL_LOGIT = 5.0

#: values that overflow, are not finite, or lie outside [0, 1]: drawn now and then
WILD = (np.inf, -np.inf, np.nan, 1e200, -1e200, 3e38, -3e38, 1e-45, 1e20)
WILD_PROBS = (-0.5, 1.5, -1e-7, 1 + 1e-7, 2.0, np.nan, np.inf, 1e20)

probs = st.one_of(
    st.sampled_from(PROB_EDGES),
    st.floats(0, 1, allow_subnormal=False),
    st.sampled_from(WILD_PROBS),
)
reals = st.one_of(
    st.sampled_from(REAL_EDGES),
    st.floats(-100, 100, allow_subnormal=False, width=32),
    st.sampled_from(WILD),
)
small_logits = st.one_of(
    st.sampled_from((0.0, -SMALL_LOGIT, SMALL_LOGIT, 1e-7)),
    st.floats(-SMALL_LOGIT, SMALL_LOGIT, allow_subnormal=False),
)
counts = st.one_of(st.integers(0, 6).map(float), st.floats(0, 10, allow_subnormal=False))
unit = st.floats(0, 1, allow_subnormal=False)


@dataclass
class Case:
    """One drawn input: losscli parameters, the Keras class's keyword arguments, arrays."""

    params: dict[str, Any]
    y_true: np.ndarray
    y_pred: np.ndarray
    keras_params: dict[str, Any] = field(default_factory=dict)
    #: rows the engine must keep together (Circle batch sizes are free too)
    min_rows: int = 1


def _matrix(
    draw: st.DrawFn, elements: st.SearchStrategy[float], rows: int, cols: int
) -> np.ndarray:
    flat = draw(st.lists(elements, min_size=rows * cols, max_size=rows * cols))
    return np.asarray(flat, dtype=np.float64).reshape(rows, cols)


def _shape(draw: st.DrawFn, min_cols: int = 1) -> tuple[int, int]:
    rows = draw(st.integers(1, 7))
    cols = draw(st.sampled_from((1, draw(st.integers(max(min_cols, 2), 5)))))
    return rows, max(cols, min_cols)


def _nasty(
    draw: st.DrawFn, t: np.ndarray, p: np.ndarray, same: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Sometimes y_pred == y_true, sometimes a row of zeros in one or both."""
    if same and draw(st.integers(0, 5)) == 0:
        p = t.copy()
    if draw(st.integers(0, 4)) == 0:
        row = draw(st.integers(0, len(t) - 1))
        which = draw(st.sampled_from(("true", "pred", "both")))
        if which in ("true", "both"):
            t = t.copy()
            t[row] = 0.0
        if which in ("pred", "both"):
            p = p.copy()
            p[row] = 0.0
    return t, p


def _one_hot(draw: st.DrawFn, rows: int, cols: int) -> np.ndarray:
    labels = draw(st.lists(st.integers(0, cols - 1), min_size=rows, max_size=rows))
    return np.eye(cols)[labels]


def _labels(draw: st.DrawFn, rows: int, cols: int) -> np.ndarray:
    """Class indices, sometimes with a fraction Keras's int cast truncates away."""
    labels = np.asarray(
        draw(st.lists(st.integers(0, cols - 1), min_size=rows, max_size=rows)), dtype=np.float64
    )
    if draw(st.integers(0, 3)) == 0:
        labels = labels + np.asarray(
            draw(st.lists(st.sampled_from((0.0, 0.5, 0.99)), min_size=rows, max_size=rows))
        )
    return labels[:, None]


def _axis(draw: st.DrawFn, cols: int) -> int:
    return draw(st.sampled_from((-1, 1)))


def _regression(draw: st.DrawFn, params: dict[str, Any] | None = None) -> Case:
    rows, cols = _shape(draw)
    t, p = _nasty(draw, _matrix(draw, reals, rows, cols), _matrix(draw, reals, rows, cols))
    return Case(params or {}, t, p)


def _huber(draw: st.DrawFn) -> Case:
    delta = draw(st.one_of(st.sampled_from((1.0, 0.5, 1e-3, 2.5, 100.0)), st.floats(1e-3, 10)))
    return _regression(draw, {"delta": delta})


def _cosine(draw: st.DrawFn) -> Case:
    rows, cols = _shape(draw)
    # norms below 1e-7 differ between Keras's backends: see test_tiny_norms_match_keras_jax
    big = st.one_of(st.sampled_from((0.0, 1.0, -1.0, 1e-3, 50.0, -1000.0)), st.floats(-100, 100))
    t, p = _nasty(draw, _matrix(draw, big, rows, cols), _matrix(draw, big, rows, cols))
    t, p = (np.where(np.abs(a) < 1e-3, 0.0, a) for a in (t, p))
    return Case({"axis": _axis(draw, cols)}, t, p)


def _probabilities(draw: st.DrawFn) -> Case:
    rows, cols = _shape(draw)
    t, p = _nasty(draw, _matrix(draw, probs, rows, cols), _matrix(draw, probs, rows, cols))
    return Case({}, t, p)


def _poisson(draw: st.DrawFn) -> Case:
    rows, cols = _shape(draw)
    rates = st.one_of(st.sampled_from((0.0, 1e-7, 5e-324, 1.0, 1000.0)), counts)
    t, p = _nasty(draw, _matrix(draw, counts, rows, cols), _matrix(draw, rates, rows, cols))
    return Case({}, t, p)


def _signed(draw: st.DrawFn) -> Case:
    rows, cols = _shape(draw)
    kind = draw(st.sampled_from(((-1.0, 1.0), (0.0, 1.0), (-1.0, 0.0, 1.0, 0.5))))
    t = _matrix(draw, st.sampled_from(kind), rows, cols)
    p = _matrix(draw, reals, rows, cols)
    return Case({}, *_nasty(draw, t, p))


def _categorical_hinge(draw: st.DrawFn) -> Case:
    rows, cols = _shape(draw)
    t = _one_hot(draw, rows, cols) if draw(st.booleans()) else _matrix(draw, reals, rows, cols)
    return Case({}, *_nasty(draw, t, _matrix(draw, reals, rows, cols)))


#: labels for from_logits=True, where Keras's numpy backend and exact math round apart:
#: out-of-range labels like 1e20 amplify that difference past any tolerance
in_range = st.one_of(st.sampled_from(PROB_EDGES), unit)


def _binary_targets(draw: st.DrawFn, rows: int, cols: int, from_logits: bool = False) -> np.ndarray:
    soft = in_range if from_logits else probs
    return _matrix(draw, st.sampled_from((0.0, 1.0)) if draw(st.booleans()) else soft, rows, cols)


def _smoothing(draw: st.DrawFn) -> float:
    return draw(st.one_of(st.sampled_from((0.0, 0.1, 0.5, 1.0)), unit))


def _bce(draw: st.DrawFn) -> Case:
    rows, cols = _shape(draw)
    from_logits = draw(st.booleans())
    t = _binary_targets(draw, rows, cols, from_logits)
    p = _matrix(draw, small_logits if from_logits else probs, rows, cols)
    t, p = _nasty(draw, t, p, same=not from_logits)
    params = {
        "from_logits": from_logits,
        "label_smoothing": _smoothing(draw),
        "axis": _axis(draw, cols),
    }
    return Case(params, t, p)


def _gamma(draw: st.DrawFn) -> float:
    return draw(st.one_of(st.sampled_from((0.0, 1.0, 2.0, 0.5, 3.0)), st.floats(0, 5)))


def _binary_focal(draw: st.DrawFn) -> Case:
    rows, cols = _shape(draw)
    from_logits = draw(st.booleans())
    # focal losses turn logits into clipped probabilities in every backend: large ones too
    logits = st.one_of(st.sampled_from((50.0, -50.0, 1000.0, -1000.0, 16.2, -16.2)), reals)
    t = _binary_targets(draw, rows, cols)
    p = _matrix(draw, logits if from_logits else probs, rows, cols)
    t, p = _nasty(draw, t, p, same=not from_logits)
    params = {
        "apply_class_balancing": draw(st.booleans()),
        "alpha": draw(st.one_of(st.sampled_from((0.25, 0.0, 1.0)), unit)),
        "gamma": _gamma(draw),
        "from_logits": from_logits,
        "label_smoothing": _smoothing(draw),
        "axis": _axis(draw, cols),
    }
    return Case(params, t, p)


def _class_targets(draw: st.DrawFn, rows: int, cols: int, from_logits: bool = False) -> np.ndarray:
    if draw(st.booleans()):
        return _one_hot(draw, rows, cols)
    return _matrix(draw, in_range if from_logits else probs, rows, cols)


def _cce(draw: st.DrawFn) -> Case:
    rows, cols = _shape(draw)
    from_logits = draw(st.booleans())
    t = _class_targets(draw, rows, cols, from_logits)
    p = _matrix(draw, small_logits if from_logits else probs, rows, cols)
    t, p = _nasty(draw, t, p, same=not from_logits)
    params = {
        "from_logits": from_logits,
        "label_smoothing": _smoothing(draw),
        "axis": _axis(draw, cols),
    }
    return Case(params, t, p)


def _categorical_focal(draw: st.DrawFn) -> Case:
    rows, cols = _shape(draw)
    from_logits = draw(st.booleans())
    logits = st.one_of(st.sampled_from((50.0, -50.0, 1000.0, -1000.0)), reals)
    t = _class_targets(draw, rows, cols)
    p = _matrix(draw, logits if from_logits else probs, rows, cols)
    t, p = _nasty(draw, t, p, same=not from_logits)
    alpha: float | list[float] = draw(
        st.one_of(
            st.sampled_from((0.25, 0.0, 1.0)),
            unit,
            st.lists(unit, min_size=cols, max_size=cols),
        )
    )
    params = {
        "alpha": alpha,
        "gamma": _gamma(draw),
        "from_logits": from_logits,
        "label_smoothing": _smoothing(draw),
        "axis": _axis(draw, cols),
    }
    return Case(params, t, p)


def _sparse(draw: st.DrawFn) -> Case:
    rows, cols = _shape(draw, min_cols=2)
    from_logits = draw(st.booleans())
    t = _labels(draw, rows, cols)
    ignore = draw(st.sampled_from((None, None, -1, 0, cols - 1)))
    if ignore == -1 and draw(st.booleans()):
        t[draw(st.integers(0, rows - 1))] = -1.0
    p = _matrix(draw, small_logits if from_logits else probs, rows, cols)
    if not from_logits and draw(st.integers(0, 4)) == 0:
        p[draw(st.integers(0, rows - 1))] = 0.0
    params = {"from_logits": from_logits, "ignore_class": ignore, "axis": -1}
    return Case(params, t, p)


def _generalized(draw: st.DrawFn) -> Case:
    rows, cols = _shape(draw, min_cols=2)
    q = draw(st.one_of(st.sampled_from((0.5, 1e-3, 0.999)), st.floats(0.01, 0.99)))
    return Case({"q": q}, _labels(draw, rows, cols), _matrix(draw, probs, rows, cols))


def _overlap(draw: st.DrawFn, tversky: bool) -> Case:
    rows, cols = _shape(draw)
    t, p = _nasty(draw, _matrix(draw, probs, rows, cols), _matrix(draw, probs, rows, cols))
    axis = draw(st.sampled_from((None, (1,), (-1,))))
    params: dict[str, Any] = {"axis": axis}
    if tversky:
        params["alpha"] = draw(st.one_of(st.sampled_from((0.5, 0.0, 1.0)), st.floats(0, 2)))
        params["beta"] = draw(st.one_of(st.sampled_from((0.5, 0.0, 1.0)), st.floats(0, 2)))
    keras_params = {**params, "axis": None if axis is None else list(axis)}
    return Case(params, t, p, keras_params)


def _ctc(draw: st.DrawFn) -> Case:
    rows = draw(st.integers(1, 4))
    steps = draw(st.integers(1, 6))
    classes = draw(st.integers(2, 4))
    width = draw(st.integers(1, 4))
    ids = np.zeros((rows, width))
    for r in range(rows):
        length = draw(st.integers(0, width))
        ids[r, :length] = draw(
            st.lists(st.integers(1, classes - 1), min_size=length, max_size=length)
        )
    logits = st.one_of(st.sampled_from((0.0, 50.0, -50.0)), st.floats(-10, 10))
    flat = draw(st.lists(logits, min_size=rows * steps * classes, max_size=rows * steps * classes))
    return Case({}, ids, np.asarray(flat).reshape(rows, steps, classes))


def _circle(draw: st.DrawFn) -> Case:
    rows = draw(st.integers(1, 8))
    dim = draw(st.integers(1, 4))
    t = _labels(draw, rows, draw(st.integers(1, 3)))
    raw = _matrix(draw, st.floats(-1, 1), rows, dim)
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    p = np.where(norms > 1e-3, raw / np.where(norms > 0, norms, 1), np.eye(1, dim))
    if draw(st.integers(0, 3)) == 0:
        p = raw  # Keras does not normalise the embeddings itself
    if rows > 1 and draw(st.booleans()):
        p[-1] = p[0]
    params = {
        "gamma": draw(st.one_of(st.sampled_from((80.0, 1.0, 256.0)), st.floats(0.5, 100))),
        "margin": draw(st.one_of(st.sampled_from((0.4, 0.0, 0.25, 1.0)), st.floats(0, 1))),
        "remove_diagonal": draw(st.booleans()),
    }
    return Case(params, t, p)


STRATEGIES: dict[str, Callable[[st.DrawFn], Case]] = {
    "mean_squared_error": _regression,
    "mean_absolute_error": _regression,
    "mean_absolute_percentage_error": _regression,
    "mean_squared_logarithmic_error": _regression,
    "log_cosh": _regression,
    "huber": _huber,
    "cosine_similarity": _cosine,
    "hinge": _signed,
    "squared_hinge": _signed,
    "categorical_hinge": _categorical_hinge,
    "kl_divergence": _probabilities,
    "poisson": _poisson,
    "binary_crossentropy": _bce,
    "binary_focal_crossentropy": _binary_focal,
    "categorical_crossentropy": _cce,
    "categorical_focal_crossentropy": _categorical_focal,
    "sparse_categorical_crossentropy": _sparse,
    "categorical_generalized_cross_entropy": _generalized,
    "dice": lambda draw: _overlap(draw, tversky=False),
    "tversky": lambda draw: _overlap(draw, tversky=True),
    "ctc": _ctc,
    "circle": _circle,
}

BUILTINS = sorted(info.name for info in list_losses(source="keras"))


def test_every_builtin_has_a_strategy() -> None:
    """A newly registered built-in loss must be added to the fuzz."""
    assert sorted(STRATEGIES) == BUILTINS


# ------------------------------------------------------------------------------ checking


def _keras(
    name: str, case: Case, t: np.ndarray, p: np.ndarray, w: Any, reduction: Any, dtype: str
) -> np.ndarray:
    info = get(name)
    params = {**case.params, **case.keras_params}
    if name == "categorical_generalized_cross_entropy":
        t = t[:, 0]  # Keras wants 1-D labels: (N, 1) ones broadcast to an (N, N) matrix
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # Keras's own overflow and 0/0 warnings
        return keras_loss(info.class_name, t, p, w, reduction=reduction, dtype=dtype, **params)


def _keras_function(name: str, case: Case, t: np.ndarray, p: np.ndarray, dtype: str) -> np.ndarray:
    """`keras.losses.<name>(y_true, y_pred, **params)`, the function a Keras class wraps."""
    k = _configure(dtype)
    params = {**case.params, **case.keras_params}
    if name == "categorical_generalized_cross_entropy":
        t = t[:, 0]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = np.asarray(getattr(k.losses, name)(t, p, **params))
    assert out.dtype == np.dtype(dtype), f"keras.losses.{name} computed in {out.dtype}"
    return out


def _scale(values: np.ndarray, w: np.ndarray | None, reduction: str) -> float:
    """Size of the terms a reduction adds: the absolute floor of a fair comparison."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    if w is not None:
        with np.errstate(invalid="ignore"):
            v = v * np.abs(w)  # a 0-d batch value broadcasts over the weights, as in Keras
    v = v[np.isfinite(v)]
    total = float(np.sum(v)) if v.size else 0.0
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and w is not None:
        return total / float(np.sum(w)) if np.sum(w) > 0 else 0.0
    return total / max(v.size, 1)


def assert_close(actual: Any, expected: Any, dtype: str, scale: float, what: str) -> None:
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    np.testing.assert_allclose(
        actual,
        expected,
        rtol=RTOL[dtype],
        atol=ATOL[dtype] + RTOL[dtype] * scale,
        equal_nan=True,
        err_msg=what,
    )


@pytest.mark.parametrize("name", BUILTINS)
@FUZZ
@given(data=st.data())
def test_fuzz_against_keras(name: str, data: st.DataObject) -> None:
    case = STRATEGIES[name](data.draw)
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    reduction = data.draw(st.sampled_from(REDUCTIONS), label="reduction")
    n = len(case.y_pred)
    weights = data.draw(
        st.one_of(
            st.none(),
            st.lists(
                st.one_of(
                    st.sampled_from((0.0, 1.0, 0.5, 2.0, 1e-300, 1.4e-45, 5e-324)),
                    st.floats(0, 3),
                ),
                min_size=n,
                max_size=n,
            ),
        ),
        label="sample_weight",
    )
    batch_size = data.draw(st.one_of(st.none(), st.integers(1, max(n, 1))), label="batch_size")
    with np.errstate(over="ignore"):  # 1e200 becomes inf in float32, as it would on reading
        t, p = case.y_true.astype(dtype), case.y_pred.astype(dtype)
    w = None if weights is None else np.asarray(weights, dtype=dtype)
    info = get(name)
    what = f"{name}({case.params}) {dtype} {reduction} w={weights} batch={batch_size}\nt={t!r}\np={p!r}"

    # 1. the direct per-sample call equals Keras's loss with reduction=None
    tame = all(
        np.all(np.isfinite(a)) and np.all(np.abs(a) <= 1000) and not np.isin(a, WILD_PROBS).any()
        for a in (case.y_true, case.y_pred)
    )
    with warnings.catch_warnings():
        # on tame inputs a loss must not leak numpy warnings (Keras's overflow is silent)
        warnings.simplefilter("error" if tame else "ignore")
        ours = info(t, p, **case.params)
    expected_values = _keras(name, case, t, p, None, None, dtype)
    assert np.asarray(ours).dtype == np.dtype(dtype), what
    assert_close(ours, expected_values, dtype, 0.0, "direct call: " + what)

    # 1b. ... and Keras's loss *function* of the same name (no class, no cast of y_true)
    function = _keras_function(name, case, t, p, dtype)
    assert_close(ours, function, dtype, 0.0, f"keras.losses.{name}: " + what)

    # 2. the streamed, weighted, reduced evaluation equals Keras's reduced loss
    bound = BoundLoss(info, info.resolve_params(case.params))
    expected = _keras(name, case, t, p, w, None if reduction == "none" else reduction, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (result,) = evaluate_arrays(
            [bound], t, p, w, reduction=reduction, dtype=dtype, batch_size=batch_size
        )
    actual = result.values if reduction == "none" else result.value
    scale = _scale(expected_values, w, reduction)
    assert_close(actual, expected, dtype, scale, "engine: " + what)


@pytest.mark.parametrize(
    ("p", "w", "reduction"),
    [
        ([[3e38], [3e38]], None, "sum_over_batch_size"),  # Keras: the float32 sum is inf
        ([[0.0], [3e38]], [0.0, 2.0], "sum"),  # Keras: 3e38 * 2 is inf in float32
        ([[0.5]], [1.4e-45], "mean_with_sample_weight"),  # Keras: 0.5 * w rounds to w
    ],
)
def test_float32_reduction_in_float32(p: Any, w: Any, reduction: str) -> None:
    """In float32 mode Keras multiplies by the weights and sums in float32, so the engine
    must too: float32 overflow to inf and denormal products round as in Keras."""
    t = np.zeros((len(p), 1), dtype="float32")
    p = np.asarray(p, dtype="float32")
    w = None if w is None else np.asarray(w, dtype="float32")
    with np.errstate(all="ignore"):
        expected = keras_loss("MeanAbsoluteError", t, p, w, reduction=reduction, dtype="float32")
    (result,) = evaluate_arrays("mae", t, p, w, reduction=reduction, dtype="float32")
    assert_close(result.value, expected, "float32", 0.0, f"mae float32 {reduction} w={w}")


def test_one_row_batch_scalar_with_weight() -> None:
    """A batch-level loss (Dice, axis=None) on ONE row with a weight: Keras squeezes the (1,)
    weight to a scalar, so the weighted loss is 0-d and is returned unreduced (loss * w);
    mean_with_sample_weight does not divide by the weight. With two rows it does."""
    t = np.array([[0.0, 1.0]])
    p = np.array([[0.5, 0.5]])
    w = np.array([0.5])
    expected = keras_loss("Dice", t, p, w, reduction="mean_with_sample_weight")
    (result,) = evaluate_arrays("dice", t, p, w, reduction="mean_with_sample_weight")
    assert_close(result.value, expected, "float64", 0.0, "dice, one row, weight 0.5")


# ------------------------------------------------------------------------------ Keras on JAX

LARGE_LOGITS = (0.0, 16.2, -16.2, 30.0, -30.0, 36.8, -36.8, 50.0, -50.0, 1000.0, -1000.0, 1e-7)
TINY = (0.0, 1e-7, -1e-7, 1e-8, 3e-8, -1e-9, 1e-20, 5e-324, 1e-310, 1e-40, 1.0, -2.0)


def _jax_inputs(name: str, rng: np.random.Generator, rows: int, cols: int) -> Case:
    """Inputs where Keras's numpy backend is not its exact math: large logits, tiny norms."""

    def logits(shape: tuple[int, ...]) -> np.ndarray:
        edge = rng.choice(LARGE_LOGITS, size=shape)
        return np.where(rng.random(shape) < 0.6, edge, rng.normal(0, 40, size=shape))

    smoothing = float(rng.choice([0.0, 0.1, 1.0, rng.random()]))
    if name == "cosine_similarity":
        t = rng.choice(TINY, size=(rows, cols)) * rng.choice([1.0, 1e-3, 3.0], size=(rows, 1))
        p = rng.choice(TINY, size=(rows, cols))
        return Case({"axis": -1}, t, p)
    if name == "sparse_categorical_crossentropy":
        t = rng.integers(0, cols, size=(rows, 1)).astype(float)
        ignore = [None, int(rng.integers(0, cols))][int(rng.integers(0, 2))]
        return Case({"from_logits": True, "ignore_class": ignore}, t, logits((rows, cols)))
    if name == "ctc":
        ids = np.zeros((rows, 2))
        ids[:, 0] = rng.integers(1, 3, size=rows)
        return Case({}, ids, logits((rows, 3, 3)))
    binary = name.startswith("binary")
    if binary:
        t = rng.choice([0.0, 1.0, 0.3], size=(rows, cols))
    else:
        t = np.eye(cols)[rng.integers(0, cols, size=rows)]
    params: dict[str, Any] = {"from_logits": True, "label_smoothing": smoothing}
    if "focal" in name:
        params["gamma"] = float(rng.choice([0.0, 2.0, rng.random() * 4]))
    if name == "binary_focal_crossentropy":
        params["apply_class_balancing"] = bool(rng.integers(0, 2))
    return Case(params, t, logits((rows, cols)))


JAX_LOSSES = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "cosine_similarity",
    "ctc",
)


def test_large_logits_and_tiny_norms_match_keras_jax() -> None:
    """One JAX subprocess for every case: per-sample values and streamed reductions."""
    rng = np.random.default_rng(20240515)
    checks: list[tuple[Any, str, float, str]] = []
    cases: list[dict[str, Any]] = []
    for name in JAX_LOSSES:
        info = get(name)
        for i in range(8):
            dtype = DTYPES[i % 2]
            rows, cols = int(rng.integers(1, 7)), int(rng.choice([1, 2, 4]))
            if name in ("sparse_categorical_crossentropy", "categorical_crossentropy"):
                cols = max(cols, 2)
            case = _jax_inputs(name, rng, rows, cols)
            t, p = case.y_true.astype(dtype), case.y_pred.astype(dtype)
            reduction = REDUCTIONS[int(rng.integers(0, len(REDUCTIONS)))]
            w = None
            if rng.random() < 0.6:
                w = rng.choice([0.0, 1.0, 0.5, 2.5], size=rows).astype(dtype)
            what = f"{name}({case.params}) {dtype} {reduction} w={w}\nt={t!r}\np={p!r}"
            ours = info(t, p, **case.params)
            assert np.asarray(ours).dtype == np.dtype(dtype), what
            bound = BoundLoss(info, info.resolve_params(case.params))
            (result,) = evaluate_arrays(
                [bound],
                t,
                p,
                w,
                reduction=reduction,
                dtype=dtype,
                batch_size=int(rng.integers(1, rows + 1)),
            )
            reduced = result.values if reduction == "none" else result.value
            common = {"class_name": info.class_name, "y_true": t, "y_pred": p, "dtype": dtype}
            cases.append({**common, "params": case.params, "reduction": None})
            checks.append((ours, dtype, 0.0, "direct call: " + what))
            cases.append(
                {
                    **common,
                    "params": case.params,
                    "sample_weight": w,
                    "reduction": None if reduction == "none" else reduction,
                }
            )
            checks.append((reduced, dtype, -1.0, "engine: " + what))
    expected = keras_jax(cases)
    failures = []
    values: np.ndarray = np.empty(0)
    for (actual, dtype, scale, what), want, case in zip(checks, expected, cases, strict=True):
        if scale == 0.0:
            values = want  # the per-sample values that precede each reduced check
        else:
            scale = _scale(values, case["sample_weight"], case["reduction"] or "none")
        try:
            assert_close(actual, want, dtype, scale, what)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n\n".join(failures[:5]) + f"\n\n{len(failures)} failures"


@pytest.mark.parametrize("name", ["poisson", "tversky"])
def test_sum_of_opposite_infinities_is_nan(name: str) -> None:
    """Per-sample +inf and -inf in one file: Keras's sum is NaN, and so is the engine's
    (math.fsum raised ValueError, in the reduction and in the Dice/Tversky totals)."""
    t = np.array([[1e308], [-1e308]])
    p = np.array([[0.0], [0.0]]) if name == "poisson" else np.array([[-10.0], [-10.0]])
    with np.errstate(all="ignore"):
        expected = keras_loss(get(name).class_name, t, p)
        (result,) = evaluate_arrays(name, t, p)
    assert np.isnan(expected)
    assert np.isnan(result.value)

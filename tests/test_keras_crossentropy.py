"""Differential tests of the cross-entropy family against real Keras 3.

Per-sample values are compared with Keras's numpy backend (made to compute in float64 by
the oracle) for probabilities, and with the JAX backend for `from_logits=True`, where
losscli follows TensorFlow/JAX's exact log-sum-exp math. Reductions, sample weights and
ignore_class masks go through the engine and are compared with Keras's reduced numbers.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from keras_cases import DTYPES, REDUCTIONS, RTOL
from keras_oracle import keras_jax, keras_loss

from losscli.errors import InputDataError, UsageError
from losscli.registry import get

ATOL = {"float64": 1e-300, "float32": 1e-30}

NAMES = {
    "BinaryCrossentropy": "binary_crossentropy",
    "BinaryFocalCrossentropy": "binary_focal_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "CategoricalFocalCrossentropy": "categorical_focal_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
    "CategoricalGeneralizedCrossEntropy": "categorical_generalized_cross_entropy",
}

# Probabilities at and around the clipping bounds of both dtypes, and exact 0 and 1.
EDGE_P = [0.0, 1.0, 1e-7, 1 - 1e-7, 1.1920929e-07, 1 - 1.1920929e-07, 1e-12, 1 - 1e-12, 0.5]
EDGE_LOGITS = [0.0, 30.0, -30.0, 1000.0, -1000.0, 36.7, -36.7, 1e-3, 17.0, -17.0]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def binary_data(shape: tuple[int, ...], seed: int = 0, logits: bool = False) -> tuple[Any, Any]:
    rng = _rng(seed)
    y_true = rng.integers(0, 2, shape).astype(float)
    flat = y_true.reshape(-1)
    flat[::5] = rng.uniform(0, 1, flat[::5].shape)  # soft labels
    if logits:
        y_pred = rng.normal(0, 5, shape)
        edges = EDGE_LOGITS
    else:
        y_pred = rng.uniform(0, 1, shape)
        edges = EDGE_P
    p = y_pred.reshape(-1)
    k = min(len(edges), len(p))
    p[:k] = edges[:k]
    return y_true, y_pred


def categorical_data(
    shape: tuple[int, ...], seed: int = 0, logits: bool = False
) -> tuple[Any, Any]:
    rng = _rng(seed)
    k = shape[-1]
    y_true = np.eye(k)[rng.integers(0, k, shape[:-1])]
    rows = y_true.reshape(-1, k)
    rows[1::4] = rng.dirichlet(np.ones(k), rows[1::4].shape[0])  # soft labels
    if logits:
        y_pred = rng.normal(0, 4, shape)
        flat = y_pred.reshape(-1, k)
        flat[0] = 30.0 * np.sign(np.arange(k) - 0.5)
        flat[2] = -1000.0
        flat[2, 0] = 1000.0
        flat[3] = np.linspace(-30, 30, k)
    else:
        y_pred = rng.uniform(0, 1, shape)
        flat = y_pred.reshape(-1, k)
        flat[0] = 0.0
        flat[0, 0] = 1.0  # exactly one-hot prediction: clipped at both ends
        flat[2] = 1e-7
        flat[2, -1] = 1 - 1e-7
        flat[3] *= 7.0  # not normalised: Keras rescales to sum 1
        if len(flat) > 5:
            flat[5] = np.array([1e-30 * (i + 1) for i in range(k)])  # tiny but normalisable
    return y_true, y_pred


def sparse_data(n: int, k: int, seed: int = 0, logits: bool = False) -> tuple[Any, Any]:
    rng = _rng(seed)
    y_true = rng.integers(0, k, (n, 1)).astype(float)
    _, y_pred = categorical_data((n, k), seed, logits)
    return y_true, y_pred


def ours(class_name: str, y_true: Any, y_pred: Any, dtype: str, **params: Any) -> Any:
    fn = get(NAMES[class_name]).fn
    with np.errstate(over="ignore"):  # 1e300 becomes inf in float32, as in Keras
        y_true, y_pred = np.asarray(y_true, dtype=dtype), np.asarray(y_pred, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # losscli must not leak numpy warnings
        return fn(y_true, y_pred, **params)


def keras_values(class_name: str, y_true: Any, y_pred: Any, dtype: str, **params: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return keras_loss(class_name, y_true, y_pred, reduction=None, dtype=dtype, **params)


def assert_close(got: Any, want: Any, dtype: str, context: str = "") -> None:
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, context
    assert got.dtype == np.dtype(dtype), context
    np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=ATOL[dtype], err_msg=context)


# ----------------------------------------------------------------- per-sample, probabilities

PROB_CASES: list[tuple[str, Any, dict[str, Any]]] = []
for _shape in [(13, 1), (13, 4), (5, 3, 4)]:
    PROB_CASES += [
        ("BinaryCrossentropy", binary_data(_shape, 1), {}),
        ("BinaryCrossentropy", binary_data(_shape, 2), {"label_smoothing": 0.1}),
        ("BinaryFocalCrossentropy", binary_data(_shape, 3), {}),
        (
            "BinaryFocalCrossentropy",
            binary_data(_shape, 4),
            {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "label_smoothing": 0.2},
        ),
        ("BinaryFocalCrossentropy", binary_data(_shape, 5), {"gamma": 0.0}),
    ]
for _shape in [(13, 4), (13, 2), (5, 3, 4), (13, 1)]:
    PROB_CASES += [
        ("CategoricalCrossentropy", categorical_data(_shape, 6), {}),
        ("CategoricalCrossentropy", categorical_data(_shape, 7), {"label_smoothing": 0.15}),
        ("CategoricalFocalCrossentropy", categorical_data(_shape, 8), {}),
        (
            "CategoricalFocalCrossentropy",
            categorical_data(_shape, 9),
            {"alpha": 0.7, "gamma": 3.0, "label_smoothing": 0.3},
        ),
    ]
PROB_CASES += [
    # axis other than the last: smoothing still divides by the size of the LAST axis
    ("BinaryCrossentropy", binary_data((5, 3, 4), 10), {"axis": 1, "label_smoothing": 0.2}),
    ("BinaryFocalCrossentropy", binary_data((5, 3, 4), 11), {"axis": -2, "gamma": 2.5}),
    ("CategoricalCrossentropy", categorical_data((5, 3, 4), 12), {"axis": 1}),
    (
        "CategoricalCrossentropy",
        categorical_data((5, 3, 4), 13),
        {"axis": 1, "label_smoothing": 0.3},
    ),
    (
        "CategoricalFocalCrossentropy",
        categorical_data((5, 3, 4), 14),
        {"axis": -2, "label_smoothing": 0.3},
    ),
    (
        "CategoricalFocalCrossentropy",
        categorical_data((13, 4), 15),
        {"alpha": [0.1, 0.2, 0.3, 0.4]},
    ),
    ("SparseCategoricalCrossentropy", sparse_data(13, 4, 16), {}),
    ("SparseCategoricalCrossentropy", sparse_data(13, 1, 17), {}),
    ("SparseCategoricalCrossentropy", sparse_data(13, 4, 18), {"axis": 1}),
    ("SparseCategoricalCrossentropy", sparse_data(13, 4, 19, logits=True), {"from_logits": True}),
    # the focal losses turn logits into clipped probabilities on every backend
    ("BinaryFocalCrossentropy", binary_data((13, 3), 20, logits=True), {"from_logits": True}),
    (
        "CategoricalFocalCrossentropy",
        categorical_data((13, 4), 21, logits=True),
        {"from_logits": True, "label_smoothing": 0.1},
    ),
    # log_softmax is exact on the numpy backend too
    ("CategoricalCrossentropy", categorical_data((13, 4), 22, logits=True), {"from_logits": True}),
]

# Non-finite and out-of-range inputs: NaN and inf must come out where Keras's do.
_NONFINITE_BINARY = (
    np.array([[1.0], [0.0], [1.0], [0.5], [1.0], [0.0]]),
    np.array([[-0.5], [1.5], [np.nan], [np.inf], [2.0], [-np.inf]]),
)
_NONFINITE_CLASSES = (
    np.eye(3)[[0, 1, 2, 2, 1]],
    np.array([[np.inf, 0, 1], [-0.5, 0.7, 1], [np.nan, 0, 1], [0, 0, 0], [1e300, 1e300, 1e300]]),
)
PROB_CASES += [
    ("BinaryCrossentropy", _NONFINITE_BINARY, {}),
    ("BinaryFocalCrossentropy", _NONFINITE_BINARY, {"gamma": 1.5}),
    ("CategoricalCrossentropy", _NONFINITE_CLASSES, {}),
    ("CategoricalFocalCrossentropy", _NONFINITE_CLASSES, {}),
    (
        "SparseCategoricalCrossentropy",
        (np.array([[0.0], [1.0], [2.0], [2.0], [1.0]]), _NONFINITE_CLASSES[1]),
        {},
    ),
]


def _case_id(case: tuple[str, Any, dict[str, Any]]) -> str:
    name, (_, y_pred), params = case
    extra = ",".join(f"{k}={v}" for k, v in params.items())
    return f"{name}-{'x'.join(map(str, y_pred.shape))}-{extra}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", PROB_CASES, ids=[_case_id(c) for c in PROB_CASES])
def test_per_sample_matches_keras_numpy(case: tuple[str, Any, dict[str, Any]], dtype: str) -> None:
    class_name, (y_true, y_pred), params = case
    got = ours(class_name, y_true, y_pred, dtype, **params)
    want = keras_values(class_name, y_true, y_pred, dtype, **params)
    assert_close(got, want, dtype, _case_id(case))


def test_clipping_bounds_are_those_of_the_compute_dtype() -> None:
    """p = 0 costs -log(1e-7) = 16.118 in both dtypes; p = 1 costs -log(1 - (1 - 1e-7))
    where 1 - 1e-7 rounds to 1 - 2**-23 in float32, so the largest term there is 15.942."""
    bce = get("bce").fn
    for dtype, at_zero, at_one in (
        ("float64", 16.11809565095832, 16.118095650958320),
        ("float32", 16.118095, 15.942385),
    ):
        got = bce(np.array([[1.0], [0.0]], dtype), np.array([[0.0], [1.0]], dtype))
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got, [at_zero, at_one], rtol=RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("q", [0.5, 0.01, 0.99, 0.7])
def test_generalized_cross_entropy(q: float, dtype: str) -> None:
    y_true, y_pred = sparse_data(17, 4, 30)
    y_pred[4] = [0.0, 0.0, 1.0, 0.0]
    y_true[4] = 2.0  # p = 1: loss 0
    y_true[5] = 0.0
    y_pred[5] = [0.0, 1.0, 0.0, 0.0]  # p = 0: loss 1/q
    y_pred[6] = [np.inf, 0.5, 0.5, 0.0]  # inf elsewhere in the row: 0 * inf makes NaN
    y_pred[7, y_true[7, 0].astype(int)] = -0.25  # negative p: NaN from the power
    y_pred[8] = [0.1, 0.2, 0.3, 0.4]  # not normalised by Keras here
    got = ours("CategoricalGeneralizedCrossEntropy", y_true, y_pred, dtype, q=q)
    # Keras wants 1-D labels here: (N, 1) labels broadcast to an (N, N) matrix in Keras
    want = keras_values("CategoricalGeneralizedCrossEntropy", y_true[:, 0], y_pred, dtype, q=q)
    assert_close(got, want, dtype)


# ------------------------------------------------------------------------------- from_logits

LOGIT_CASES: list[tuple[str, Any, dict[str, Any]]] = []
for _shape in [(13, 1), (13, 3)]:
    LOGIT_CASES += [
        ("BinaryCrossentropy", binary_data(_shape, 40, logits=True), {"from_logits": True}),
        (
            "BinaryCrossentropy",
            binary_data(_shape, 41, logits=True),
            {"from_logits": True, "label_smoothing": 0.2},
        ),
        (
            "BinaryFocalCrossentropy",
            binary_data(_shape, 42, logits=True),
            {"from_logits": True, "apply_class_balancing": True},
        ),
    ]
LOGIT_CASES += [
    (
        "BinaryCrossentropy",
        binary_data((5, 3, 4), 43, logits=True),
        {"from_logits": True, "axis": 1},
    ),
    ("CategoricalCrossentropy", categorical_data((13, 4), 44, logits=True), {"from_logits": True}),
    (
        "CategoricalCrossentropy",
        categorical_data((5, 3, 4), 45, logits=True),
        {"from_logits": True, "axis": 1, "label_smoothing": 0.1},
    ),
    (
        "CategoricalFocalCrossentropy",
        categorical_data((13, 4), 46, logits=True),
        {"from_logits": True, "gamma": 1.0},
    ),
    ("SparseCategoricalCrossentropy", sparse_data(13, 5, 47, logits=True), {"from_logits": True}),
    (
        "SparseCategoricalCrossentropy",
        sparse_data(13, 5, 48, logits=True),
        {"from_logits": True, "ignore_class": 3},
    ),
]

_INF_LOGITS = np.array(
    [[np.inf, 0, 1], [-np.inf, 0, 1], [np.nan, 0, 1], [1000, -1000, 0], [-np.inf, 5, np.inf]]
)
LOGIT_CASES += [
    (
        "BinaryCrossentropy",
        (
            np.array([[1.0], [0.0], [1.0], [0.5], [1.0], [0.0]]),
            np.array([[np.inf], [-np.inf], [np.nan], [np.inf], [-np.inf], [np.inf]]),
        ),
        {"from_logits": True},
    ),
    ("CategoricalCrossentropy", (np.eye(3)[[0, 1, 2, 0, 1]], _INF_LOGITS), {"from_logits": True}),
    (
        "SparseCategoricalCrossentropy",
        (np.array([[0.0], [1.0], [2.0], [0.0], [1.0]]), _INF_LOGITS),
        {"from_logits": True},
    ),
    (
        "CategoricalFocalCrossentropy",
        (np.eye(3)[[0, 1, 2, 0, 1]], _INF_LOGITS),
        {"from_logits": True},
    ),
]


@pytest.fixture(scope="module")
def jax_answers() -> dict[tuple[int, str], np.ndarray]:
    """Every from_logits case, in both dtypes, in a single JAX subprocess."""
    cases = []
    keys = []
    for i, (class_name, (y_true, y_pred), params) in enumerate(LOGIT_CASES):
        for dtype in DTYPES:
            keys.append((i, dtype))
            cases.append(
                {
                    "class_name": class_name,
                    "y_true": np.asarray(y_true, dtype),
                    "y_pred": np.asarray(y_pred, dtype),
                    "params": params,
                    "dtype": dtype,
                    "reduction": None,
                }
            )
    return dict(zip(keys, keras_jax(cases), strict=True))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index", range(len(LOGIT_CASES)), ids=[_case_id(c) for c in LOGIT_CASES])
def test_from_logits_matches_keras_jax(
    index: int, dtype: str, jax_answers: dict[tuple[int, str], np.ndarray]
) -> None:
    class_name, (y_true, y_pred), params = LOGIT_CASES[index]
    got = ours(class_name, y_true, y_pred, dtype, **params)
    if isinstance(got, tuple):
        got = got[0]
    assert_close(got, jax_answers[(index, dtype)], dtype, _case_id(LOGIT_CASES[index]))


def test_large_logits_are_exact_not_saturated() -> None:
    bce = get("binary_crossentropy")
    y_pred = np.array([[30.0], [-30.0], [1000.0], [-1000.0]])
    y_true = np.array([[0.0], [1.0], [0.0], [1.0]])
    np.testing.assert_allclose(bce(y_true, y_pred, from_logits=True), [30, 30, 1000, 1000])
    # the right answer for a confident correct logit is tiny, not 1e-7
    small = bce(np.array([[1.0]]), np.array([[30.0]]), from_logits=True)
    np.testing.assert_allclose(small, [np.log1p(np.exp(-30.0))], rtol=1e-12)
    cce = get("categorical_crossentropy")
    got = cce(np.array([[0.0, 1.0]]), np.array([[1000.0, -1000.0]]), from_logits=True)
    np.testing.assert_allclose(got, [2000.0])


# ------------------------------------------------------------ reductions through the engine

ENGINE_CASES: list[tuple[str, str, Any]] = [
    ("BinaryCrossentropy", "binary_crossentropy(label_smoothing=0.1)", binary_data((23, 1), 60)),
    ("BinaryCrossentropy", "bce", binary_data((23, 3), 61)),
    (
        "BinaryFocalCrossentropy",
        "binary_focal_crossentropy(apply_class_balancing=true, gamma=1.5)",
        binary_data((23, 2), 62),
    ),
    (
        "CategoricalCrossentropy",
        "CategoricalCrossentropy(label_smoothing=0.2)",
        categorical_data((23, 4), 63),
    ),
    (
        "CategoricalFocalCrossentropy",
        "categorical_focal_crossentropy(alpha=[0.1, 0.2, 0.3, 0.4])",
        categorical_data((23, 4), 64),
    ),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", sparse_data(23, 4, 65)),
    (
        "CategoricalGeneralizedCrossEntropy",
        "categorical_generalized_cross_entropy(q=0.3)",
        sparse_data(23, 4, 66),
    ),
]


def _keras_params(spec: str) -> dict[str, Any]:
    from losscli.spec import parse_spec

    bound = parse_spec(spec)
    return {
        p.name: bound.params[p.name] for p in bound.info.params if bound.params[p.name] != p.default
    }


def _keras_reduced(
    class_name: str, y_true: Any, y_pred: Any, w: Any, reduction: str, dtype: str, **params: Any
) -> Any:
    if class_name == "CategoricalGeneralizedCrossEntropy":
        y_true = np.asarray(y_true)[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return keras_loss(
            class_name,
            y_true,
            y_pred,
            w,
            reduction=None if reduction == "none" else reduction,
            dtype=dtype,
            **params,
        )


def _engine_matches_keras(
    spec: str,
    class_name: str,
    y_true: Any,
    y_pred: Any,
    w: np.ndarray,
    dtype: str,
    batch_sizes: tuple[int | None, ...],
    abs_tol: float | None = None,
    **params: Any,
) -> None:
    """Every reduction, unweighted and weighted by `w`, streamed in each batch size, equals
    Keras's reduced answer (`abs_tol` None: pytest.approx's default absolute tolerance)."""
    from losscli.engine import evaluate_arrays

    for weights in (None, w):
        for reduction in REDUCTIONS:
            for batch_size in batch_sizes:
                (result,) = evaluate_arrays(
                    spec,
                    y_true,
                    y_pred,
                    weights,
                    reduction=reduction,
                    dtype=dtype,
                    batch_size=batch_size,
                )
                want = _keras_reduced(
                    class_name, y_true, y_pred, weights, reduction, dtype, **params
                )
                context = (
                    f"{spec} {dtype} {reduction} weighted={weights is not None} batch={batch_size}"
                )
                if reduction == "none":
                    np.testing.assert_allclose(
                        result.values, want, rtol=RTOL[dtype], err_msg=context
                    )
                else:
                    assert result.value == pytest.approx(
                        float(want), rel=RTOL[dtype], abs=abs_tol
                    ), context


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ENGINE_CASES, ids=[c[1] for c in ENGINE_CASES])
def test_reductions_and_weights_through_engine(case: tuple[str, str, Any], dtype: str) -> None:
    class_name, spec, (y_true, y_pred) = case
    w = _rng(7).uniform(0, 2, len(y_pred))
    w[2] = 0.0
    _engine_matches_keras(
        spec, class_name, y_true, y_pred, w, dtype, (None, 5), 1e-300, **_keras_params(spec)
    )


# ---------------------------------------------------------------------- ignore_class masks


def _ignore_data(dtype: str) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = sparse_data(19, 4, 80)
    y_true[[1, 4, 5, 11]] = -1.0
    y_pred[4] = np.nan  # an ignored row's predictions are never looked at
    y_pred[5] = 0.0  # nor can they make 0 / 0
    return y_true.astype(dtype), y_pred.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("from_logits", [False, True])
def test_ignore_class_values_and_mask(dtype: str, from_logits: bool) -> None:
    y_true, y_pred = _ignore_data(dtype)
    values, mask = ours(
        "SparseCategoricalCrossentropy",
        y_true,
        y_pred,
        dtype,
        ignore_class=-1,
        from_logits=from_logits,
    )
    np.testing.assert_array_equal(mask, y_true[:, 0] != -1)
    assert mask.dtype == np.bool_
    if not from_logits:
        want = keras_values("SparseCategoricalCrossentropy", y_true, y_pred, dtype, ignore_class=-1)
        assert_close(values, want, dtype)
    assert (values[~mask] == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ignore", [-1, 2])
def test_ignore_class_reductions_through_engine(dtype: str, ignore: int) -> None:
    """Keras divides the means by the unmasked rows (and mean_with_sample_weight by their
    weights); ignore_class=2 masks rows of a real class."""
    y_true, y_pred = _ignore_data(dtype)
    if ignore != -1:
        y_true[y_true == -1] = 0.0
        y_pred[[4, 5]] = 0.25
    w = _rng(9).uniform(0, 2, len(y_pred))
    spec = f"sparse_categorical_crossentropy(ignore_class={ignore})"
    _engine_matches_keras(
        spec,
        "SparseCategoricalCrossentropy",
        y_true,
        y_pred,
        w,
        dtype,
        (None, 4),
        ignore_class=ignore,
    )


# -------------------------------------------------------------------------- hypothesis sweep


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    rows=st.integers(1, 6),
    classes=st.integers(1, 5),
    label_smoothing=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    dtype=st.sampled_from(DTYPES),
)
def test_hypothesis_binary_and_categorical(
    data: st.DataObject, rows: int, classes: int, label_smoothing: float, dtype: str
) -> None:
    probs = st.one_of(st.sampled_from(EDGE_P), st.floats(0, 1, allow_subnormal=False))
    shape = (rows, classes)
    y_pred = data.draw(hnp.arrays(np.float64, shape, elements=probs))
    y_true = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0, 0.3])))
    for class_name in (
        "BinaryCrossentropy",
        "CategoricalCrossentropy",
        "CategoricalFocalCrossentropy",
    ):
        params = {"label_smoothing": label_smoothing}
        got = ours(class_name, y_true, y_pred, dtype, **params)
        want = keras_values(class_name, y_true, y_pred, dtype, **params)
        assert_close(got, want, dtype, f"{class_name} {y_true!r} {y_pred!r}")


# -------------------------------------------------------------------------- names and errors


def test_names_and_aliases() -> None:
    assert get("bce").name == "binary_crossentropy"
    assert get("BCE").name == "binary_crossentropy"
    for class_name, name in NAMES.items():
        assert get(class_name).name == name
        assert get(name).class_name == class_name
        assert get(name).category == "probabilistic"
    assert get("sparse_categorical_crossentropy").labels == "sparse"
    assert get("categorical_generalized_cross_entropy").labels == "sparse"
    for invented in ("gce", "generalized_cross_entropy", "cce", "scce"):
        with pytest.raises(UsageError):
            get(invented)


def test_parameter_validation() -> None:
    gce = get("categorical_generalized_cross_entropy")
    for q in (0.0, 1.0, -0.5, 2.0):
        with pytest.raises(UsageError, match="q must be in the interval"):
            gce.resolve_params({"q": q})
    for name in (
        "bce",
        "binary_focal_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
    ):
        with pytest.raises(UsageError, match="row axis"):
            get(name).resolve_params({"axis": 0})


def test_data_errors() -> None:
    scce = get("sparse_categorical_crossentropy")
    probs = np.array([[0.2, 0.8], [0.5, 0.5]])
    with pytest.raises(InputDataError, match=r"outside 0 \.\. 1"):
        scce(np.array([[0.0], [2.0]]), probs)
    with pytest.raises(InputDataError, match="ignore_class"):
        scce(np.array([[0.0], [-1.0]]), probs)
    with pytest.raises(InputDataError, match="outside"):
        scce(np.array([[0.0], [-1.0]]), probs, ignore_class=5)
    with pytest.raises(InputDataError, match="last axis"):
        scce(np.zeros((2, 3, 1)), np.ones((2, 3, 4)), axis=1)
    with pytest.raises(InputDataError, match="outside"):
        get("categorical_generalized_cross_entropy")(np.array([[3.0]]), np.array([[0.5, 0.5]]))
    with pytest.raises(InputDataError, match="same shape"):
        get("categorical_crossentropy")(np.zeros((2, 1)), probs)
    with pytest.raises(InputDataError, match="same shape"):
        get("bce")(np.zeros((2, 3)), probs)
    with pytest.raises(InputDataError, match="feature axis"):
        get("bce")(np.zeros((2, 2)), probs, axis=-2)
    with pytest.raises(InputDataError, match="class weights"):
        get("categorical_focal_crossentropy")(np.zeros((2, 2)), probs, alpha=[0.1, 0.2, 0.3])


def test_fractional_labels_truncate_like_keras() -> None:
    y_true = np.array([[0.7], [1.9], [2.0], [-0.5]])
    _, y_pred = sparse_data(4, 3, 90)
    got = ours("SparseCategoricalCrossentropy", y_true, y_pred, "float64")
    want = keras_values("SparseCategoricalCrossentropy", y_true, y_pred, "float64")
    assert_close(got, want, "float64")

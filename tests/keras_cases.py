"""Checks shared by the differential tests of each loss family against Keras.

One place for the tolerances, the per-sample check, the streamed-reduction check and the
JAX cross-check, so every family is held to the same standard in the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from keras_oracle import keras_jax, keras_loss

from losscli.engine import evaluate_arrays
from losscli.registry import get

DTYPES = ("float64", "float32")
REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")
RTOL = {"float64": 1e-10, "float32": 1e-5}
ATOL = {"float64": 1e-14, "float32": 1e-6}

Arrays = tuple[np.ndarray, np.ndarray]


def close(actual: Any, expected: Any, dtype: str, atol: Mapping[str, float] = ATOL) -> None:
    """Equal within the dtype's tolerances, compared in float64; NaN matches NaN."""
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64),
        np.asarray(expected, dtype=np.float64),
        rtol=RTOL[dtype],
        atol=atol[dtype],
        equal_nan=True,
    )


def per_sample(
    name: str,
    class_name: str,
    t: np.ndarray,
    p: np.ndarray,
    dtype: str,
    *,
    params: Mapping[str, Any] | None = None,
    jax: bool = False,
    errstate: Mapping[str, str] | None = None,
) -> np.ndarray:
    """Our per-sample values (one per row, in `dtype`) vs Keras's numpy backend, or its
    JAX backend with jax=True; `errstate` silences numpy warnings in Keras's own call."""
    params = dict(params or {})
    t, p = t.astype(dtype), p.astype(dtype)
    ours = get(name)(t, p, **params)
    assert ours.dtype == np.dtype(dtype)
    assert ours.shape == (len(p),)
    if jax:
        case = {"class_name": class_name, "params": params, "y_true": t, "y_pred": p}
        (expected,) = keras_jax([{**case, "reduction": None, "dtype": dtype}])
    else:
        with np.errstate(**(errstate or {})):
            expected = keras_loss(class_name, t, p, reduction=None, dtype=dtype, **params)
    close(ours, expected, dtype)
    return ours


def keras_reduced(
    class_name: str, t: Any, p: Any, w: Any, reduction: str, dtype: str, **params: Any
) -> np.ndarray:
    """Keras's answer for one of our reduction names ("none" is Keras's None)."""
    return keras_loss(
        class_name,
        t,
        p,
        None if w is None else np.asarray(w, dtype=dtype),
        reduction=None if reduction == "none" else reduction,
        dtype=dtype,
        **params,
    )


def streamed_matches_keras(
    spec: str,
    class_name: str,
    t: np.ndarray,
    p: np.ndarray,
    w: Any,
    reduction: str,
    dtype: str,
    batch_sizes: Iterable[int | None],
    *,
    atol: Mapping[str, float] = ATOL,
    **params: Any,
) -> list[Any]:
    """The engine, streaming in each batch size, gives Keras's answer on the whole input.

    Returns what the engine gave for each batch size, for checks between them.
    """
    expected = keras_reduced(class_name, t, p, w, reduction, dtype, **params)
    answers = []
    for batch_size in batch_sizes:
        (result,) = evaluate_arrays(
            spec, t, p, w, reduction=reduction, dtype=dtype, batch_size=batch_size
        )
        got = result.values if reduction == "none" else result.value
        close(got, expected, dtype, atol)
        answers.append(got)
    return answers


def every_loss_matches_jax(
    losses: Mapping[str, tuple[str, Mapping[str, Any]]],
    arrays: Iterable[Arrays],
    errstate: Mapping[str, str] | None = None,
) -> None:
    """Per-sample values of every spec (→ Keras class, params) on every (t, p), in float64,
    against Keras on the JAX backend (what users train with), in one subprocess."""
    arrays = list(arrays)
    specs = sorted(losses)
    cases = [
        {"class_name": losses[s][0], "params": dict(losses[s][1]), "y_true": t, "y_pred": p,
         "reduction": None}
        for s in specs
        for t, p in arrays
    ]  # fmt: skip
    expected = iter(keras_jax(cases))
    with np.errstate(**(errstate or {})):
        for spec in specs:
            for t, p in arrays:
                close(get(spec.split("(")[0])(t, p, **losses[spec][1]), next(expected), "float64")

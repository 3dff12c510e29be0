"""Real Keras 3 as a test oracle, made to compute in the precision it is asked for.

On the numpy and JAX backends Keras maps float64 to float32 in its type promotion
(`BIT64_TO_BIT32_DTYPE`), so a float64 input is silently computed in float32. The oracle
switches that off and checks the dtype of every answer, so a float64 comparison really
compares float64 numbers.

The numpy backend saturates `from_logits=True` (it converts logits to clipped
probabilities); `keras_jax` runs the same call on the JAX backend, in a subprocess with
x64 enabled, for the cases where losscli follows the exact math of TensorFlow/JAX.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "numpy")

keras = pytest.importorskip("keras", reason="keras is the differential-test oracle (test extra)")

_PATCHED = False


def _configure(dtype: str) -> Any:
    global _PATCHED
    from keras.src.backend.common import dtypes

    if not _PATCHED:
        dtypes.BIT64_TO_BIT32_DTYPE.update({"float64": "float64", "int64": "int64"})
        _PATCHED = True
    keras.config.set_floatx(dtype)
    return keras


def keras_loss(
    class_name: str,
    y_true: Any,
    y_pred: Any,
    sample_weight: Any = None,
    *,
    reduction: str | None = "sum_over_batch_size",
    dtype: str = "float64",
    **params: Any,
) -> np.ndarray:
    """`keras.losses.<class_name>(reduction=..., dtype=..., **params)(y_true, y_pred, w)`."""
    k = _configure(dtype)
    assert k.backend.backend() == "numpy", "the oracle expects KERAS_BACKEND=numpy"
    loss = getattr(k.losses, class_name)(reduction=reduction, dtype=dtype, **params)
    out = np.asarray(loss(y_true, y_pred, sample_weight=sample_weight))
    assert out.dtype == np.dtype(dtype), f"Keras computed in {out.dtype}, asked for {dtype}"
    return out


_JAX_SCRIPT = r"""
import os, pickle, sys
os.environ["KERAS_BACKEND"] = "jax"
import jax
jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")
import numpy as np
import keras
from keras.src.backend.common import dtypes
dtypes.BIT64_TO_BIT32_DTYPE.update({"float64": "float64", "int64": "int64"})
out = []
for case in pickle.load(sys.stdin.buffer):
    keras.config.set_floatx(case["dtype"])
    loss = getattr(keras.losses, case["class_name"])(
        reduction=case["reduction"], dtype=case["dtype"], **case["params"])
    value = np.asarray(loss(case["y_true"], case["y_pred"], sample_weight=case["sample_weight"]))
    assert value.dtype == np.dtype(case["dtype"]), value.dtype
    out.append(value)
sys.stdout.buffer.write(pickle.dumps(out))
"""


def keras_jax(cases: list[dict[str, Any]]) -> list[np.ndarray]:
    """Evaluate many cases on Keras's JAX backend in one subprocess (x64 on).

    Each case is a dict with class_name, y_true, y_pred and optionally sample_weight,
    reduction, dtype and params (the keyword arguments of the Keras class).
    """
    pytest.importorskip("jax", reason="jax is the oracle for exact from_logits math")
    full = [
        {
            "sample_weight": None,
            "reduction": "sum_over_batch_size",
            "dtype": "float64",
            "params": {},
            **case,
        }
        for case in cases
    ]
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, "-c", _JAX_SCRIPT],
        input=pickle.dumps(full),
        capture_output=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode(errors="replace"))
    return pickle.loads(proc.stdout)

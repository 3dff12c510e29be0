"""Keras's `fit(class_weight=...)`: each row's weight is the weight of its true class.

Follows `keras/src/trainers/data_adapters/data_adapter_utils.class_weight_to_sample_weights`:
one-hot labels (last axis > 1) give their argmax, a single label column (0/1 binary or a
sparse class id) is rounded to an integer, and a class missing from the mapping weighs 1.0.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from losscli.errors import InputDataError, UsageError


def parse_class_weight(text: str) -> dict[int, float]:
    """`0=1.0,1=3.5`, or the path of a JSON object `{"0": 1.0, "1": 3.5}`."""
    if text.strip().endswith(".json") or (Path(text).is_file() and "=" not in text):
        try:
            raw = json.loads(Path(text).read_bytes().decode("utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot read class weights {text!r}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise UsageError(
                f"class weight file {text!r} is not UTF-8 text (byte {exc.start})",
                hint="save it as UTF-8 JSON",
            ) from None
        except json.JSONDecodeError as exc:
            raise UsageError(f"class weight file {text!r} is not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise UsageError(f'class weight file {text!r} must hold an object like {{"0": 2.5}}')
        pairs = list(raw.items())
    else:
        pairs = []
        for part in (p.strip() for p in text.split(",")):
            key, sep, value = part.partition("=")
            if not sep:
                raise UsageError(
                    f"class weight {part!r} is not CLASS=WEIGHT", hint="e.g. 0=1.0,1=3.5"
                )
            pairs.append((key, value))
    weights: dict[int, float] = {}
    for key, value in pairs:
        try:
            cls, weight = int(str(key).strip()), float(value)
        except (TypeError, ValueError, OverflowError):
            raise UsageError(
                f"class weight {key}={value} needs an integer class and a number"
            ) from None
        if abs(cls) >= 2**63:
            raise UsageError(f"class weight {key}={value}: class {cls} is too large")
        if not math.isfinite(weight):
            raise UsageError(f"class weight {key}={value}: the weight must be a finite number")
        weights[cls] = weight
    if not weights:
        raise UsageError("no class weights given", hint="e.g. 0=1.0,1=3.5")
    return weights


def class_sample_weights(
    y_true: np.ndarray,
    class_weight: Mapping[int, float],
    *,
    dtype: str = "float64",
    path: str | None = None,
    first_row: int = 0,
) -> np.ndarray:
    """One weight per row from its true class, exactly as Keras maps class_weight."""
    y = np.asarray(y_true)
    if y.ndim > 1:
        y = np.argmax(y, axis=-1) if y.shape[-1] != 1 else np.squeeze(y, axis=-1)
    if y.ndim != 1:
        raise InputDataError(
            f"class weights need one label per row, y_true has shape {np.shape(y_true)[1:]} per row",
            path=path,
            hint="Keras supports class_weight only for one label (or one-hot vector) per sample",
        )
    if not np.isfinite(y).all():
        row = first_row + int(np.argmax(~np.isfinite(y)))
        raise InputDataError("y_true is NaN or inf: no class to weigh", path=path, row=row)
    classes = np.round(y).astype(np.int64)
    keys = np.fromiter(class_weight.keys(), dtype=np.int64, count=len(class_weight))
    values = np.fromiter(class_weight.values(), dtype=np.float64, count=len(class_weight))
    out = np.ones(len(classes), dtype=dtype)
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    at = np.clip(np.searchsorted(keys, classes), 0, len(keys) - 1)
    hit = keys[at] == classes
    out[hit] = values[at[hit]]
    return out

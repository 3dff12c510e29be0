"""Helpers for the torch/sklearn/tfa differential tests: arrays → a file → `losscli eval`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from losscli.cli import app
from losscli.engine import evaluate_arrays

runner = CliRunner()


def write(path: Path, columns: dict[str, np.ndarray]) -> Path:
    """Scalar columns as they are; (N, K) arrays as K columns name_0..name_{K-1}."""
    table: dict[str, Any] = {}
    for name, array in columns.items():
        array = np.asarray(array)
        if array.ndim == 1:
            table[name] = array
        else:
            for k in range(array.shape[1]):
                table[f"{name}_{k}"] = array[:, k]
    pq.write_table(pa.table(table), path)
    return path


def cli(*args: str) -> Any:
    """Run `losscli eval ... --format json`; the first result's JSON object."""
    result = runner.invoke(app, ["eval", *args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["results"][0]


def cli_value(tmp_path: Path, spec: str, y_true: Any, y_pred: Any, *options: str) -> Any:
    """Write y_true/y_pred to Parquet (a vector as t_0.., p_0.. columns) and evaluate the spec
    through the CLI, selecting the columns by glob; the result's JSON object."""
    path = write(tmp_path / "case.parquet", {"t": y_true, "p": y_pred})
    t_cols = "t" if np.asarray(y_true).ndim == 1 else "t_*"
    p_cols = "p" if np.asarray(y_pred).ndim == 1 else "p_*"
    return cli(spec, str(path), "--y-true", t_cols, "--y-pred", p_cols, *options)


def cli_error(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["eval", *args])
    return result.exit_code, result.stderr


def value(
    spec: str, y_true: Any, y_pred: Any, weights: Any = None, reduction: str = "sum_over_batch_size"
) -> Any:
    """The reduced value (or the per-sample values for reduction none) from evaluate_arrays."""
    result = evaluate_arrays(spec, y_true, y_pred, weights, reduction=reduction)[0]
    return result.values if reduction == "none" else result.value

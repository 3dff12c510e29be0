"""Results for people (rich tables) and for scripts (JSON); no numerics, no I/O decisions.

Every renderer returns text or renderables; the CLI decides where they go.
"""

from __future__ import annotations

import json
import math
from typing import Any

from losscli._version import __version__

#: rows of per-sample values shown in a table before "… and N more"
TABLE_ROWS = 10


def json_number(value: float, where: str, warnings: list[str]) -> float | None:
    """JSON has no NaN or inf: write null and say so on stderr, so stdout always parses."""
    if math.isfinite(value):
        return value
    warnings.append(f"{where} is {value}; written as null in JSON")
    return None


def result_dict(result: Any, warnings: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "loss": result.loss.name,
        "spec": result.loss.canonical(),
        "params": _jsonable(result.loss.params),
        "reduction": result.reduction,
        "value": json_number(result.value, result.loss.canonical(), warnings),
        "count": result.count,
        "weight_sum": result.weight_sum,
    }
    if result.values is not None:
        bad = [i for i, v in enumerate(result.values.tolist()) if not math.isfinite(v)]
        if bad:
            warnings.append(
                f"{result.loss.canonical()}: {len(bad)} per-sample values are NaN or inf "
                f"(first at row {bad[0]}); written as null in JSON"
            )
        out["values"] = [v if math.isfinite(v) else None for v in result.values.tolist()]
    return out


def evaluation_dict(evaluation: Any, warnings: list[str]) -> dict[str, Any]:
    return {
        "losscli": __version__,
        "input": {
            "path": evaluation.input.path,
            "format": evaluation.input.format,
            "rows": evaluation.input.rows,
            "columns": evaluation.input.columns,
        },
        "dtype": evaluation.dtype,
        "results": [result_dict(r, warnings) for r in evaluation.results],
    }


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, allow_nan=False)


def format_value(value: float) -> str:
    """Enough digits to tell two runs apart (repr is shortest round-trip)."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:.10g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.6e}"


def results_table(evaluation: Any) -> Any:
    """A rich Table of one evaluation: one row per loss."""
    from rich.table import Table

    info = evaluation.input
    table = Table(
        title=f"{info.path} · {info.format} · {info.rows:,} rows",
        title_justify="left",
        caption=f"reduction={evaluation.reduction} · dtype={evaluation.dtype}",
        caption_justify="left",
    )
    table.add_column("loss", style="bold")
    table.add_column("value", justify="right")
    table.add_column("count", justify="right")
    table.add_column("weight sum", justify="right")
    for result in evaluation.results:
        table.add_row(
            result.loss.canonical(),
            "—" if result.values is not None else format_value(result.value),
            f"{result.count:,}",
            "—" if result.weight_sum is None else format_value(result.weight_sum),
        )
    return table


def per_sample_table(evaluation: Any, rows: int = TABLE_ROWS) -> Any:
    """The first per-sample values of `--reduction none`, one column per loss."""
    from rich.table import Table

    results = [r for r in evaluation.results if r.values is not None]
    table = Table(title="per-sample values", title_justify="left")
    table.add_column("row", justify="right", style="dim")
    for result in results:
        table.add_column(result.loss.canonical(), justify="right")
    n = max(len(r.values) for r in results)
    for i in range(min(rows, n)):
        table.add_row(
            str(i),
            *(format_value(float(r.values[i])) if i < len(r.values) else "" for r in results),
        )
    if n > rows:
        table.caption = f"… and {n - rows:,} more rows (use --format json for all)"
        table.caption_justify = "left"
    return table


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value

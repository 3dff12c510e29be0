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
        # reduction none has no single value (Keras returns the per-sample array): see values
        "value": None
        if result.reduction == "none"
        else json_number(result.value, result.loss.canonical(), warnings),
        "count": result.count,
        "weight_sum": result.weight_sum,
    }
    if result.values is not None:
        import numpy as np

        values = result.values
        finite = np.isfinite(values)
        if not finite.all():
            rows = ~finite.reshape(len(values), -1).all(axis=1)
            warnings.append(
                f"{result.loss.canonical()}: {int((~finite).sum())} per-sample values are NaN "
                f"or inf (first at row {int(np.argmax(rows))}); written as null in JSON"
            )
            values = values.astype(object)  # Python floats; sequence rows stay nested lists
            values[~finite] = None
        out["values"] = values.tolist()
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
    """JSON text; NaN and infinity (which JSON cannot hold) anywhere become null."""
    return json.dumps(_finite(data), indent=2, allow_nan=False)


def _finite(data: Any) -> Any:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value) for value in data]
    return data


def format_value(value: float) -> str:
    """Enough digits to tell two runs apart (repr is shortest round-trip)."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:.10g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.6e}"


def new_table(title: str, caption: str | None = None, **options: Any) -> Any:
    """A rich Table with its title and caption on the left, as every losscli table has them."""
    from rich.table import Table

    return Table(
        title=title, title_justify="left", caption=caption, caption_justify="left", **options
    )


def input_title(info: Any) -> str:
    """`path · format · 1,234 rows`: the title of a table about one input."""
    return f"{info.path} · {info.format} · {info.rows:,} rows"


def results_table(evaluation: Any) -> Any:
    """A rich Table of one evaluation: one row per loss."""
    table = new_table(
        input_title(evaluation.input),
        f"reduction={evaluation.reduction} · dtype={evaluation.dtype}",
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
    results = [r for r in evaluation.results if r.values is not None]
    table = new_table("per-sample values")
    table.add_column("row", justify="right", style="dim")
    for result in results:
        table.add_column(result.loss.canonical(), justify="right")
    n = max(len(r.values) for r in results)
    for i in range(min(rows, n)):
        table.add_row(
            str(i), *(_sample_cell(r.values[i]) if i < len(r.values) else "" for r in results)
        )
    if n > rows:
        table.caption = f"… and {n - rows:,} more rows (use --format json for all)"
    return table


def _sample_cell(value: Any, shown: int = 4) -> str:
    """One row's value; a sequence row (one value per timestep) as its first few values."""
    import numpy as np

    flat = np.asarray(value, dtype=np.float64).reshape(-1)
    if np.ndim(value) == 0:
        return format_value(float(flat[0]))
    cells = ", ".join(f"{v:.4g}" for v in flat[:shown].tolist())
    more = f", … ({len(flat)} values)" if len(flat) > shown else ""
    return f"[{cells}{more}]"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# --- flat formats (CSV for spreadsheets, Markdown for PR comments) -------------------------

#: the columns of one result row in csv / markdown output
RESULT_COLUMNS = ("loss", "spec", "reduction", "value", "count", "weight_sum")

_BARS = " ▁▂▃▄▅▆▇█"


def result_row(result: Any, **extra: Any) -> dict[str, Any]:
    """One LossResult as a flat row (extra keys, such as a group, go first)."""
    return {
        **extra,
        "loss": result.loss.name,
        "spec": result.loss.canonical(),
        "reduction": result.reduction,
        "value": result.value,
        "count": result.count,
        "weight_sum": result.weight_sum,
    }


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """RFC 4180 CSV with a header; floats in shortest round-trip form, None as empty."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    return out.getvalue()


def to_markdown(rows: list[dict[str, Any]], columns: list[str], title: str | None = None) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned), e.g. for a PR comment."""
    numeric = {c for c in columns if rows and all(isinstance(r.get(c), (int, float)) for r in rows)}
    lines = [f"**{_md(title)}**", ""] if title else []
    lines.append("| " + " | ".join(_md(c) for c in columns) + " |")
    lines.append("|" + "|".join("---:" if c in numeric else "---" for c in columns) + "|")
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c)
            cells.append("" if value is None else _md(_pretty(value)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _pretty(value: Any) -> str:
    if isinstance(value, float):
        return format_value(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# --- breakdown renderables -------------------------------------------------------------------


def histogram_bar(counts: list[int]) -> str:
    """`▁▃█▅▂ ` — one character per bin, height relative to the fullest bin."""
    top = max(counts) if counts else 0
    if not top:
        return ""
    return "".join(_BARS[0 if c == 0 else max(1, round(c / top * 8))] for c in counts)


def spread_table(names: list[str], spreads: list[Any]) -> Any:
    """min / p50 / p90 / p99 / max of each loss's per-sample values, and a histogram."""
    from rich import box

    table = new_table(
        "per-sample distribution (histogram: min → max)", box=box.SIMPLE_HEAD, pad_edge=False
    )
    # numbers never shrink into "0.3…": a long loss name folds onto a second line instead
    table.add_column("loss", style="bold", overflow="fold", min_width=12)
    for q in ("min", "p50", "p90", "p99", "max"):
        table.add_column(q, justify="right", no_wrap=True, min_width=8)
    table.add_column("histogram", no_wrap=True, min_width=8)
    for name, spread in zip(names, spreads, strict=True):
        if spread is None:
            continue
        if not spread.quantiles:
            table.add_row(name, *(["—"] * 5), f"all {spread.nan_count:,} not finite")
            continue
        bar = histogram_bar(spread.counts)
        if spread.nan_count:
            bar += f"  (+{spread.nan_count:,} not finite)"
        cells = [f"{v:.3g}" for v in spread.quantiles.values()]
        if not spread.exact:  # quantiles of a uniform sample; min and max stay exact
            cells[1:4] = [f"≈{c}" for c in cells[1:4]]
            bar += f"  (sample of {spread.count - spread.nan_count:,})"
        table.add_row(name, *cells, bar)
    return table


def top_table(name: str, worst: list[Any], keep: list[str]) -> Any:
    """The K rows with the largest loss, for error analysis."""
    table = new_table(f"largest {name} per sample")
    table.add_column("row", justify="right", style="dim")
    for column in keep:
        table.add_column(column)
    table.add_column(name, justify="right")
    for item in worst:
        table.add_row(
            str(item.row), *(str(item.keys.get(c)) for c in keep), format_value(item.value)
        )
    return table


def groups_table(column: str, groups: list[tuple[Any, list[Any]]], overall: list[Any]) -> Any:
    """One row per (group, loss) and the overall results last."""
    table = new_table(f"by {column}")
    table.add_column(column, style="bold")
    table.add_column("loss")
    table.add_column("value", justify="right")
    table.add_column("count", justify="right")
    for key, results in [*groups, ("(all)", overall)]:
        for result in results:
            table.add_row(
                "null" if key is None else str(key),
                result.loss.canonical(),
                format_value(result.value),
                f"{result.count:,}",
            )
    return table


def heads_table(evaluation: Any) -> Any:
    """Each head's loss, weight and weighted value, and Keras's weighted total."""
    table = new_table(
        input_title(evaluation.input),
        f"total = Σ weight × value, as Keras's compile(loss_weights=…) · dtype={evaluation.dtype}",
    )
    table.add_column("head", style="bold")
    table.add_column("loss")
    table.add_column("reduction")
    table.add_column("value", justify="right")
    table.add_column("weight", justify="right")
    table.add_column("weighted", justify="right")
    for item in evaluation.heads:
        table.add_row(
            item.head.name,
            item.result.loss.canonical(),
            item.result.reduction,
            format_value(item.result.value),
            "—" if item.head.weight is None else format_value(item.head.weight),
            format_value(item.weighted),
        )
    table.add_section()
    table.add_row("total", "", "", "", "", format_value(evaluation.total), style="bold")
    return table


def checks_table(config: str, rows: list[dict[str, Any]]) -> Any:
    """The pass/fail table of `losscli check`."""
    passed = sum(r["status"] == "PASS" for r in rows)
    table = new_table(f"losscli check {config}", f"{passed}/{len(rows)} passed")
    table.add_column("check", style="bold")
    table.add_column("loss")
    table.add_column("value", justify="right")
    table.add_column("bounds")
    baselines = any(row.get("baseline", "—") != "—" for row in rows)
    if baselines:
        table.add_column("vs baseline")
    table.add_column("status")
    styles = {"PASS": "green", "FAIL": "red bold", "ERROR": "magenta bold"}
    for row in rows:
        value = row["value"]
        table.add_row(
            row["check"],
            row["loss"],
            "—" if value is None else format_value(value),
            row["bounds"],
            *([row["baseline"]] if baselines else []),
            f"[{styles[row['status']]}]{row['status']}[/]",
        )
    return table

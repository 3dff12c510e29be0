"""The terminal screens of eval (one file, many files, heads) and check, from their documents.

Every screen is a list of layout lines fitted to a width (layout.py): loss names, numbers
and status words are never cut; titles and check names wrap at spaces. Colour is only a
style on a segment: the console drops it when piped or under NO_COLOR.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from losscli.report.layout import Cell, Column, Line, fit_parts, line, table, wrap
from losscli.report.numbers import format_column, format_count, format_short, format_value

#: rows of per-sample values shown before "… and N more"
TABLE_ROWS = 10
_BARS = " ▁▂▃▄▅▆▇█"
STATUS_STYLES = {"PASS": "green", "FAIL": "red bold", "ERROR": "magenta bold"}


def title(text: str, width: int) -> list[Line]:
    return [line(part, "bold") for part in wrap(text, width)]


def note(text: str, width: int) -> list[Line]:
    return [line(part, "dim") for part in wrap(text, width)]


def input_title(info: dict[str, Any]) -> str:
    """`path · format · 1,234 rows`: the title of a screen about one input."""
    return f"{info['path']} · {info['format']} · {info['rows']:,} rows"


def settings_line(doc: dict[str, Any], width: int) -> list[Line]:
    """reduction · weights · dtype · input hash, as many as fit (the JSON has the whole
    reproducibility signature, version included)."""
    columns = [doc["input"].get("columns", {}), *(h["columns"] for h in doc.get("heads", []))]
    weights = list(dict.fromkeys(w for c in columns for w in c.get("sample_weight") or []))
    weighted = f"weights={','.join(weights)}" if weights else "unweighted"
    if doc.get("class_weight"):
        weighted = f"{weighted}×class_weight" if weights else "weights=class_weight"
    inputs = doc.get("reproducibility", {}).get("inputs", [])
    shas = [i["sha256"][:6] for i in inputs if i.get("sha256")]
    parts = [
        f"reduction={doc['reduction']}",
        weighted,
        doc["dtype"],
        *([f"sha:{'+'.join(shas)}"] if shas else []),
    ]
    return note(fit_parts(parts, width), width)


def eval_screen(doc: dict[str, Any], width: int) -> list[Line]:
    """One file: the result table, one settings line, then whatever else was asked for."""
    results = doc["results"]
    gates = _gates(doc)
    columns = [
        Column("loss", style="bold"),
        Column("value", "right"),
        Column("count", "right"),
        Column("weight sum", "right"),
    ]
    values = format_column([r["value"] for r in results])
    sums = [format_value(r["weight_sum"]) for r in results]  # data, not a loss: as given
    rows = [
        [r["spec"], v, format_count(r["count"]), s]
        for r, v, s in zip(results, values, sums, strict=True)
    ]
    intervals = [r["ci"] for r in results if "ci" in r]
    if intervals:  # eval --ci: the interval beside each value
        columns.insert(2, Column(f"{level_text(intervals[0]['level'])} CI"))
        for row, r in zip(rows, results, strict=True):
            row.insert(2, interval_text(r.get("ci")))
    if gates:
        columns += [Column("bounds"), Column("status")]
        rows = [
            [*row, *_gate_cells(gates.get(r["spec"]))] for row, r in zip(rows, results, strict=True)
        ]
    out = [*title(input_title(doc["input"]), width), *table(columns, rows, width)]
    if intervals:
        first = intervals[0]
        out += note(
            f"{level_text(first['level'])} confidence intervals: percentiles of "
            f"{first['replicates']:,} Poisson bootstrap replicates, seed {first['seed']}",
            width,
        )
    out += settings_line(doc, width)
    if any("values" in r for r in results):
        out += [[], *per_sample_lines(results, width)]
    if doc.get("distribution"):
        out += [[], *distribution_lines(doc["distribution"], width)]
    if "groups" in doc:
        out += [[], *groups_lines(doc["groups"], results, width)]
    for spec, worst in doc.get("top", {}).items():
        out += [[], *top_lines(spec, worst, width)]
    return out


def _gates(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["target"]: t for t in doc.get("thresholds", [])}


def _gate_cells(gate: dict[str, Any] | None) -> list[Any]:
    if gate is None:
        return ["—", ""]
    status = "PASS" if gate["passed"] else "FAIL"
    return [bounds_text(gate["bounds"]), Cell(status, STATUS_STYLES[status])]


def level_text(level: float) -> str:
    """0.95 → `95%`."""
    return f"{level * 100:g}%"


def interval_text(ci: dict[str, Any] | None) -> str:
    """`[0.4312, 0.5161]`: four significant digits tell an interval's ends apart."""
    if ci is None or ci["low"] is None or ci["high"] is None:
        return "—"
    return f"[{ci['low']:.4g}, {ci['high']:.4g}]"


def margin_text(margin: dict[str, Any]) -> str:
    """An allowed regression as written: `1%` (relative) or `0.005` (absolute)."""
    return f"{margin['value'] * 100:g}%" if margin["relative"] else f"{margin['value']:g}"


def baseline_text(baseline: dict[str, Any] | None, cell: bool = False) -> str:
    """`0.3475 (-7.35%) Δ ≤ 1%`: the baseline's value, the change, the allowed regression;
    as a table `cell`, `0.3475 -7.35%` above `Δ ≤ 1%` (narrow enough for 80 columns)."""
    if baseline is None:
        return "—"
    if baseline["error"] or baseline["value"] is None or baseline["difference"] is None:
        return "error"
    relative = baseline["relative"]
    change = f"{relative:+.2%}" if relative is not None else f"{baseline['difference']:+.4g}"
    text = f"{baseline['value']:.4g} {change}" if cell else f"{baseline['value']:.4g} ({change})"
    if baseline["max_regression"] is not None:
        sign = "≤" if baseline["passed"] else ">"
        sep = "\n" if cell else " "
        text += f"{sep}Δ {sign} {margin_text(baseline['max_regression'])}"
    return text


def bounds_text(bounds: Sequence[dict[str, Any]]) -> str:
    return " ".join(f"{'≤' if b['kind'] == 'above' else '≥'} {b['limit']:g}" for b in bounds)


def per_sample_lines(results: list[dict[str, Any]], width: int) -> list[Line]:
    """The first per-sample values of `--reduction none`, one column per loss."""
    shown = [r for r in results if "values" in r]
    n = max(len(r["values"]) for r in shown)
    columns = [Column("row", "right", style="dim")]
    cells = []
    for r in shown:
        columns.append(Column(r["spec"], "right"))
        head = r["values"][:TABLE_ROWS]
        if getattr(head, "ndim", 1) > 1:
            cells.append([_sequence_cell(v) for v in head])
        else:
            cells.append(format_column([float(v) for v in head]))
    rows = [
        [str(i), *(c[i] if i < len(c) else "" for c in cells)] for i in range(min(TABLE_ROWS, n))
    ]
    out = [*title("per-sample values", width), *table(columns, rows, width)]
    if n > TABLE_ROWS:
        out += note(f"… and {n - TABLE_ROWS:,} more rows (--format json has all)", width)
    return out


def _sequence_cell(value: Any, shown: int = 3) -> str:
    """A sequence row (one value per timestep) as its first few values."""
    import numpy as np

    flat = np.asarray(value, dtype=np.float64).reshape(-1)
    cells = ", ".join(f"{v:.4g}" for v in flat[:shown].tolist())
    more = f", … ({len(flat)} values)" if len(flat) > shown else ""
    return f"[{cells}{more}]"


def histogram_bar(counts: list[int]) -> str:
    """`▁▃█▅▂ ` — one character per bin, height relative to the fullest bin."""
    top = max(counts) if counts else 0
    if not top:
        return ""
    return "".join(_BARS[0 if c == 0 else max(1, round(c / top * 8))] for c in counts)


def distribution_lines(spreads: list[dict[str, Any]], width: int) -> list[Line]:
    """min / p50 / p90 / p99 / max of each loss's per-sample values, and a histogram."""
    columns = [Column("loss", style="bold")]
    columns += [Column(q, "right") for q in ("min", "p50", "p90", "p99", "max")]
    columns.append(Column("histogram", kind="cut"))
    rows = []
    sampled = []
    for s in spreads:
        finite = s["count"] - s["nan_count"]
        if not s["quantiles"]:
            rows.append([s["spec"], *(["—"] * 5), f"all {s['nan_count']:,} not finite"])
            continue
        cells = [format_short(v) for v in s["quantiles"].values()]
        if not s["exact"]:  # quantiles of a uniform sample; min and max stay exact
            cells[1:4] = [f"≈{c}" for c in cells[1:4]]
            sampled.append(f"{s['spec']}: ≈ from a sample of {finite:,}")
        bar = histogram_bar(s["histogram"]["counts"])
        if s["nan_count"]:
            bar += f" +{s['nan_count']:,} not finite"
        rows.append([s["spec"], *cells, bar])
    out = [*title("per-sample distribution (histogram: min → max)", width)]
    out += table(columns, rows, width)
    for text in sampled:
        out += note(text, width)
    return out


def groups_lines(groups: dict[str, Any], overall: list[dict[str, Any]], width: int) -> list[Line]:
    """One row per (group, loss) and the overall results last."""
    column = groups["column"]
    entries = [(g["key"], g["results"]) for g in groups["values"]] + [("(all)", overall)]
    flat = [(key, r) for key, results in entries for r in results]
    values = format_column([r["value"] for _, r in flat])
    rows = [
        ["null" if key is None else str(key), r["spec"], v, format_count(r["count"])]
        for (key, r), v in zip(flat, values, strict=True)
    ]
    columns = [
        Column(column, kind="wrap", style="bold"),
        Column("loss"),
        Column("value", "right"),
        Column("count", "right"),
    ]
    return [*title(f"by {column}", width), *table(columns, rows, width)]


def top_lines(spec: str, worst: list[dict[str, Any]], width: int) -> list[Line]:
    """The K rows with the largest loss, for error analysis."""
    keys = list(worst[0]["keys"]) if worst else []
    columns = [Column("row", "right", style="dim")]
    columns += [Column(k, kind="wrap") for k in keys]
    columns.append(Column(spec, "right"))
    values = format_column([w["value"] for w in worst])
    rows = [
        [str(w["row"]), *(str(w["keys"].get(k)) for k in keys), v]
        for w, v in zip(worst, values, strict=True)
    ]
    return [*title(f"largest {spec} per sample", width), *table(columns, rows, width)]


def heads_screen(doc: dict[str, Any], width: int) -> list[Line]:
    """Each head's loss, weight and weighted value, and Keras's weighted total."""
    heads = doc["heads"]
    gates = _gates(doc)
    values = format_column([h["value"] for h in heads])
    weighted = format_column([*(h["weighted"] for h in heads), doc["total"]])
    weights = [format_value(h["weight"]) for h in heads]
    columns = [
        Column("head", style="bold"),
        Column("loss"),
        Column("value", "right"),
        Column("weight", "right"),
        Column("weighted", "right"),
    ]
    rows: list[list[Any]] = [
        [h["name"], h["spec"], v, w, x]
        for h, v, w, x in zip(heads, values, weights, weighted[:-1], strict=True)
    ]
    rows.append([Cell("total", "bold"), "", "", "", Cell(weighted[-1], "bold")])
    if gates:
        columns += [Column("bounds"), Column("status")]
        labels = [f"head {h['name']}" for h in heads] + ["total"]
        rows = [
            [*row, *_gate_cells(gates.get(label))] for row, label in zip(rows, labels, strict=True)
        ]
    out = [*title(input_title(doc["input"]), width), *table(columns, rows, width)]
    out += note("total = Σ weight × value, as Keras's compile(loss_weights=…)", width)
    return out + settings_line(doc, width)


def files_screen(doc: dict[str, Any], width: int) -> list[Line]:
    """A row per file (paths relative to their common folder) and a chart per loss."""
    from losscli.report.chart import chart_lines

    files = doc["files"]
    paths = [f["input"]["path"] for f in files]
    # files of one folder (checkpoints, epochs): the folder once in the title, names below
    folder = os.path.dirname(paths[0])
    if any(os.path.dirname(p) != folder for p in paths):
        folder = ""
    shown = [p[len(folder) + 1 :] if folder else p for p in paths]
    specs = [r["spec"] for r in files[0]["results"]]
    columns = [Column("#", "right", style="dim"), Column("file", kind="wrap")]
    columns += [Column("rows", "right")] + [Column(s, "right", style="bold") for s in specs]
    per_spec = [format_column([f["results"][i]["value"] for f in files]) for i in range(len(specs))]
    rows = [
        [str(n), path, format_count(f["input"]["rows"]), *(col[n - 1] for col in per_spec)]
        for n, (path, f) in enumerate(zip(shown, files, strict=True), 1)
    ]
    where = f" in {folder}/" if folder else ""
    out = [*title(f"{len(files)} files{where}", width), *table(columns, rows, width)]
    first = files[0]
    out += note(
        fit_parts([f"reduction={first['reduction']}", first["dtype"]], width),
        width,
    )
    for i, spec in enumerate(specs):
        values = [f["results"][i]["value"] for f in files]
        if any(v is None for v in values):
            continue  # reduction none: no value per file to chart
        if doc.get("chart") == "lines":  # eval --plot: a line chart, one point per file
            from losscli.report.plot import line_chart_text

            out += [[], line(f"{spec} over the files", "bold")]
            out += [line(text) for text in line_chart_text(values, width=width)]
            continue
        out += [[], line(f"{spec} across files", "bold")]
        out += [line(text) for text in chart_lines(values, width=width)]
    return out


def check_screen(doc: dict[str, Any], width: int) -> list[Line]:
    """The pass/fail table of `losscli check`, with the counts below it."""
    checks = doc["checks"]
    values = format_column([c["value"] for c in checks])
    baselines = any(c.get("baseline") for c in checks)
    rows = []
    for c, v in zip(checks, values, strict=True):
        bounds = [
            {"kind": kind, "limit": c[f"fail_{kind}"]}
            for kind in ("above", "below")
            if c[f"fail_{kind}"] is not None
        ]
        status = c["status"].upper()
        rows.append(
            [
                c["name"],
                c["spec"],
                v,
                bounds_text(bounds) or "—",
                *([baseline_text(c["baseline"], cell=True)] if baselines else []),
                Cell(status, STATUS_STYLES[status]),
            ]
        )
    columns = [
        Column("check", kind="wrap", style="bold"),
        Column("loss", kind="wrap"),
        Column("value", "right"),
        Column("bounds"),
        *([Column("vs baseline", kind="wrap")] if baselines else []),
        Column("status"),
    ]
    counts = doc["counts"]
    summary = f"{counts['pass']}/{len(checks)} passed"
    if counts["fail"] or counts["error"]:
        errors = "error" if counts["error"] == 1 else "errors"
        summary += f" · {counts['fail']} failed · {counts['error']} {errors}"
    out = [*title(f"losscli check {doc['config']}", width), *table(columns, rows, width)]
    return out + note(summary, width)

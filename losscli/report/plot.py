"""Charts: a loss over many files (checkpoints, epochs) and two models' per-sample losses,
from the `files` and `compare` result documents (document.py, comparison.py).

Terminal charts are lines of text fitted to a width (the screens in text.py and comparison.py
place them); file charts are standalone SVG (or an HTML page holding
the SVG and a table of the values) written by hand: a chart of a few lines and points needs
no plotting library, the runtime dependencies stay as they are, and the file opens in any
browser without a network (no scripts, no fonts, no CDN). Every point carries its value in a
`data-value` attribute and a `<title>` tooltip, so the chart is also machine-checkable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np

WIDTH, PANEL, LEFT, RIGHT, TOP, BOTTOM = 760, 280, 84, 24, 36, 56
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def number(x: float) -> str:
    """A value as people read it on an axis or in a tooltip."""
    if not math.isfinite(x):
        return str(x)
    return f"{x:.4g}" if x == 0 or 1e-3 <= abs(x) < 1e5 else f"{x:.3e}"


def ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round values covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(low / step) * step
    out = []
    value = start
    while value < high + step * 0.999:
        out.append(round(value, 12))
        value += step
    return out


# --- terminal -----------------------------------------------------------------------------


def line_chart_text(
    values: Sequence[float], *, width: int = 60, height: int = 10, title: str = ""
) -> list[str]:
    """A line chart as text: ● at each file's value, · between them, y labels, file numbers."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return [f"{title}: no finite values to chart" if title else "no finite values to chart"]
    low, high = min(finite), max(finite)
    span = high - low or 1.0
    label = max(len(number(high)), len(number(low)))
    n = len(values)
    cols = max(1, min(width - label - 3, max(n, 2) * 6))
    xs = [round(i * (cols - 1) / max(n - 1, 1)) for i in range(n)]
    grid = [[" "] * cols for _ in range(height)]

    def row_of(v: float) -> int:
        return height - 1 - round((v - low) / span * (height - 1))

    for i in range(n - 1):
        a, b = values[i], values[i + 1]
        if not (math.isfinite(a) and math.isfinite(b)):
            continue
        for x in range(xs[i] + 1, xs[i + 1]):
            t = (x - xs[i]) / (xs[i + 1] - xs[i])
            grid[row_of(a + t * (b - a))][x] = "·"
    for x, v in zip(xs, values, strict=True):
        if math.isfinite(v):
            grid[row_of(v)][x] = "●"
    lines = [title] if title else []
    for r, cells in enumerate(grid):
        axis = number(high) if r == 0 else number(low) if r == height - 1 else ""
        lines.append(f"{axis:>{label}} ┤{''.join(cells).rstrip()}")
    lines.append(" " * label + " └" + "─" * cols)
    marks = [" "] * (cols + 4)
    for i, x in enumerate(xs):
        text = str(i + 1)
        if all(c == " " for c in marks[max(x - 1, 0) : x + len(text) + 1]):
            marks[x : x + len(text)] = list(text)
    ticks_line = " " * (label + 2) + "".join(marks).rstrip()
    if len(ticks_line) + 16 <= width:
        lines.append(ticks_line + "   (file number)")
    else:
        lines += [ticks_line, " " * (label + 2) + "(file number)"]
    return lines


def histogram_text(
    edges: Sequence[float],
    baseline: Sequence[int],
    candidate: Sequence[int],
    *,
    bins: int = 10,
    width: int = 80,
    title: str = "",
) -> list[str]:
    """Two per-sample distributions side by side on shared bins: baseline │ candidate. The
    document's bins are merged to about `bins` rows."""
    if not len(baseline):
        return [f"{title}: no finite per-sample values" if title else "no finite per-sample values"]
    step = max(1, math.ceil(len(baseline) / bins))
    cuts = list(range(0, len(baseline), step))
    counts = [[int(sum(c[k : k + step])) for k in cuts] for c in (baseline, candidate)]
    bounds = [edges[k] for k in cuts] + [edges[-1]]
    top = max(max(c) for c in counts) or 1
    label = max(len(number(e)) for e in bounds)
    digits = max(len(str(n)) for c in counts for n in c)
    # label – label␣␣bar␣count␣│␣bar␣count
    bar = max(4, (width - (2 * label + 5) - 2 * (digits + 1) - 3) // 2)
    lines = [title] if title else []
    lines.append(f"{'':>{label * 2 + 3}}  {'baseline':<{bar + digits + 2}}candidate")
    for i in range(len(cuts)):
        cells = [f"{'█' * round(c[i] / top * bar):<{bar}} {c[i]:>{digits}}" for c in counts]
        lo, hi = number(bounds[i]), number(bounds[i + 1])
        lines.append(f"{lo:>{label}} – {hi:>{label}}  {cells[0]} │ {cells[1]}".rstrip())
    return lines


# --- SVG / HTML ---------------------------------------------------------------------------


def svg_lines(series: Sequence[tuple[str, Sequence[float]]], files: Sequence[str]) -> str:
    """One panel per loss: its value over the files, in the order given."""
    height = TOP + len(series) * PANEL
    parts = [_svg_open(height, "loss over files")]
    for k, (name, values) in enumerate(series):
        top = TOP + k * PANEL
        finite = [v for v in values if math.isfinite(v)]
        y_ticks = ticks(min(finite), max(finite)) if finite else [0.0, 1.0]
        frame = _Frame(top, 0, max(len(values) - 1, 1), y_ticks[0], y_ticks[-1])
        parts.append(frame.axes(name, y_ticks, "file (in the order given)"))
        for i, path in enumerate(files):
            x = frame.x(i)
            parts.append(
                f'<text x="{x:.1f}" y="{frame.bottom + 16:.1f}" text-anchor="middle">{i + 1}'
                f"<title>{escape(path)}</title></text>"
            )
        points = [(frame.x(i), frame.y(v)) for i, v in enumerate(values) if math.isfinite(v)]
        color = COLORS[k % len(COLORS)]
        if len(points) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        for i, (path, v) in enumerate(zip(files, values, strict=True)):
            if not math.isfinite(v):
                continue
            parts.append(
                f'<circle class="point" cx="{frame.x(i):.1f}" cy="{frame.y(v):.1f}" r="3.5" '
                f'fill="{color}" data-series="{escape(name)}" data-file="{escape(path)}" '
                f'data-value="{v!r}"><title>{escape(path)}: {escape(name)} = {number(v)}'
                "</title></circle>"
            )
    parts.append("</svg>")
    return "\n".join(parts)


def svg_histograms(
    panels: Sequence[tuple[str, Sequence[float], Sequence[int], Sequence[int]]],
) -> str:
    """Per loss, both models' per-sample values as overlaid histograms on shared bins."""
    parts = [_svg_open(TOP + len(panels) * PANEL, "per-sample losses of two models")]
    for p, (name, edges, baseline, candidate) in enumerate(panels):
        if not len(baseline):
            edges, baseline, candidate = [0.0, 1.0], [0], [0]
        counts = [np.asarray(baseline), np.asarray(candidate)]
        y_ticks = ticks(0.0, float(max(int(c.max()) for c in counts) or 1))
        top = TOP + p * PANEL
        frame = _Frame(top, float(edges[0]), float(edges[-1]), 0.0, y_ticks[-1])
        parts.append(frame.axes("samples", y_ticks, f"per-sample {name}"))
        for x_tick in ticks(float(edges[0]), float(edges[-1])):
            if edges[0] <= x_tick <= edges[-1]:
                parts.append(
                    f'<text x="{frame.x(x_tick):.1f}" y="{frame.bottom + 16:.1f}" '
                    f'text-anchor="middle">{number(x_tick)}</text>'
                )
        for k, (label, c) in enumerate((("baseline", counts[0]), ("candidate", counts[1]))):
            color = COLORS[k]
            for i, count in enumerate(c):
                x0, x1 = frame.x(float(edges[i])), frame.x(float(edges[i + 1]))
                y = frame.y(float(count))
                parts.append(
                    f'<rect class="bin" x="{x0:.1f}" y="{y:.1f}" '
                    f'width="{max(x1 - x0, 0.5):.1f}" height="{frame.bottom - y:.1f}" '
                    f'fill="{color}" fill-opacity="0.45" data-series="{escape(name)}" '
                    f'data-model="{label}" data-low="{edges[i]!r}" '
                    f'data-high="{edges[i + 1]!r}" data-count="{int(count)}"><title>{label}: '
                    f"{int(count)} samples in [{number(edges[i])}, {number(edges[i + 1])})"
                    "</title></rect>"
                )
            parts.append(
                f'<rect x="{WIDTH - 200}" y="{top + 20 + 18 * k}" width="12" height="12" '
                f'fill="{color}" fill-opacity="0.6"/><text x="{WIDTH - 182}" '
                f'y="{top + 30 + 18 * k}">{label} ({int(c.sum())} samples)</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts)


def html_page(title: str, svgs: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A standalone page: the charts and a table of the values (first row: the header)."""
    head, *body = rows or [[]]
    table = ["<table>", "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for row in body:
        table.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    table.append("</table>")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(title)}</title>",
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}</style>",
            "</head><body>",
            f"<h1>{escape(title)}</h1>",
            *svgs,
            *table,
            "</body></html>",
            "",
        ]
    )


def _svg_open(height: float, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{WIDTH}" height="{height:.0f}" fill="white"/>'
    )


class _Frame:
    """A panel's plotting area and its data → pixel mapping."""

    def __init__(self, top: float, x0: float, x1: float, y0: float, y1: float) -> None:
        self.left, self.right = LEFT, WIDTH - RIGHT
        self.top, self.bottom = top + 16, top + PANEL - BOTTOM
        self.x0, self.x1 = x0, (x1 if x1 != x0 else x0 + 1)
        self.y0, self.y1 = y0, (y1 if y1 != y0 else y0 + 1)

    def x(self, value: float) -> float:
        return self.left + (value - self.x0) / (self.x1 - self.x0) * (self.right - self.left)

    def y(self, value: float) -> float:
        return self.bottom - (value - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)

    def axes(self, y_label: str, y_ticks: Sequence[float], x_label: str) -> str:
        out = [
            f'<line x1="{self.left}" y1="{self.bottom}" x2="{self.right}" y2="{self.bottom}" '
            'stroke="black"/>',
            f'<line x1="{self.left}" y1="{self.top}" x2="{self.left}" y2="{self.bottom}" '
            'stroke="black"/>',
        ]
        for t in y_ticks:
            y = self.y(t)
            out.append(
                f'<line x1="{self.left}" y1="{y:.1f}" x2="{self.right}" y2="{y:.1f}" '
                'stroke="#ddd"/>'
                f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end">{number(t)}</text>'
            )
        middle = (self.top + self.bottom) / 2
        out.append(
            f'<text x="16" y="{middle:.1f}" text-anchor="middle" '
            f'transform="rotate(-90 16 {middle:.1f})" font-weight="bold">{escape(y_label)}</text>'
        )
        out.append(
            f'<text x="{(self.left + self.right) / 2:.1f}" y="{self.bottom + 36:.1f}" '
            f'text-anchor="middle">{escape(x_label)}</text>'
        )
        return "\n".join(out)


def files_chart(doc: dict[str, Any], target: str) -> str:
    """`eval FILES… --plot chart.svg|.html`: each loss over the files, from a files document."""
    from losscli.report.numbers import format_value

    files = [f["input"]["path"] for f in doc["files"]]
    series = [
        (r["spec"], [f["results"][i]["value"] for f in doc["files"]])
        for i, r in enumerate(doc["files"][0]["results"])
    ]
    svg = svg_lines(series, files)
    if target.lower().endswith(".svg"):
        return svg + "\n"
    rows = [["#", "file", *(name for name, _ in series)]]
    rows += [
        [str(j + 1), path, *(format_value(values[j]) for _, values in series)]
        for j, path in enumerate(files)
    ]
    return html_page("losscli: loss over files", [svg], rows)


def compare_chart(doc: dict[str, Any], target: str) -> str:
    """`compare --plot chart.svg|.html`: both models' per-sample losses, from a compare
    document (its `histogram` entries)."""
    from losscli.report.numbers import format_value

    panels = [
        (
            x["loss"],
            x["histogram"]["edges"],
            x["histogram"]["baseline"],
            x["histogram"]["candidate"],
        )
        for x in doc["losses"]
    ]
    svg = svg_histograms(panels)
    if target.lower().endswith(".svg"):
        return svg + "\n"
    rows = [["loss", "baseline", "candidate", "Δ", "p"]]
    rows += [
        [
            x["loss"],
            format_value(x["baseline"]["value"]),
            format_value(x["candidate"]["value"]),
            format_value(x["difference"]["value"]),
            format_value(x["p_value"]),
        ]
        for x in doc["losses"]
    ]
    return html_page("losscli compare", [svg], rows)

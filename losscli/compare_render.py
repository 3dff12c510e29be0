"""Renderers of comparisons and confidence intervals: tables, JSON, Markdown and charts.

Renderers only, like render.py: they return JSON-ready dicts, rich renderables or text and
never print. The JSON schemas are documented in the README ("Comparing two models").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from losscli._version import __version__
from losscli.render import format_value, new_table

COLUMNS = [
    "loss",
    "baseline",
    "candidate",
    "difference",
    "relative",
    "ci_low",
    "ci_high",
    "p_value",
    "verdict",
]


def _num(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def interval_text(ci: Any, digits: int = 4) -> str:
    if ci is None or not math.isfinite(ci.low):
        return "—"
    return f"[{ci.low:.{digits}g}, {ci.high:.{digits}g}]"


def comparison_dict(c: Any) -> dict[str, Any]:
    """The `compare --format json` document (schema in the README)."""

    def model(m: Any) -> dict[str, Any]:
        return {"path": m.path, "y_pred": m.y_pred, "rows": m.rows, "format": m.format}

    return {
        "losscli": __version__,
        "baseline": model(c.baseline),
        "candidate": model(c.candidate),
        "labels": c.baseline.labels,
        "paired_on": c.paired_on,
        "bootstrap": {
            "level": c.level,
            "replicates": c.replicates,
            "seed": c.seed,
            "method": "poisson bootstrap, percentile interval",
            "p_value": "paired bootstrap, two-sided, null-centred",
        },
        "margin": None
        if c.margin is None
        else {"value": c.margin.value, "relative": c.margin.relative},
        "failed": c.failed,
        "losses": [
            {
                "loss": x.spec,
                "reduction": x.reduction,
                "baseline": {"value": _num(x.baseline), "ci": x.baseline_ci.as_dict()},
                "candidate": {"value": _num(x.candidate), "ci": x.candidate_ci.as_dict()},
                "difference": {"value": _num(x.difference), "ci": x.difference_ci.as_dict()},
                "relative": None
                if x.relative is None
                else {
                    "value": _num(x.relative),
                    "ci": x.relative_ci.as_dict() if x.relative_ci else None,
                },
                "p_value": _num(x.p_value),
                "verdict": x.verdict,
                "worse_beyond_margin": x.worse_beyond_margin,
                "summary": x.sentence(c.margin),
            }
            for x in c.losses
        ],
    }


def comparison_rows(c: Any) -> list[dict[str, Any]]:
    return [
        {
            "loss": x.spec,
            "baseline": x.baseline,
            "candidate": x.candidate,
            "difference": x.difference,
            "relative": "" if x.relative is None else f"{x.relative:+.2%}",
            "ci_low": x.difference_ci.low,
            "ci_high": x.difference_ci.high,
            "p_value": x.p_value,
            "verdict": x.verdict,
        }
        for x in c.losses
    ]


def _name(model: Any) -> str:
    return model.path if model.y_pred == "y_pred" else f"{model.path} [{model.y_pred}]"


def comparison_table(c: Any) -> list[Any]:
    """A rich table (a row per loss) and the one-line verdicts under it."""
    level = f"{c.level:.0%}"
    table = new_table(
        f"baseline {_name(c.baseline)} vs candidate {_name(c.candidate)}",
        f"{c.baseline.rows:,} samples paired by {c.paired_on} · {c.replicates} Poisson "
        f"bootstrap replicates, seed {c.seed} · intervals: {level}, percentile",
    )
    # one column per loss, one row per statistic: fits a terminal of 80 columns
    table.add_column("", style="bold")
    for x in c.losses:
        table.add_column(x.spec, justify="right")
    rows = {
        "baseline": [f"{x.baseline:.6g}" for x in c.losses],
        f"  {level} CI": [interval_text(x.baseline_ci) for x in c.losses],
        "candidate": [f"{x.candidate:.6g}" for x in c.losses],
        f"  {level} CI ": [interval_text(x.candidate_ci) for x in c.losses],
        "difference": [
            f"{x.difference:+.4g}" + ("" if x.relative is None else f" ({x.relative:+.2%})")
            for x in c.losses
        ],
        f"{level} CI of difference": [interval_text(x.difference_ci) for x in c.losses],
        "p (paired)": [f"{x.p_value:.3g}" for x in c.losses],
        "verdict": [x.verdict for x in c.losses],
    }
    for name, cells in rows.items():
        table.add_row(name, *cells)
    return [table, *(x.sentence(c.margin) for x in c.losses)]


def intervals_table(results: Sequence[Any], intervals: Sequence[Any]) -> Any:
    first = intervals[0]
    table = new_table(
        f"{first.level:.0%} confidence intervals",
        f"Poisson bootstrap, {first.replicates} replicates, seed {first.seed}, percentile",
    )
    for name in ("loss", "value", "interval", "std. error"):
        table.add_column(name, justify="left" if name == "loss" else "right")
    for r, ci in zip(results, intervals, strict=True):
        table.add_row(
            r.loss.canonical(), format_value(r.value), interval_text(ci), format_value(ci.std_error)
        )
    return table


# --- charts ------------------------------------------------------------------------------


def comparison_chart_text(c: Any) -> list[str]:
    from losscli.plot import histogram_text

    lines: list[str] = []
    for x in c.losses:
        base, cand = x.samples
        lines += histogram_text(base, cand, title=f"per-sample {x.spec}")
    return lines


def comparison_chart_file(c: Any, target: str) -> str:
    from losscli.plot import html_page, svg_histograms

    svg = svg_histograms([(x.spec, *x.samples) for x in c.losses])
    if target.lower().endswith(".svg"):
        return svg + "\n"
    rows = [["loss", "baseline", "candidate", "Δ", "p"]]
    rows += [
        [
            x.spec,
            format_value(x.baseline),
            format_value(x.candidate),
            f"{x.difference:+.6g}",
            f"{x.p_value:.3g}",
        ]
        for x in c.losses
    ]
    return html_page("losscli compare", [svg], rows)


def files_chart_text(evaluations: Sequence[Any]) -> list[str]:
    from losscli.plot import line_chart_text

    lines: list[str] = []
    for i, result in enumerate(evaluations[0].results):
        values = [e.results[i].value for e in evaluations]
        lines += line_chart_text(values, title=f"{result.loss.canonical()} over the files")
    lines.append("files: " + "  ".join(f"{i}={e.input.path}" for i, e in enumerate(evaluations, 1)))
    return lines


def files_chart_file(evaluations: Sequence[Any], target: str) -> str:
    from losscli.plot import html_page, svg_lines

    files = [e.input.path for e in evaluations]
    series = [
        (r.loss.canonical(), [e.results[i].value for e in evaluations])
        for i, r in enumerate(evaluations[0].results)
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

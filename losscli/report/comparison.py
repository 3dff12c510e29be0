"""`losscli compare`: its result document and its terminal screen.

The document (kind `compare`) is the JSON output, schema in the README ("Comparing two
models"); CSV and Markdown (flat.py), GitHub annotations (github.py) and the chart files
(plot.py) read it too. The screen is a row per model and statistic under each loss, so two
losses or twenty fit 80 columns alike; verdicts follow, one sentence per loss.
"""

from __future__ import annotations

import math
from typing import Any

from losscli._version import __version__
from losscli.report.layout import Column, Line, line, table
from losscli.report.numbers import format_column
from losscli.report.text import interval_text, level_text, note, title

#: bins of the per-sample histograms kept for `--plot` (the terminal merges them to 10)
HISTOGRAM_BINS = 30


def compare_document(c: Any) -> dict[str, Any]:
    """A `losscli.compare.Comparison` as a document (the input warnings go to stderr)."""

    def model(m: Any) -> dict[str, Any]:
        return {"path": m.path, "y_pred": m.y_pred, "rows": m.rows, "format": m.format}

    return {
        "kind": "compare",
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
        "losses": [_loss(x, c.margin) for x in c.losses],
    }


def _loss(x: Any, margin: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
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
        "summary": x.sentence(margin),
    }
    if x.samples is not None:
        entry["histogram"] = _histogram(*x.samples)
    return entry


def _num(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _histogram(baseline: Any, candidate: Any) -> dict[str, Any]:
    """Both models' per-sample values counted on shared bins (finite values only)."""
    import numpy as np

    a, b = (np.asarray(v, dtype=np.float64) for v in (baseline, candidate))
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    both = np.concatenate([a, b])
    if not len(both):
        return {"edges": [], "baseline": [], "candidate": []}
    low, high = float(both.min()), float(both.max())
    edges = np.linspace(low, high if high > low else low + 1.0, HISTOGRAM_BINS + 1)
    return {
        "edges": edges.tolist(),
        "baseline": np.histogram(a, bins=edges)[0].tolist(),
        "candidate": np.histogram(b, bins=edges)[0].tolist(),
    }


def _name(model: dict[str, Any]) -> str:
    return model["path"] if model["y_pred"] == "y_pred" else f"{model['path']} [{model['y_pred']}]"


def compare_screen(doc: dict[str, Any], width: int) -> list[Line]:
    """Title, how the samples were paired and resampled, the table, the verdicts."""
    boot = doc["bootstrap"]
    level = level_text(boot["level"])
    head = f"baseline {_name(doc['baseline'])} vs candidate {_name(doc['candidate'])}"
    out = [*title(head, width)]
    out += note(
        f"{doc['baseline']['rows']:,} samples paired by {doc['paired_on']} · "
        f"{boot['replicates']:,} Poisson bootstrap replicates, seed {boot['seed']} · "
        f"{level} percentile intervals",
        width,
    )
    columns = [
        Column("loss", kind="wrap", style="bold"),
        Column("model"),
        Column("value", "right"),
        Column(f"{level} CI"),
        Column("p", "right"),
    ]
    rows: list[list[Any]] = []
    for x in doc["losses"]:
        values = format_column([x[k]["value"] for k in ("baseline", "candidate", "difference")])
        rows += [
            [x["loss"], "baseline", values[0], interval_text(x["baseline"]["ci"]), ""],
            ["", "candidate", values[1], interval_text(x["candidate"]["ci"]), ""],
            ["", "difference", values[2], interval_text(x["difference"]["ci"]), _p(x)],
        ]
        if x["relative"] is not None:
            rows.append(["", "relative", _percent(x["relative"]["value"]), _relative_ci(x), ""])
    out += [[], *table(columns, rows, width), []]
    for x in doc["losses"]:
        out += title(x["summary"], width) if x["worse_beyond_margin"] else note(x["summary"], width)
    if doc.get("chart") == "terminal":  # compare --plot
        from losscli.report.plot import histogram_text

        for x in doc["losses"]:
            h = x["histogram"]
            chart = histogram_text(h["edges"], h["baseline"], h["candidate"], width=width)
            out += [[], line(f"per-sample {x['loss']}", "bold"), *(line(t) for t in chart)]
    return out


def _p(x: dict[str, Any]) -> str:
    return "—" if x["p_value"] is None else f"{x['p_value']:.3g}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2%}"


def _relative_ci(x: dict[str, Any]) -> str:
    ci = x["relative"]["ci"]
    if ci is None or ci["low"] is None or ci["high"] is None:
        return "—"
    return f"[{ci['low']:+.2%}, {ci['high']:+.2%}]"


def compare_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per loss (CSV, Markdown): both values, the difference and its interval."""
    return [
        {
            "loss": x["loss"],
            "baseline": x["baseline"]["value"],
            "candidate": x["candidate"]["value"],
            "difference": x["difference"]["value"],
            "relative": None if x["relative"] is None else x["relative"]["value"],
            "ci_low": x["difference"]["ci"]["low"],
            "ci_high": x["difference"]["ci"]["high"],
            "p_value": x["p_value"],
            "verdict": x["verdict"],
        }
        for x in doc["losses"]
    ]


COMPARE_COLUMNS = (
    "loss",
    "baseline",
    "candidate",
    "difference",
    "relative",
    "ci_low",
    "ci_high",
    "p_value",
    "verdict",
)

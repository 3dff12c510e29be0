"""Summaries, ratios and targets of one suite run, as JSON-able dicts and markdown."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import time
from typing import Any

from cases import GROUPS, Suite

#: (name, limit): checked against the medians of one run, never asserted in tests
RATIO_LIMIT = 1.2  # every case, losscli / the fastest anchor
STARTUP_S = 0.15  # list and --help, seconds
RSS_SLACK = 1.2  # losscli's peak RSS / the lowest anchor's


def machine_info(env: dict[str, str]) -> dict[str, Any]:
    """What the numbers were measured on, including the BLAS kernel the processes ran."""
    probe = (
        "import json, numpy, pyarrow, pandas, threadpoolctl, duckdb, polars;"
        "info = threadpoolctl.threadpool_info();"
        "print(json.dumps({'numpy': numpy.__version__, 'pyarrow': pyarrow.__version__,"
        "'pandas': pandas.__version__, 'duckdb': duckdb.__version__,"
        "'polars': polars.__version__,"
        "'blas': [f\"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}\""
        " for i in info]}))"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        ).stdout
        versions = json.loads(out)
    except (subprocess.CalledProcessError, json.JSONDecodeError) as exc:
        versions = {"error": str(exc)}
    from losscli import __version__

    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "losscli": __version__,
        **versions,
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def summarise(suite: Suite, *, machine: dict[str, Any], rows: int, class_rows: int) -> dict:
    cases = {c.key: c for c in suite.cases}

    def med(key: str, stat: str = "wall") -> float | None:
        c = cases.get(key)
        return c.stat(stat)["median"] if c and c.runs else None

    def fastest(prefix: str, stat: str = "wall") -> tuple[str | None, float | None]:
        found = [(e, med(f"{prefix}.{e}", stat)) for e in ("floor", "duckdb", "polars")]
        found = [(e, v) for e, v in found if v is not None]
        return min(found, key=lambda ev: ev[1]) if found else (None, None)

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or not b else a / b

    comparisons = []
    for key, group, *_ in GROUPS:
        anchor, best = fastest(key)
        _, least_rss = fastest(key, "rss_mb")
        comparisons.append(
            {
                "group": group,
                "fastest_anchor": anchor,
                "anchor_s": best,
                "table_s": med(f"{key}.table"),
                "json_s": med(f"{key}.json"),
                "table": ratio(med(f"{key}.table"), best),
                "json": ratio(med(f"{key}.json"), best),
                "rss_mb": med(f"{key}.table", "rss_mb"),
                "rss_vs_lowest_anchor": ratio(med(f"{key}.table", "rss_mb"), least_rss),
            }
        )
    targets = [
        _target(f"{r['group']}, default output / fastest", r["table"], RATIO_LIMIT)
        for r in comparisons
    ]
    targets += [
        _target(f"{r['group']}, --format json / fastest", r["json"], RATIO_LIMIT)
        for r in comparisons
    ]
    targets.append(
        _target(
            "eval on a 10-row file / lean floor",
            ratio(med("startup.eval"), med("startup.floor")),
            RATIO_LIMIT,
        )
    )
    targets.append(_target("losscli list (s)", med("startup.list"), STARTUP_S))
    targets.append(_target("losscli --help (s)", med("startup.help"), STARTUP_S))
    worst_rss = max((r["rss_vs_lowest_anchor"] or 0 for r in comparisons), default=None)
    targets.append(_target("peak RSS / lowest anchor's (worst case)", worst_rss, RSS_SLACK))
    cap = cases.get("memcap.losscli")
    finished = None if cap is None else float(not cap.skip)
    targets.append(_target("runs under a 150 MiB cap without options (1 = yes)", finished, 1, ">="))
    return {
        "machine": machine,
        "rows": rows,
        "class_rows": class_rows,
        "cases": [c.summary() for c in suite.cases],
        "ratios": comparisons,
        "targets": targets,
        "values_agree": _values_agree(suite),
    }


def _target(name: str, value: float | None, limit: float, kind: str = "<=") -> dict[str, Any]:
    ok = None if value is None else (value >= limit if kind == ">=" else value <= limit)
    return {"target": name, "measured": value, "limit": limit, "kind": kind, "ok": ok}


def _values_agree(suite: Suite) -> dict[str, Any]:
    """Every command of a group printed the same loss value (peers may round differently)."""
    by_group: dict[str, list[tuple[str, float]]] = {}
    for c in suite.cases:
        if c.value is not None and c.group not in ("scaling", "startup", "memory cap"):
            by_group.setdefault(c.group, []).append((c.key, c.value))
    out: dict[str, Any] = {}
    for group, values in by_group.items():
        base = values[0][1]
        worst = max(abs(v - base) / max(abs(base), 1e-300) for _, v in values)
        out[group] = {"max_relative_difference": worst, "values": dict(values)}
    return out


def _fmt(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}f}"


def render_markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        "## Results",
        "",
        f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, "
        f"{m['os']}; Python {m['python']}, losscli {m['losscli']}, numpy {m.get('numpy')}, "
        f"pyarrow {m.get('pyarrow')}, pandas {m.get('pandas')}, DuckDB {m.get('duckdb')}, "
        f"polars {m.get('polars')}; BLAS: {', '.join(m.get('blas', []))}.",
        f"Regression files: {result['rows']:,} rows; classification: {result['class_rows']:,} rows "
        f"× 10 classes. Whole processes, medians of the repetitions (min–max); suite took "
        f"{result.get('elapsed_s', 0):.0f} s; 1-minute load average before / after: "
        f"{' / '.join(str(x) for x in result.get('load_average', []))} (2 cores: above ~1 "
        "other work was sharing the machine).",
        "",
        "### Targets",
        "",
        "| target | measured | limit | met |",
        "| --- | ---: | ---: | :---: |",
    ]
    for t in result["targets"]:
        met = {True: "yes", False: "**no**", None: "—"}[t["ok"]]
        bound = "≥" if t["kind"] == ">=" else "≤"
        lines.append(f"| {t['target']} | {_fmt(t['measured'])} | {bound} {t['limit']:g} | {met} |")
    lines += [
        "",
        "### Ratios to the fastest anchor (wall time, medians; below 1 means losscli is faster)",
        "",
        "| case | fastest anchor | its s | losscli default output | / fastest | losscli json "
        "| / fastest | peak RSS MB | / lowest anchor's |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["ratios"]:
        lines.append(
            f"| {r['group']} | {r['fastest_anchor'] or '—'} | {_fmt(r['anchor_s'])} | "
            f"{_fmt(r['table_s'])} | {_fmt(r['table'])} | {_fmt(r['json_s'])} | "
            f"{_fmt(r['json'])} | {_fmt(r['rss_mb'], 0)} | {_fmt(r['rss_vs_lowest_anchor'])} |"
        )
    lines += [
        "",
        "### Every case",
        "",
        "| group | command | wall s, median (min–max) | peak RSS MB, median (min–max) "
        "| cores busy | reps |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for c in result["cases"]:
        if c["skipped"]:
            lines.append(f"| {c['group']} | {c['label']} | skipped: {c['skipped']} | | | |")
            continue
        if not c["reps"]:
            continue
        w, r = c["wall_s"], c["peak_rss_mb"]
        lines.append(
            f"| {c['group']} | {c['label']} | {w['median']:.3f} ({w['min']:.3f}–{w['max']:.3f}) | "
            f"{r['median']:.0f} ({r['min']:.0f}–{r['max']:.0f}) | {_fmt(c['cores_busy'])} | "
            f"{c['reps']} |"
        )
    lines += ["", "### Same numbers", "", "| group | max relative difference of printed values |"]
    lines.append("| --- | ---: |")
    for group, v in result["values_agree"].items():
        lines.append(f"| {group} | {v['max_relative_difference']:.1e} |")
    return "\n".join(lines) + "\n"

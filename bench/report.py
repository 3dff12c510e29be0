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

from cases import Suite

#: (name, what is compared, limit): checked against the medians, never asserted in tests
TARGETS = (
    ("Parquet mse: losscli / floor", "ratio", 1.2),
    ("Parquet mse: losscli / fastest peer", "peers", 1.0),
    ("CSV mse: losscli / pyarrow.csv + numpy", "ratio", 1.2),
    ("ten losses / one loss", "ratio", 2.0),
    ("peak RSS, largest / smallest file", "ratio", 1.2),
    ("peak RSS, largest file (MB)", "value", 400.0),
    ("losscli --help / import typer", "ratio", 1.5),
    ("losscli --version / import typer", "ratio", 1.5),
    ("losscli list / import typer", "ratio", 1.5),
    ("cores busy, Parquet weighted mse", "min", 1.3),
)


def machine_info(env: dict[str, str]) -> dict[str, Any]:
    """What the numbers were measured on, including the BLAS kernel the processes ran."""
    probe = (
        "import json, numpy, pyarrow, pandas, sklearn, threadpoolctl;"
        "import keras;"
        "info = threadpoolctl.threadpool_info();"
        "print(json.dumps({'numpy': numpy.__version__, 'pyarrow': pyarrow.__version__,"
        "'pandas': pandas.__version__, 'scikit-learn': sklearn.__version__,"
        "'keras': keras.__version__,"
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


def summarise(
    suite: Suite, *, machine: dict[str, Any], rows: int, class_rows: int
) -> dict[str, Any]:
    cases = {c.key: c for c in suite.cases}

    def wall(key: str) -> float | None:
        c = cases.get(key)
        return c.stat("wall")["median"] if c and c.runs else None

    def rss(key: str) -> float | None:
        c = cases.get(key)
        return c.stat("rss_mb")["median"] if c and c.runs else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None or b == 0 else a / b

    comparisons = []
    for prefix, group in (
        ("mse", "parquet mse"),
        ("wmse", "parquet wmse"),
        ("mae", "parquet mae"),
        ("csv", "csv mse"),
        ("bce", "parquet bce"),
        ("cce_parquet", "parquet cce"),
        ("scce_parquet", "parquet sparse cce"),
        ("cce_csv", "csv cce"),
        ("scce_csv", "csv sparse cce"),
    ):
        me = f"{prefix}.losscli"
        if wall(me) is None:
            continue
        comparisons.append(
            {
                "group": group,
                "losscli_s": wall(me),
                "floor": ratio(wall(me), wall(f"{prefix}.floor")),
                "floor_whole": ratio(wall(me), wall(f"{prefix}.floor_whole")),
                "sklearn": ratio(wall(me), wall(f"{prefix}.sklearn")),
                "keras": ratio(wall(me), wall(f"{prefix}.keras")),
                "rss_vs_floor": ratio(rss(me), rss(f"{prefix}.floor")),
            }
        )

    scale_keys = sorted(
        (k for k in cases if k.startswith("scale_") and k.endswith(".losscli")),
        key=lambda k: int(k.split("_")[1].split(".")[0]),
    )
    typer_s = wall("startup.typer")
    peers = [ratio(wall("mse.losscli"), wall(f"mse.{p}")) for p in ("sklearn", "keras")]
    wmse = cases.get("wmse.losscli")
    cores = wmse.summary()["cores_busy"] if wmse and wmse.runs else None
    measured = {
        "Parquet mse: losscli / floor": ratio(wall("mse.losscli"), wall("mse.floor")),
        "Parquet mse: losscli / fastest peer": max(
            (p for p in peers if p is not None), default=None
        ),
        "CSV mse: losscli / pyarrow.csv + numpy": ratio(wall("csv.losscli"), wall("csv.floor")),
        "ten losses / one loss": ratio(wall("ten.ten"), wall("ten.one")),
        "peak RSS, largest / smallest file": ratio(rss(scale_keys[-1]), rss(scale_keys[0]))
        if scale_keys
        else None,
        "peak RSS, largest file (MB)": rss(scale_keys[-1]) if scale_keys else None,
        "losscli --help / import typer": ratio(wall("startup.help"), typer_s),
        "losscli --version / import typer": ratio(wall("startup.version"), typer_s),
        "losscli list / import typer": ratio(wall("startup.list"), typer_s),
        "cores busy, Parquet weighted mse": cores,
    }
    targets = []
    for name, kind, limit in TARGETS:
        value = measured.get(name)
        if value is None:
            ok = None
        elif kind == "min":
            ok = value >= limit
        elif kind == "peers":
            ok = value < limit
        else:
            ok = value <= limit
        targets.append({"target": name, "measured": value, "limit": limit, "kind": kind, "ok": ok})

    return {
        "machine": machine,
        "rows": rows,
        "class_rows": class_rows,
        "cases": [c.summary() for c in suite.cases],
        "ratios": comparisons,
        "targets": targets,
        "values_agree": _values_agree(suite),
    }


def _values_agree(suite: Suite) -> dict[str, Any]:
    """Every command of a group printed the same loss value (peers may round differently)."""
    by_group: dict[str, list[tuple[str, float]]] = {}
    for c in suite.cases:
        if c.value is not None and c.group not in ("ten losses", "scaling", "startup"):
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
        f"pyarrow {m.get('pyarrow')}, pandas {m.get('pandas')}, scikit-learn "
        f"{m.get('scikit-learn')}, keras {m.get('keras')}; BLAS: {', '.join(m.get('blas', []))}.",
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
        bound = {"min": "≥", "peers": "<"}.get(t["kind"], "≤")
        lines.append(f"| {t['target']} | {_fmt(t['measured'])} | {bound} {t['limit']:g} | {met} |")
    lines += [
        "",
        "### Ratios (wall time, medians; below 1 means losscli is faster)",
        "",
        "| case | losscli s | / floor (batches) | / floor (whole columns) | / pandas + sklearn "
        "| / Keras | peak RSS / floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["ratios"]:
        lines.append(
            f"| {r['group']} | {_fmt(r['losscli_s'])} | {_fmt(r['floor'])} | "
            f"{_fmt(r['floor_whole'])} | {_fmt(r['sklearn'])} | {_fmt(r['keras'])} | "
            f"{_fmt(r['rss_vs_floor'])} |"
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

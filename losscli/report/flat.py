"""Flat formats from a result document: CSV for spreadsheets, Markdown for PR comments and
job summaries. One row per result; the same rows feed both."""

from __future__ import annotations

import csv
import io
from typing import Any

from losscli.report.numbers import format_value

#: the columns of one result row in csv / markdown output
RESULT_COLUMNS = ("loss", "spec", "reduction", "value", "count", "weight_sum")
HEAD_COLUMNS = ("head", "spec", "reduction", "value", "weight", "weighted")
CHECK_COLUMNS = ("check", "file", "loss", "reduction", "value", "bounds", "status", "message")


def rows(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str], str | None]:
    """(rows, columns, title) of any result document."""
    kind = doc["kind"]
    if kind == "eval":
        out = [_result_row(r) for r in doc["results"]]
        columns = list(RESULT_COLUMNS)
        if any("ci" in r for r in doc["results"]):  # eval --ci
            columns += ["ci_low", "ci_high"]
            for row, r in zip(out, doc["results"], strict=True):
                row.update(ci_low=r["ci"]["low"], ci_high=r["ci"]["high"])
        if "groups" in doc:
            column = doc["groups"]["column"]
            out = [{column: "(all)", **row} for row in out]
            for group in doc["groups"]["values"]:
                out += [_result_row(r, **{column: group["key"]}) for r in group["results"]]
            columns.insert(0, column)
        return out, columns, doc["input"]["path"]
    if kind == "files":
        out = [_result_row(r, file=f["input"]["path"]) for f in doc["files"] for r in f["results"]]
        return out, ["file", *RESULT_COLUMNS], None
    if kind == "heads":
        out = [{"head": h["name"], **{c: h[c] for c in HEAD_COLUMNS[1:]}} for h in doc["heads"]]
        out.append({"head": "total", "weighted": doc["total"]})
        return out, list(HEAD_COLUMNS), doc["input"]["path"]
    if kind == "compare":
        from losscli.report.comparison import COMPARE_COLUMNS, compare_rows

        return compare_rows(doc), list(COMPARE_COLUMNS), "losscli compare"
    out = [_check_row(c) for c in doc["checks"]]
    columns = list(CHECK_COLUMNS)
    if any(c.get("baseline") for c in doc["checks"]):  # both models and the difference
        columns[6:6] = ["baseline", "vs baseline"]
    return out, columns, f"losscli check {doc['config']}"


def _result_row(result: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**extra, **{c: result[c] for c in RESULT_COLUMNS}}


def _check_row(check: dict[str, Any]) -> dict[str, Any]:
    from losscli.report.text import baseline_text, bounds_text

    bounds = [
        {"kind": kind, "limit": check[f"fail_{kind}"]}
        for kind in ("above", "below")
        if check[f"fail_{kind}"] is not None
    ]
    return {
        "check": check["name"],
        "file": check["file"],
        "loss": check["spec"],
        "reduction": check["reduction"],
        "value": check["value"],
        "bounds": bounds_text(bounds) or "—",
        "baseline": (check.get("baseline") or {}).get("value"),
        "vs baseline": baseline_text(check.get("baseline")),
        "status": check["status"].upper(),
        "message": check["message"],
    }


def to_csv(doc: dict[str, Any]) -> str:
    """RFC 4180 CSV with a header; floats in shortest round-trip form, None as empty."""
    table, columns, _ = rows(doc)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in table:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    return out.getvalue()


def to_markdown(doc: dict[str, Any]) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned), e.g. for a PR comment."""
    table, columns, title = rows(doc)
    numeric = {
        c for c in columns if table and all(isinstance(r.get(c), (int, float)) for r in table)
    }
    lines = [f"**{_md(title)}**", ""] if title else []
    lines.append("| " + " | ".join(_md(c) for c in columns) + " |")
    lines.append("|" + "|".join("---:" if c in numeric else "---" for c in columns) + "|")
    for row in table:
        cells = ["" if row.get(c) is None else _md(_pretty(row.get(c))) for c in columns]
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

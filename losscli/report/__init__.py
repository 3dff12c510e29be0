"""Renderers: one result document (document.py) in, table / JSON / CSV / Markdown / GitHub /
JUnit out. Nothing here reads files, computes losses or decides where output goes."""

from __future__ import annotations

import os
from typing import Any

from losscli.errors import UsageError

FORMATS = ("table", "json", "csv", "markdown", "github")
#: the format an output file's extension implies when --format is not given
EXTENSIONS = {
    ".json": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".xml": "junit",
    ".txt": "table",
}
#: extensions of data files that a results document is not: -o with one of them is a mistake
#: (most often for --per-sample), not a request for a table under a misleading name
DATA_EXTENSIONS = (".parquet", ".pq", ".arrow", ".feather", ".ipc", ".arrows", ".jsonl")
DATA_EXTENSIONS += (".ndjson", ".tsv", ".gz", ".bz2", ".zst", ".xz")


def choose_format(fmt: str | None, output: str | None, *, junit: bool = False) -> str:
    """--format, or the extension of -o FILE, or table. A disagreeing pair is a usage error
    (exit 2), never a .json file holding a table."""
    implied = None
    if output not in (None, "-"):
        implied = EXTENSIONS.get(os.path.splitext(str(output))[1].lower())
    if fmt is None and implied is None and str(output).lower().endswith(DATA_EXTENSIONS):
        raise UsageError(
            f"-o {output}: results are written as .json, .csv, .md or .txt",
            hint="name the file so, or pass --format; per-sample values: --per-sample FILE",
        )
    if fmt is None:
        fmt = implied or "table"
    elif implied is not None and implied != fmt:
        raise UsageError(
            f"-o {output} names a {implied} file but --format is {fmt}",
            hint=f"drop --format (the extension decides) or name the file for {fmt}",
        )
    if fmt == "junit" and not junit:
        raise UsageError(
            f"-o {output}: JUnit XML is written by `losscli check`",
            hint="use .json, .csv, .md or .txt",
        )
    if fmt == "github" and output not in (None, "-"):
        raise UsageError(
            "--format github writes workflow commands for the CI log: they go to stdout",
            hint="drop -o (the job summary goes to $GITHUB_STEP_SUMMARY by itself)",
        )
    if fmt not in (*FORMATS, "junit"):
        raise UsageError(f"unknown format {fmt!r}", hint=", ".join(FORMATS))
    return fmt


def screen(doc: dict[str, Any], width: int) -> list[Any]:
    """The terminal screen (layout lines) of any result document."""
    from losscli.report import text

    kind = doc["kind"]
    if kind == "check":
        return text.check_screen(doc, width)
    if kind == "heads":
        return text.heads_screen(doc, width)
    if kind == "files":
        return text.files_screen(doc, width)
    if kind == "compare":
        from losscli.report.comparison import compare_screen

        return compare_screen(doc, width)
    return text.eval_screen(doc, width)


def render_text(fmt: str, doc: dict[str, Any], width: int, warnings: list[str]) -> str:
    """Every format as text (table as plain text, for a file or a pipe). `warnings` receives
    what JSON had to change (NaN written as null)."""
    from losscli.report import flat, layout
    from losscli.report.document import to_json

    if fmt == "json":
        return to_json(doc, warnings) + "\n"  # a text file ends in a newline (cat, wc -l, diff)
    if fmt == "csv":
        return flat.to_csv(doc)
    if fmt == "markdown":
        return flat.to_markdown(doc)
    if fmt == "junit":
        from losscli.report.junit import junit_xml

        return junit_xml(doc)
    plain = layout.plain(screen(doc, width))
    if fmt == "github":
        from losscli.report.github import annotations

        plain += "".join(line + "\n" for line in annotations(doc))
    return plain


def values(doc: dict[str, Any]) -> list[float | None]:
    """The bare values `-q` prints: each loss (each file's, in order), a heads total, each
    check's; per-sample values for reduction none."""
    kind = doc["kind"]
    if kind == "check":
        return [c["value"] for c in doc["checks"]]
    if kind == "heads":
        return [doc["total"]]
    entries = doc["files"] if kind == "files" else [doc]
    out: list[float | None] = []
    for entry in entries:
        for r in entry["results"]:
            if "values" in r:
                out.extend(float(v) for v in r["values"].reshape(len(r["values"]), -1).ravel())
            else:
                out.append(r["value"])
    return out

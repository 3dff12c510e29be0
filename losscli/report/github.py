"""`--format github`: GitHub Actions workflow commands from a result document.

The log gets the plain screen (people read CI logs) followed by one annotation per failed
gate (`::error`) and per warning (`::warning`); a check's annotations point at its line in
the config file, so they show beside the diff. With GITHUB_STEP_SUMMARY set, a Markdown
table is appended to the job summary. Escaping follows the runner's rules
(https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts).
"""

from __future__ import annotations

import os
from typing import Any

SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def annotations(doc: dict[str, Any]) -> list[str]:
    """`::error …::…` and `::warning …::…` lines for every failure and warning."""
    out: list[str] = []
    if doc["kind"] == "check":
        config = normalise(doc["config"])
        for c in doc["checks"]:
            where = {"file": config, "line": str(c["line"])}
            if c["status"] != "pass":
                kind = "failed" if c["status"] == "fail" else "error"
                title = f"losscli check {kind}: {c['name']}"
                out.append(command("error", c["message"] or kind, title=title, **where))
            for text in c["warnings"]:
                out.append(command("warning", text, title=f"losscli: {c['name']}", **where))
        return out
    if doc["kind"] == "compare":  # worse beyond the margin: what --fail-if-worse gates
        for x in doc["losses"]:
            if x["worse_beyond_margin"]:
                out.append(command("warning", x["summary"], title="losscli compare: worse"))
        return out
    for gate in doc.get("thresholds", []):
        for failure in gate["failures"]:
            out.append(command("error", failure, title="losscli: check failed"))
    entries = doc["files"] if doc["kind"] == "files" else [doc]
    for entry in entries:
        prefix = f"{entry['input']['path']}: " if doc["kind"] == "files" else ""
        for text in entry.get("warnings", []):
            out.append(command("warning", prefix + text, title="losscli: warning"))
    return out


def command(kind: str, message: str, **properties: str) -> str:
    props = ",".join(f"{k}={_escape_property(v)}" for k, v in properties.items())
    return (
        f"::{kind} {props}::{_escape_data(message)}"
        if props
        else f"::{kind}::{_escape_data(message)}"
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def normalise(path: str) -> str:
    """A path as CI shows it: relative to the working directory when under it, with /."""
    if path == "-" or "://" in path:
        return path
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    shown = absolute if relative.startswith("..") else relative
    return shown.replace(os.sep, "/")


def write_summary(doc: dict[str, Any]) -> None:
    """Append the Markdown table to the job summary, when the runner asks for one."""
    target = os.environ.get(SUMMARY_ENV)
    if not target:
        return
    from losscli.report.flat import to_markdown

    text = to_markdown(doc)
    failures = [f for g in doc.get("thresholds", []) for f in g["failures"]]
    if failures:
        text += "\n" + "".join(f"- ❌ check failed: {f}\n" for f in failures)
    with open(target, "a", encoding="utf-8") as summary:
        summary.write(text + "\n")

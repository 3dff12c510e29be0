"""The loss catalogue for people and scripts: `losscli list` and `losscli describe`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from losscli.report.listing import show

if TYPE_CHECKING:  # only for hints: `list` renders without importing the registry
    from losscli.registry import LossInfo

CATEGORIES = ("regression", "probabilistic", "hinge", "segmentation", "similarity", "sequence")


def info_dict(info: LossInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "class_name": info.class_name,
        "aliases": list(info.aliases),
        "category": info.category,
        "summary": info.summary,
        "formula": info.formula,
        "parameters": [
            {"name": p.name, "type": p.type_name, "default": p.default, "help": p.help}
            for p in info.params
        ],
        "y_true": info.y_true,
        "y_pred": info.y_pred,
        "labels": info.labels,
        "vector": info.vector,
        "whole_file": info.whole_file,
        "origin": info.origin,
        "source": info.source,
        "batch_level": info.batch_level,
    }


def example(info: LossInfo) -> str:
    """The worked example `describe` shows: the loss's own, else its docstring's doctest."""
    return info.example or _doc_example(info)


def _doc_example(info: LossInfo) -> str:
    lines = [line for line in info.doc.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith(">>>")), None)
    return "\n".join(lines[start:]) if start is not None else ""


def markdown_table(infos: list[LossInfo]) -> str:
    """The README's catalogue, one table per source, generated so it cannot drift from the
    registry (`python scripts/make_catalogue.py` rewrites it)."""
    from losscli.names import SOURCES

    sections = []
    for source, (library, semantics) in SOURCES.items():
        family = [info for info in infos if info.source == source]
        if family:
            sections.append(f"**{library}** — {semantics}.\n\n{_family_table(family)}")
    return "\n\n".join(sections)


def _family_table(infos: list[LossInfo]) -> str:
    lines = [
        "| loss | home name | aliases | category | parameters (defaults) | summary |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for info in infos:
        params = ", ".join(f"`{p.name}={show(p.default)}`" for p in info.params)
        aliases = ", ".join(f"`{a}`" for a in info.aliases)
        lines.append(
            f"| `{info.name}` | `{info.class_name or ''}` | {aliases} | {info.category} "
            f"| {params} | {info.summary} |"
        )
    return "\n".join(lines)

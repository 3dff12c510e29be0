"""The loss catalogue for people and scripts: `losscli list` and `losscli describe`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def list_table(infos: list[dict[str, Any]]) -> Any:
    """The `list` table from `info_dict`s (from the registry or the static catalogue)."""
    from rich.table import Table

    table = Table(title=f"{len(infos)} losses", title_justify="left", show_lines=False)
    # names stay whole (people copy them into specs); the prose columns wrap instead
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("aliases", ratio=1, overflow="fold")
    table.add_column("category", no_wrap=True)
    table.add_column("parameters", ratio=1, overflow="fold")
    table.add_column("summary", ratio=2)
    custom = any(info["origin"] != "built-in" for info in infos)
    if custom:  # only then: where each loss comes from (plugin file, module or package)
        table.add_column("origin")
    for info in infos:
        table.add_row(
            info["name"],
            ", ".join(n for n in (info["class_name"], *info["aliases"]) if n),
            info["category"],
            ", ".join(f"{p['name']}={_show(p['default'])}" for p in info["parameters"]),
            info["summary"],
            *((info["origin"],) if custom else ()),
        )
    return table


def describe(info: LossInfo) -> Any:
    """Formula, parameters, expected inputs and a worked example, as rich renderables."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from losscli.names import other_names_for, source_text

    head = Text()
    head.append(info.name, style="bold")
    if info.class_name:
        home = f"keras.losses.{info.class_name}" if info.source == "keras" else info.class_name
        head.append(f"  ({home})", style="dim")
    parts: list[Any] = [head, Text(info.summary)]
    if info.aliases:
        parts.append(Text(f"aliases: {', '.join(info.aliases)}"))
    others = other_names_for(info.names)
    if others:
        parts.append(Text(f"other libraries call it: {', '.join(others)}"))
    parts.append(Text(f"category: {info.category} · origin: {info.origin}"))
    parts.append(Text(f"semantics of {source_text(info.source)}"))
    if info.formula:
        parts.append(Text(f"formula: {info.formula}"))
    parts.append(Text(f"y_true: {info.y_true}"))
    parts.append(Text(f"y_pred: {info.y_pred}"))
    if info.whole_file:
        parts.append(Text(f"reads the whole file: {info.whole_file}", style="yellow"))
    if info.batch_level:
        parts.append(Text(f"one value for the whole file: {info.batch_level}", style="yellow"))
    if info.params:
        table = Table(title="parameters", title_justify="left")
        for column in ("name", "type", "default", "meaning"):
            table.add_column(column)
        for p in info.params:
            table.add_row(p.name, p.type_name, _show(p.default), p.help)
        parts.append(table)
    example = info.example or _doc_example(info)
    if example:
        parts.append(Text("example:", style="bold"))
        parts.append(Text(example))
    return Group(*parts)


def _doc_example(info: LossInfo) -> str:
    lines = [line for line in info.doc.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith(">>>")), None)
    return "\n".join(lines[start:]) if start is not None else ""


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


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
        params = ", ".join(f"`{p.name}={_show(p.default)}`" for p in info.params)
        aliases = ", ".join(f"`{a}`" for a in info.aliases)
        lines.append(
            f"| `{info.name}` | `{info.class_name or ''}` | {aliases} | {info.category} "
            f"| {params} | {info.summary} |"
        )
    return "\n".join(lines)

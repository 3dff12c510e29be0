"""The catalogue commands, `list` and `describe` (part of the command line).

Registered on the app by cli.py, which wraps them in its one error handler; each parses,
reads the catalogue (the generated one when no plugin is named: no numpy) and renders.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from losscli.completion import complete_loss
from losscli.typer_options import option


class Format(StrEnum):
    table = "table"
    json = "json"


PluginOption = Annotated[list[str] | None, option("plugins")]


def load_plugin_specs(specs: list[str] | None) -> None:
    if specs:
        from losscli.plugins import load_plugins

        load_plugins(specs)


def list_command(
    category: Annotated[
        str | None,
        typer.Option("--category", "-c", metavar="CATEGORY", help="Only losses of this category."),
    ] = None,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", metavar="FORMAT", help="table or json.")
    ] = Format.table,
    long: Annotated[
        bool,
        typer.Option("--long", "-l", help="Every loss in full: parameters, defaults, formula."),
    ] = False,
    plugin: PluginOption = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", "-s", help="Only one family: keras, torch, sklearn, tfa or custom."
        ),
    ] = None,
) -> None:
    """List the available losses: one line each (name, category, aliases, summary).

    Examples:

      losscli list

      losscli list --category probabilistic --format json

      losscli list --source torch
    """
    from losscli import static_catalogue
    from losscli.errors import UsageError
    from losscli.outputs import show, width
    from losscli.report.document import catalogue_document, to_json
    from losscli.report.listing import list_lines, long_lines

    every = None if plugin else static_catalogue.load()  # built-ins only: no numpy needed
    if every is None:
        from losscli.catalogue import info_dict
        from losscli.registry import list_losses

        load_plugin_specs(plugin)
        every = [info_dict(i) for i in list_losses()]
    from losscli.names import by_source

    infos = [i for i in by_source(every, source) if category is None or i["category"] == category]
    if category and not infos:
        known = sorted({i["category"] for i in every})
        raise UsageError(
            f"no losses in category {category!r}", hint=f"categories: {', '.join(known)}"
        )
    if output_format is Format.json:
        typer.echo(to_json(catalogue_document(infos)))
    else:
        show((long_lines if long else list_lines)(infos, width()))


def describe_command(
    loss: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="A loss name or alias.",
            show_default=False,
            autocompletion=complete_loss,
        ),
    ],
    output_format: Annotated[
        Format, typer.Option("--format", "-f", metavar="FORMAT", help="table or json.")
    ] = Format.table,
    plugin: PluginOption = None,
) -> None:
    """Show a loss's formula, parameters, expected inputs and a worked example.

    Examples:

      losscli describe huber

      losscli describe bce --format json
    """
    from losscli.catalogue import example, info_dict
    from losscli.outputs import show, width
    from losscli.registry import get
    from losscli.report.document import to_json
    from losscli.report.listing import describe_lines

    load_plugin_specs(plugin)
    info = get(loss)
    if output_format is Format.json:
        typer.echo(to_json(info_dict(info)))
    else:
        show(describe_lines(info_dict(info), example(info), width()))

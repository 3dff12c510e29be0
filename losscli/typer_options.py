"""The Typer face of the options model: options and choices declared once in
losscli/options.py, and help that reads like the README (SPEC, FILE..., COLUMN, N — never
`<bool>`, `<list[str]>` or `{loss}`)."""

from __future__ import annotations

import copy
from enum import StrEnum
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from losscli.completion import complete_column
from losscli.options import default, meta

CONTEXT = {"help_option_names": ["-h", "--help"]}


class _PlainFlags:
    """No `<bool>` or `<list[str]>` in help: a flag's name says it all, an argument's
    metavar (SPEC, FILE...) says what it takes."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if param.metavar is None:  # a safety net: options declare their metavar
                param.metavar = "" if getattr(param, "is_flag", False) else param.name.upper()
            if param.param_type_name == "argument" and param.metavar:
                param.type = copy.copy(param.type)  # the metavar already says it: no <str>
                param.type.get_metavar = lambda *args, **kwargs: ""
        return params


class ReadableCommand(_PlainFlags, TyperCommand):
    """Help that reads like the README: `eval [OPTIONS] SPEC FILE...`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(param.metavar or param.name.upper())
        return pieces


class ReadableGroup(_PlainFlags, TyperGroup):
    pass


def _choices(name: str, option: str) -> Any:
    """The choices of the options model as a Typer choice type (the shell completes them)."""
    return StrEnum(name, {v: v for v in meta(option).choices})


ResultFormat = _choices("ResultFormat", "output_format")
Reduction = _choices("Reduction", "reduction")
NanPolicy = _choices("NanPolicy", "nan_policy")
Dtype = _choices("Dtype", "dtype")


def option(name: str, **extra: Any) -> Any:
    """A Typer option made from the options model's declaration (losscli/options.py)."""
    m = meta(name)
    assert m.flag is not None, name
    decls = [f"{m.flag}/{m.negative}"] if m.negative else [m.flag, *m.aliases]
    decls += [m.short] if m.short else []
    if m.metavar in ("COLUMN", "COLUMNS"):
        extra.setdefault("autocompletion", complete_column)
    return typer.Option(
        *decls,
        help=m.help,
        metavar=m.metavar or None,
        rich_help_panel=m.panel,
        show_default=default(name) not in (None, []) and default(name) is not False,
        **extra,
    )


def argument(name: str, **extra: Any) -> Any:
    m = meta(name)
    return typer.Argument(help=m.help, metavar=m.metavar, show_default=False, **extra)

"""Many files, one spec: a row per file and a terminal chart of each loss across the files
(the loss curve over checkpoints or epochs that people otherwise plot by hand).

Renderers only, like render.py: they return JSON-ready dicts, rich renderables or text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from losscli._version import __version__
from losscli.render import evaluation_dict, format_value, new_table

#: block elements, from empty to a full cell in eighths
_EIGHTHS = " ▁▂▃▄▅▆▇█"
CHART_HEIGHT = 8


def files_dict(evaluations: Sequence[Any], warnings: list[str]) -> dict[str, Any]:
    """`{"losscli": …, "files": [<the single-file object>, …]}`, in the order given."""
    return {"losscli": __version__, "files": [evaluation_dict(e, warnings) for e in evaluations]}


def specs(evaluations: Sequence[Any]) -> list[str]:
    return [r.loss.canonical() for r in evaluations[0].results]


def files_table(evaluations: Sequence[Any]) -> Any:
    """A rich Table: one row per file, one value column per loss spec."""
    first = evaluations[0]
    table = new_table(
        f"{len(evaluations)} files", f"reduction={first.reduction} · dtype={first.dtype}"
    )
    table.add_column("#", justify="right", style="dim")
    table.add_column("file", overflow="fold")
    table.add_column("rows", justify="right")
    for spec in specs(evaluations):
        table.add_column(spec, justify="right", style="bold")
    for i, evaluation in enumerate(evaluations, 1):
        table.add_row(
            str(i),
            evaluation.input.path,
            f"{evaluation.input.rows:,}",
            *("—" if r.values is not None else format_value(r.value) for r in evaluation.results),
        )
    return table


def loss_chart(evaluations: Sequence[Any], width: int = 80) -> Any:
    """One bar chart per loss spec, files left to right in the order given."""
    from rich.console import Group
    from rich.text import Text

    parts: list[Any] = []
    for index, spec in enumerate(specs(evaluations)):
        values = [e.results[index].value for e in evaluations]
        parts.append(Text(f"{spec} across files", style="bold"))
        parts.append(Text("\n".join(chart_lines(values, width=width))))
    return Group(*parts)


def chart_lines(
    values: Sequence[float], *, width: int = 80, height: int = CHART_HEIGHT
) -> list[str]:
    """A bar chart as text: a y axis labelled with the max and min, a bar per value (1-based
    file numbers under it); NaN and inf leave a gap. Too many values for the width are
    sampled evenly, keeping the first and last."""
    finite = [v for v in values if math.isfinite(v)]
    top = format_value(max(finite)) if finite else "nan"
    bottom = format_value(min(finite)) if finite else "nan"
    label = max(len(top), len(bottom))
    room = max(width - label - 2, 1)
    positions = _sample(len(values), room)
    step = max(1, min(4, room // max(len(positions), 1)))
    bar = max(step - 1, 1)
    levels = [_level(values[i], finite, height) for i in positions]
    lines = []
    for row in range(height):
        floor = (height - 1 - row) * 8
        cells = "".join(
            (_EIGHTHS[min(max(level - floor, 0), 8)] * bar).ljust(step) for level in levels
        )
        axis = top if row == 0 else bottom if row == height - 1 else ""
        lines.append(f"{axis:>{label}} ┤{cells.rstrip()}")
    lines.append(" " * label + " └" + "─" * (step * len(positions)))
    lines.append(" " * (label + 2) + _ticks(positions, step))
    return lines


def _level(value: float, finite: list[float], height: int) -> int:
    """Height in eighths of a cell: the minimum shows one eighth, the maximum a full bar."""
    if not math.isfinite(value):
        return 0
    low, high = min(finite), max(finite)
    if high == low:
        return height * 4
    return 1 + round((value - low) / (high - low) * (height * 8 - 1))


def _sample(n: int, room: int) -> list[int]:
    if n <= room:
        return list(range(n))
    return sorted({round(i * (n - 1) / (room - 1)) for i in range(room)}) if room > 1 else [0]


def _ticks(positions: list[int], step: int) -> str:
    """File numbers under their bars, as many as fit without overlapping; the last always."""
    if not positions:
        return ""
    last = str(positions[-1] + 1)
    # right-aligned to the last bar, so it never runs past the axis
    last_at = max((len(positions) - 1) * step + 1 - len(last), 0)
    line = ""
    for slot, index in enumerate(positions[:-1]):
        text = str(index + 1)
        at = slot * step
        if at >= len(line) + (1 if line else 0) and at + len(text) < last_at:
            line = line.ljust(at) + text
    return line.ljust(last_at) + last

"""A terminal bar chart of each loss across files (the loss curve over checkpoints or epochs
that people otherwise plot by hand): plain text lines, fitted to a width."""

from __future__ import annotations

import math
from collections.abc import Sequence

from losscli.report.numbers import format_value

#: block elements, from empty to a full cell in eighths
_EIGHTHS = " ▁▂▃▄▅▆▇█"
CHART_HEIGHT = 8


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

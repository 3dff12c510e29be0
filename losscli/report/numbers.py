"""Numbers for people: one format per column, so digits line up and runs compare by eye."""

from __future__ import annotations

import math
from collections.abc import Sequence

#: significant digits shown for a loss value: enough to tell two runs apart
DIGITS = 10


def format_value(value: float | None) -> str:
    """One number on its own (a message, a chart axis): up to 10 significant digits."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return str(value)
    return f"{value:.10g}" if abs(value) >= 1e-4 or value == 0 else f"{value:.6e}"


def format_column(values: Sequence[float | None]) -> list[str]:
    """The same number of decimals for every value of a column (`0.4727096506` beside
    `0.5677475000`, never `0.5677475`); scientific for the whole column when its largest
    value is tiny or huge. None is "—"; NaN and inf are `nan`, `inf`."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    top = max(finite, default=0.0)
    if top >= 1e10 or 0 < top < 1e-4:
        fmt = f".{DIGITS - 4}e"
    else:
        magnitude = math.floor(math.log10(top)) + 1 if top > 0 else 1
        fmt = f".{min(max(DIGITS - magnitude, 0), 14)}f"
    return [_one(v, fmt) for v in values]


def _one(value: float | None, fmt: str) -> str:
    if value is None:
        return "—"
    if not math.isfinite(value):
        return str(value)
    return format(value, fmt)


def format_count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def format_short(value: float) -> str:
    """Three significant digits, for quantiles and limits where the shape matters."""
    return f"{value:.3g}"

"""Plain-text tables that fit a width without cutting what people copy.

Rich's tables shrink every column when space runs out, so at 80 columns loss names became
`mean_squared…` and numbers `0.47…`. Here each column says what it may give up:

- `keep`: never cut or wrapped (loss names, numbers, status words);
- `wrap`: wraps at spaces only, never inside a word (check names, specs joined with " + ");
- `cut`: cut with "…" to what is left (summaries, which `describe` shows whole).

When even that does not fit, the first column goes on a line of its own above the rest
(stacked), so a long name still stays whole. Lines are lists of (text, style) segments;
`to_text` makes them a rich Text for a terminal (style = colour) and `plain` plain strings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: one styled piece of a line; style is a rich style name or None
Segment = tuple[str, str | None]
Line = list[Segment]
GAP = 2
CUT_MIN = 8


@dataclass
class Column:
    header: str
    align: str = "left"  # or "right"
    kind: str = "keep"  # keep | wrap | cut
    style: str | None = None


@dataclass
class Cell:
    """A cell with its own style (a status word); plain strings use the column's style."""

    text: str
    style: str | None = None


def table(
    columns: Sequence[Column], rows: Sequence[Sequence[Any]], width: int, *, rule: bool = True
) -> list[Line]:
    """Header, a rule and the rows, laid out to fit `width` (see the module docstring)."""
    cells = [
        [
            Cell(printable(c.text), c.style) if isinstance(c, Cell) else Cell(printable(str(c)))
            for c in row
        ]
        for row in rows
    ]
    widths = _natural(columns, cells)
    stacked = False
    if _total(widths) > width:
        widths = _shrink(columns, cells, widths, width)
    if _total(widths) > width and len(columns) > 1:
        stacked = True
        widths = _natural(columns[1:], [row[1:] for row in cells])
        widths = [0, *_shrink(columns[1:], [r[1:] for r in cells], widths, width - GAP)]
    lines: list[Line] = []
    headers = [Cell(c.header, "bold") for c in columns]
    if stacked:
        lines.append([(columns[0].header, "bold")])
    lines.extend(_row(columns, headers, widths, stacked))
    if rule:
        lines.append([("─" * min(width, _total(widths) + (GAP if stacked else 0)), "dim")])
    for row in cells:
        if stacked:
            lines.append([(row[0].text, row[0].style or columns[0].style)])
        lines.extend(_row(columns, row, widths, stacked))
    return lines


def _total(widths: Sequence[int]) -> int:
    shown = [w for w in widths if w > 0]
    return sum(shown) + GAP * max(len(shown) - 1, 0)


def _natural(columns: Sequence[Column], cells: Sequence[Sequence[Cell]]) -> list[int]:
    return [
        max([len(col.header), *(len(line) for r in cells for line in r[i].text.split("\n"))])
        for i, col in enumerate(columns)
    ]


def _smallest(column: Column, texts: list[str]) -> int:
    """The narrowest a column may get: its longest word (wrap), CUT_MIN (cut), all (keep)."""
    if column.kind == "wrap":
        return max([len(w) for t in [column.header, *texts] for w in t.split()] or [1])
    if column.kind == "cut":
        return min(CUT_MIN, max([len(t) for t in texts] or [1]))
    return max([len(line) for t in [column.header, *texts] for line in t.split("\n")] or [0])


def _shrink(
    columns: Sequence[Column], cells: Sequence[Sequence[Cell]], widths: list[int], width: int
) -> list[int]:
    """Give up space: cut columns first, then wrapping ones, the widest first."""
    widths = list(widths)
    for kind in ("cut", "wrap"):
        floors = {
            i: _smallest(c, [r[i].text for r in cells])
            for i, c in enumerate(columns)
            if c.kind == kind
        }
        while _total(widths) > width:
            candidates = [i for i in floors if widths[i] > floors[i]]
            if not candidates:
                break
            i = max(candidates, key=lambda j: widths[j])
            widths[i] -= 1
    return widths


def _row(
    columns: Sequence[Column], cells: Sequence[Cell], widths: Sequence[int], stacked: bool
) -> list[Line]:
    """One table row, as one or more lines (wrapped cells)."""
    start = 1 if stacked else 0
    pieces = [_fit(cells[i].text, widths[i], columns[i].kind) for i in range(start, len(columns))]
    height = max(len(p) for p in pieces)
    lines: list[Line] = []
    for n in range(height):
        line: Line = [("  ", None)] if stacked else []
        for k, i in enumerate(range(start, len(columns))):
            text = pieces[k][n] if n < len(pieces[k]) else ""
            pad = widths[i] - len(text)
            last = i == len(columns) - 1
            if columns[i].align == "right":
                line.append((" " * pad, None))
                line.append((text, cells[i].style or columns[i].style))
            else:
                line.append((text, cells[i].style or columns[i].style))
                if not last:
                    line.append((" " * pad, None))
            if not last:
                line.append((" " * GAP, None))
        lines.append(_rstrip(line))
    return lines


def _fit(text: str, width: int, kind: str) -> list[str]:
    if kind == "cut":
        return [cut(text, width)]
    if kind == "wrap":
        return wrap(text, width)
    return text.split("\n")


def cut(text: str, width: int) -> str:
    """`text` in at most `width` characters, ending in "…" when something was left out."""
    return text if len(text) <= width else text[: max(width - 1, 0)].rstrip() + "…"


_NUMBER = re.compile(r"[-+]?[\d.]*\d[\d.,%]*[,;:)]?$")


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap that never breaks inside a word (a word may exceed `width`), nor
    between a number and the word it belongs to (`seed 0`, `row 12`)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            if current and len(current) + 1 + len(word) > width:
                head, _, last = current.rpartition(" ")
                label = last.lstrip("(").isalpha()  # `seed`, `(Δ`; not `zero,` nor `·`
                if head and label and _NUMBER.match(word) and len(last) + 1 + len(word) <= width:
                    lines.append(head)  # the number takes its label to the next line
                    current = f"{last} {word}"
                    continue
                lines.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        lines.append(current)
    return lines


def _rstrip(line: Line) -> Line:
    while line and not line[-1][0].strip():
        line.pop()
    if line:
        text, style = line[-1]
        line[-1] = (text.rstrip(), style)
    return line


#: C0 and C1 control characters but tab and newline: an ESC from a data file (a group key, a
#: check name) would otherwise recolour or rewrite the user's terminal
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """User text with its control characters shown as escapes (`\\x1b`), never sent raw."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def plain(lines: Sequence[Line]) -> str:
    return "".join("".join(printable(text) for text, _ in line) + "\n" for line in lines)


def to_text(lines: Sequence[Line]) -> Any:
    """The lines as one rich Text (styles become colours on a colour terminal)."""
    from rich.text import Text

    out = Text()
    for line in lines:
        for text, style in line:
            out.append(printable(text), style=style)
        out.append("\n")
    return out


def line(text: str, style: str | None = None) -> Line:
    return [(text, style)]


def fit_parts(parts: Sequence[str], width: int, sep: str = " · ") -> str:
    """As many of `parts` as fit in `width`, in order of importance (dropping from the end)."""
    shown: list[str] = []
    for part in parts:
        candidate = sep.join([*shown, part])
        if len(candidate) <= width:
            shown.append(part)
    return sep.join(shown)

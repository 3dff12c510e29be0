"""Every golden file holds (a change to what people see shows as a diff: `make golden`), and
every golden screen keeps the rules: within its width, no markup tags, no name or number
cut or split across lines."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import golden_cases as g
import pytest

WIDTH = {"80": 80, "120": 120, "piped": 80}
MARKUP = re.compile(r"\[/?(?:bold|dim|green|red|magenta|yellow|italic|underline)\b[^\]]*\]|\[/\]")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with g.scratch(tmp_path_factory.mktemp("golden")) as path:
        yield path


@pytest.mark.parametrize("variant", list(g.VARIANTS))
@pytest.mark.parametrize("name", list(g.CASES))
def test_output_matches_the_golden_file(name: str, variant: str, work: Path) -> None:
    expected = g.path(name, variant).read_text(encoding="utf-8")
    assert g.run(name, variant, work) == expected, "output changed; run `make golden` if meant"


def _stdout(text: str) -> str:
    return text.split("--- stdout\n", 1)[1].split("\n--- stderr", 1)[0]


def _goldens() -> list[tuple[str, str]]:
    return [(name, variant) for variant in g.VARIANTS for name in g.CASES]


@pytest.mark.parametrize(("name", "variant"), _goldens())
def test_golden_screens_keep_the_rules(name: str, variant: str) -> None:
    text = g.path(name, variant).read_text(encoding="utf-8")
    assert not MARKUP.search(text), "markup tag printed literally"
    assert "\x1b[" not in text, "colour codes when piped"
    if name not in g.SCREENS:
        return
    lines = _stdout(text).splitlines()
    width = WIDTH[variant]
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    for before, after in itertools.pairwise(lines):
        # a name or number split over two lines: a line ending inside a word that the next
        # line continues (mean_squared / _error)
        assert not (before.rstrip().endswith("_") or after.lstrip().startswith("_")), after
    if name.startswith("list") and "--long" not in g.CASES[name]:
        _names_whole(lines)  # summaries are cut on purpose; names never
    else:
        assert not re.search(r"[\w.]…", "\n".join(lines)), "a name or number cut with …"


def _list_rows(lines: list[str]) -> list[str]:
    """The loss rows of a `list` screen; every other line is the title, a column header, a
    rule, a blank line or a source heading (`torch (12)`)."""
    rows = []
    for line in lines[1:]:
        if not line or line.startswith(("name ", "─")) or re.fullmatch(r"\S+ \(\d+\)", line):
            continue
        rows.append(line)
    return rows


def _names_whole(lines: list[str]) -> None:
    """Every row of `list` starts with a whole loss name, one row per loss."""
    from losscli.registry import list_losses

    known = {i.name for i in list_losses()}
    rows = _list_rows(lines)
    assert rows and all(line.split()[0] in known for line in rows), rows
    assert len({line.split()[0] for line in rows}) == len(rows)


def test_list_is_one_line_per_loss_at_80_columns() -> None:
    from losscli.registry import list_losses

    rows = _list_rows(_stdout(g.path("list", "80").read_text(encoding="utf-8")).splitlines())
    assert len(rows) == len([i for i in list_losses() if i.origin == "built-in"])
    assert all(len(line) <= 80 for line in rows)


def test_check_status_words_are_plain_when_piped() -> None:
    text = _stdout(g.path("check_fail", "piped").read_text(encoding="utf-8"))
    assert re.search(r"\sFAIL$", text, re.M) and re.search(r"\sPASS$", text, re.M)

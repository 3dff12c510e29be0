"""The README stays true: its loss table is the registry's, and its examples run as written."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from losscli.catalogue import markdown_table
from losscli.cli import app
from losscli.registry import list_losses

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
START, END = "<!-- catalogue:start -->", "<!-- catalogue:end -->"


def test_loss_table_is_generated_from_the_registry() -> None:
    table = README.split(START)[1].split(END)[0].strip()
    expected = markdown_table([i for i in list_losses() if i.origin == "built-in"])
    assert table == expected, (
        "README loss table is stale; regenerate it with: python scripts/make_catalogue.py"
    )


def _examples() -> list[tuple[str, int]]:
    """`$ losscli …` lines of console blocks; a trailing `  # exit N` states the expected code."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if not line.startswith("$ losscli "):
                continue
            command, _, comment = line[2:].partition("  #")  # a comment needs two spaces
            match = re.search(r"exit (\d+)", comment)
            found.append((command.strip(), int(match.group(1)) if match else 0))
    return found


@pytest.mark.parametrize(("command", "code"), _examples())
def test_readme_example_runs(
    command: str, code: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    args = shlex.split(command)[1:]
    if any(a.endswith(("preds.parquet", "preds.csv")) for a in args):
        pytest.skip("illustrative file name")
    # run in a copy, so examples that write files leave the checkout untouched
    shutil.copytree(ROOT / "sample_data", tmp_path / "sample_data")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, f"{command}\n{result.stdout}\n{result.stderr}"

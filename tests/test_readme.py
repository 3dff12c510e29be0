"""The README stays true: its loss table is the registry's, and its examples run as written."""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
import subprocess
import sys
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


def _examples(prefix: str = "$ losscli ") -> list[tuple[str, int]]:
    """`$ …` lines of console blocks; a trailing `  # exit N` states the expected code."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if not line.startswith(prefix):
                continue
            command, _, comment = line[2:].partition("  #")  # a comment needs two spaces
            match = re.search(r"exit (\d+)", comment)
            found.append((command.strip(), int(match.group(1)) if match else 0))
    return found


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of what the examples read, with the scratch folder `make demo` creates: examples
    that write files leave the checkout untouched."""
    shutil.copytree(ROOT / "sample_data", tmp_path / "sample_data")
    (tmp_path / "scratch").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("command", "code"), _examples())
def test_readme_example_runs(command: str, code: int, checkout: Path) -> None:
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, f"{command}\n{result.stdout}\n{result.stderr}"


def test_examples_write_only_under_scratch() -> None:
    """Files an example writes go to the git-ignored scratch/ folder."""
    for command, _ in _examples():
        args = shlex.split(command)
        for option, value in itertools.pairwise(args):
            if option in ("-o", "--output", "--junit", "--per-sample", "--plot") and value != "-":
                assert value.startswith("scratch/"), command
    assert "scratch/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def _shell_examples() -> list[tuple[str, int]]:
    """Console lines that use the shell (pipes, the activation line), not just losscli."""
    return [
        (command, code)
        for command, code in _examples("$ ")
        if not command.startswith(("losscli ", "make ", "source "))
    ]


@pytest.mark.parametrize(("command", "code"), _shell_examples())
def test_readme_shell_example_runs_after_activation(
    command: str, code: int, checkout: Path
) -> None:
    """As a reader types it: in bash, after the README's one activation line."""
    activate = Path(sys.executable).parent / "activate"
    if not activate.exists():
        pytest.skip("not running inside a virtualenv (make test creates .venv)")
    done = subprocess.run(
        ["bash", "-c", f"source {shlex.quote(str(activate))} && {command}"],
        capture_output=True,
        text=True,
        cwd=checkout,
    )
    assert done.returncode == code, f"{command}\n{done.stdout}\n{done.stderr}"


def test_the_activation_line_puts_losscli_on_path(checkout: Path) -> None:
    assert "$ source .venv/bin/activate" in README
    activate = Path(sys.executable).parent / "activate"
    if not activate.exists():
        pytest.skip("not running inside a virtualenv (make test creates .venv)")
    done = subprocess.run(
        [
            "bash",
            "-c",
            f"source {shlex.quote(str(activate))} && losscli eval mse "
            "sample_data/regression.csv -q",
        ],
        capture_output=True,
        text=True,
        cwd=checkout,
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) > 0

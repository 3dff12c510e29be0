"""The house rules that keep losscli a thin CLI over a library, checked so they cannot drift:
weighting lives in reduce.py only, the library never imports typer/rich nor prints, and the
README's Architecture table names every module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "losscli"
#: the command line's own modules: they may import typer/rich and write to the terminal
FACE = {
    "cli.py",
    "catalogue_cli.py",
    "compare_cli.py",
    "outputs.py",
    "typer_options.py",
    "completion.py",
    "__main__.py",
}


def _library_modules() -> list[Path]:
    return [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.name not in FACE and "report" not in p.relative_to(PACKAGE).parts
    ]


def test_losses_know_nothing_of_weights() -> None:
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sorted((PACKAGE / "losses").glob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if "sample_weight" in line
    ]
    assert not found, f"weighting belongs to reduce.py: {found}"


def test_library_modules_neither_import_the_terminal_nor_print() -> None:
    found = []
    for path in _library_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "print"
            ):
                names = ["print()"]
            else:
                continue
            bad = [n for n in names if n == "print()" or n.split(".")[0] in ("typer", "rich")]
            found += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in bad]
    assert not found


def test_the_architecture_table_names_every_module() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([\w/]+(?:\.py|/))`", section))
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.name.startswith("__") or rel.name.startswith("_"):
            continue  # __init__, __main__, private helpers are described with their package
        folder = f"{rel.parts[0]}/" if len(rel.parts) > 1 else None
        if rel.name not in named and str(rel) not in named and folder not in named:
            missing.append(str(rel))
    assert not missing, f"add these modules to README's Architecture table: {missing}"
    stale = [
        name
        for name in named
        if name.endswith(".py") and not list(PACKAGE.rglob(name.rsplit("/", 1)[-1]))
    ]
    assert not stale, f"the Architecture table names modules that do not exist: {stale}"

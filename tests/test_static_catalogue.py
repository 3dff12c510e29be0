"""The generated catalogue behind the fast `losscli list` cannot drift from the registry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from losscli import plugins, static_catalogue
from losscli.cli import app
from losscli.registry import register_loss

runner = CliRunner()
REGENERATE = "losscli/_catalogue.json is stale: run `python scripts/make_catalogue.py`"


def test_the_file_matches_the_registry_exactly() -> None:
    on_disk = json.loads(static_catalogue.PATH.read_text(encoding="utf-8"))
    assert on_disk == static_catalogue.build(), REGENERATE


def test_the_fast_path_is_taken_here() -> None:
    assert static_catalogue.load() is not None, REGENERATE


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["list", "--format", "json"],
        ["list", "--category", "regression"],
        ["list", "--category", "hinge", "--format", "json"],
        ["list", "--category", "nope"],
    ],
)
def test_list_prints_the_same_from_the_file_and_from_the_registry(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = runner.invoke(app, args)
    monkeypatch.setattr(static_catalogue, "load", lambda: None)
    slow = runner.invoke(app, args)
    assert (fast.exit_code, fast.stdout, fast.stderr) == (slow.exit_code, slow.stdout, slow.stderr)


def test_a_changed_source_makes_the_file_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = json.loads(static_catalogue.PATH.read_text(encoding="utf-8"))
    stale["fingerprint"] = "0" * 64
    path = tmp_path / "_catalogue.json"
    path.write_text(json.dumps(stale))
    monkeypatch.setattr(static_catalogue, "PATH", path)
    assert static_catalogue.load() is None


def test_a_missing_or_broken_file_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(static_catalogue, "PATH", tmp_path / "absent.json")
    assert static_catalogue.load() is None
    (tmp_path / "broken.json").write_text("{")
    monkeypatch.setattr(static_catalogue, "PATH", tmp_path / "broken.json")
    assert static_catalogue.load() is None


def test_an_installed_plugin_package_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "my_losses-1.0.dist-info"
    dist.mkdir()
    (dist / "entry_points.txt").write_text(
        f"[{plugins.ENTRY_POINT_GROUP}]\nfocal = my_losses:focal\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert static_catalogue.plugin_packages_installed()
    assert static_catalogue.load() is None


def test_losses_registered_in_this_process_are_listed() -> None:
    @register_loss(category="regression", origin="notebook")
    def cube_error(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """Mean cubed absolute error."""
        return np.mean(np.abs(y_true - y_pred) ** 3, axis=-1)

    assert static_catalogue.load() is None
    assert "cube_error" in runner.invoke(app, ["list", "--format", "json"]).stdout


def test_the_entry_point_group_is_the_plugins_one() -> None:
    assert static_catalogue.GROUP == plugins.ENTRY_POINT_GROUP

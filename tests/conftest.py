"""Shared fixtures: Keras runs on its numpy backend; every test starts with only built-in losses."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "numpy")


@pytest.fixture(autouse=True)
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Losses that a test's plugins register vanish afterwards, so tests cannot leak into each other."""
    from losscli import plugins
    from losscli.registry import REGISTRY, load_builtins

    load_builtins()
    monkeypatch.setattr(REGISTRY, "_losses", dict(REGISTRY._losses))
    monkeypatch.setattr(REGISTRY, "_names", dict(REGISTRY._names))
    monkeypatch.setattr(plugins, "_loaded", {})

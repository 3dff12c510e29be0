"""`losscli list` without numpy or the loss modules: a generated catalogue of the built-ins.

Importing the losses costs numpy, the registry and every loss module (over 0.1 s), while
`list` only shows their metadata. `_catalogue.json` holds `catalogue.info_dict` of every
built-in loss, written by `scripts/make_catalogue.py` from the registry, with a fingerprint
of the source files it was made from: when a loss module changes, the fingerprint no longer
matches and `list` reads the real registry instead (right, only slower) until the file is
regenerated. Installed plugin packages and `--plugin` always go through the registry, which
runs their code. tests/test_static_catalogue.py checks the file is current and that `list`
prints exactly the same from either path.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent
PATH = PACKAGE / "_catalogue.json"
#: the plugin packages' entry-point group (plugins.ENTRY_POINT_GROUP; a test checks they agree)
GROUP = "losscli.losses"


def sources() -> list[Path]:
    """Every file whose change can change what `list` shows for a built-in loss."""
    files = sorted((PACKAGE / "losses").rglob("*.py"))
    return [*files, PACKAGE / "registry.py", PACKAGE / "catalogue.py"]


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sources():
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build() -> dict[str, Any]:
    """The catalogue from the registry itself (imports every built-in loss)."""
    from losscli.catalogue import info_dict
    from losscli.registry import REGISTRY, load_builtins

    load_builtins()
    losses = [info_dict(info) for info in REGISTRY.all() if info.origin == "built-in"]
    return {"fingerprint": fingerprint(), "losses": json.loads(json.dumps(losses))}


def load() -> list[dict[str, Any]] | None:
    """The built-ins' info dicts, or None when the registry must be asked instead."""
    try:
        data = json.loads(PATH.read_text(encoding="utf-8"))
        if data.get("fingerprint") != fingerprint():
            return None
    except (OSError, ValueError):
        return None
    if plugin_packages_installed() or _custom_losses_registered():
        return None
    return list(data["losses"])


def _custom_losses_registered() -> bool:
    """In a process that already loaded the registry (a notebook, a test), it may hold
    losses registered in code; then it, not the file, is the truth."""
    registry = sys.modules.get("losscli.registry")
    return registry is not None and any(i.origin != "built-in" for i in registry.REGISTRY.all())


def plugin_packages_installed() -> bool:
    """Whether any installed distribution declares the plugin entry-point group.

    A conservative look at the `entry_points.txt` files on sys.path (importlib.metadata
    costs more than the rest of `list`); a false alarm only means the slower path.
    """
    marker = f"[{GROUP}]"
    for folder in sys.path:
        try:
            entries = list(os.scandir(folder or "."))
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                text = Path(entry.path, "entry_points.txt").read_text(encoding="utf-8")
            except OSError:
                continue
            if marker in text:
                return True
    return False

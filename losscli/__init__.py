"""losscli: Keras-exact loss functions evaluated on prediction files.

    >>> import losscli
    >>> losscli.get("mse").name
    'mean_squared_error'

The public API is loaded on first use, so `import losscli` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from losscli._version import __version__

if TYPE_CHECKING:
    from losscli.api import evaluate
    from losscli.engine import evaluate_arrays
    from losscli.plugins import load_plugins
    from losscli.registry import get, list_losses, register_loss

__all__ = [
    "__version__",
    "evaluate",
    "evaluate_arrays",
    "get",
    "list_losses",
    "load_plugins",
    "register_loss",
]

_LAZY = {
    "evaluate": "losscli.api",
    "evaluate_arrays": "losscli.engine",
    "get": "losscli.registry",
    "list_losses": "losscli.registry",
    "load_plugins": "losscli.plugins",
    "register_loss": "losscli.registry",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'losscli' has no attribute {name!r}")

"""Custom losses from user code: plugin files and modules, and installed packages.

Code runs only when the user names it (`--plugin my_losses.py`, `--plugin pkg.losses`, the
check config's `plugins`) or has installed a package that declares the `losscli.losses`
entry-point group. Entry points are read lazily: only when a name is not built in, or when
listing.

In a plugin module a loss is registered either with `@losscli.register_loss(...)` or by
being found. Found means: a public function defined in the module (or named in its
`__all__`) whose signature says what it is:

- `f(y_true, y_pred, k=default, ...)` is a loss; its defaulted parameters are spec parameters;
- `f(k=default, ...)`, at least one parameter and all with defaults, is a factory:
  `'f(k=2)'` calls `f(k=2)` once and evaluates the `(y_true, y_pred)` callable it returns.

Anything else (required parameters beyond the first two, `*args`, classes, imported
functions) is left alone; make helpers private (`_helper`) or list the losses in `__all__`.
Custom losses run through the same engine as built-ins; a custom loss that raises, returns
the wrong shape or returns NaN for finite inputs is an InputDataError naming its file and line.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from losscli.errors import LossCliError, LossCliWarning, UsageError
from losscli.guest import guest_call, user_site
from losscli.plugin_calls import (  # noqa: F401 - call_custom, source_of: the engine's and API's
    call_custom,
    factory_loss,
    guard_hooks,
    source_of,
    source_of_function,
)
from losscli.registry import (
    LOADING_ORIGIN,
    OVERRIDES_ALLOWED,
    REGISTRY,
    LossInfo,
    build_info,
    load_builtins,
)

#: The entry-point group installed packages use to ship losses.
ENTRY_POINT_GROUP = "losscli.losses"

_MODULE_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")

#: plugin key (resolved file or module name) → losses it added; loading twice is a no-op.
_loaded: dict[str, list[LossInfo]] = {}
_entry_points_loaded = False


def load_plugins(specs: Iterable[str], *, base: str | Path | None = None) -> list[LossInfo]:
    """Load plugin files (`my_losses.py`) and modules (`package.module`); return the losses added.

    Relative file paths are read from `base` (e.g. the folder of a config file), else from
    the current directory. A missing file, an import error or a name clash is a UsageError.
    """
    load_builtins()
    added: list[LossInfo] = []
    for spec in specs:
        added.extend(load_plugin(spec, base=base))
    return added


def load_plugin(spec: str, *, base: str | Path | None = None) -> list[LossInfo]:
    """Load one plugin file or module; the losses it registers get `plugin <spec>` as origin."""
    load_builtins()
    spec = spec.strip()
    if spec.endswith(".py") or "/" in spec or "\\" in spec:
        path = Path(spec) if base is None or Path(spec).is_absolute() else Path(base) / spec
        if not path.is_file():
            raise UsageError(
                f"plugin file {str(path)!r} not found",
                hint="give a .py file path or an importable module name (package.module)",
            )
        key = str(path.resolve())
        if key in _loaded:
            return []

        def run() -> ModuleType:
            return _exec_file(path, _file_module_name(path, key))

    else:
        if not _MODULE_NAME.match(spec):
            raise UsageError(
                f"plugin {spec!r} is neither a .py file nor a module name",
                hint="e.g. --plugin my_losses.py or --plugin mypackage.losses",
            )
        key = f"module {spec}"
        if key in _loaded:
            return []

        def run() -> ModuleType:
            return _import_module(spec)

    origin = f"plugin {spec}"
    before = _registered_ids()
    with _loading(origin, overrides=True):
        _guard_import(lambda: _discover(run(), origin), f"plugin {spec}")
    added = _guard_added(before)
    _loaded[key] = added
    return added


def load_entry_points() -> None:
    """Register the losses of installed packages (group `losscli.losses`), once per process.

    An entry point may name a module (`my_pkg.losses`: loaded like a plugin module) or a
    function (`my_pkg.losses:focal`: registered under the entry point's name). A broken
    entry point is a LossCliWarning naming its package, never a crash.
    """
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    load_builtins()
    before = _registered_ids()
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        package = f"{dist.name} {dist.version}" if dist is not None else ep.value
        origin = f"package {package}"
        try:
            with _loading(origin, overrides=False):
                _guard_import(lambda ep=ep, origin=origin: _load_entry_point(ep, origin), ep.value)
        except LossCliError as exc:
            warnings.warn(
                f"package {package}: entry point {ep.name} = {ep.value} "
                f"({ENTRY_POINT_GROUP}) skipped: {exc.message}",
                LossCliWarning,
                stacklevel=2,
            )
    _guard_added(before)


def _load_entry_point(ep: Any, origin: str) -> None:
    obj = ep.load()
    if isinstance(obj, ModuleType):
        _discover(obj, origin)
    elif inspect.isfunction(obj):
        if not _already_registered(obj):
            _register_found(obj, ep.name, origin)
    else:
        raise UsageError(f"{ep.value} is neither a module nor a function")


def kind_of(fn: Callable[..., Any]) -> str | None:
    """'loss', 'factory' or None: what a found function's signature says it is."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in params if p.default is p.empty]
    if len(positional) >= 2 and required == positional[:2]:
        return "loss"
    if params and not required:
        return "factory"
    return None


@contextmanager
def _loading(origin: str, *, overrides: bool) -> Iterator[None]:
    """Losses registered inside get this origin; `overrides` says whether they may replace one.

    Entry points may not: they load lazily, so an override would apply to some commands only.
    """
    token = LOADING_ORIGIN.set(origin)
    allowed = OVERRIDES_ALLOWED.set(overrides)
    try:
        yield
    finally:
        OVERRIDES_ALLOWED.reset(allowed)
        LOADING_ORIGIN.reset(token)


def _guard_added(before: set[int]) -> list[LossInfo]:
    """The losses registered since `before`, their user hooks now behind the door."""
    added = []
    for info in REGISTRY.all():
        if id(info) not in before:
            guarded = guard_hooks(info)
            if guarded is not info:
                REGISTRY.add(guarded, override=True)
            added.append(guarded)
    return added


def _registered_ids() -> set[int]:
    return {id(info) for info in REGISTRY.all()}


def _already_registered(fn: Callable[..., Any]) -> bool:
    return any(inspect.unwrap(info.fn) is fn for info in REGISTRY.all())


def _discover(module: ModuleType, origin: str) -> None:
    """Register the module's public losses and factories that no decorator registered."""
    public = getattr(module, "__all__", None)
    names = list(public) if public is not None else [n for n in vars(module) if n[:1] != "_"]
    for name in names:
        obj = getattr(module, name, None)
        if not inspect.isfunction(obj):
            continue
        if public is None and obj.__module__ != module.__name__:
            continue  # imported, not defined here
        if _already_registered(obj) or kind_of(obj) is None:
            continue
        _register_found(obj, obj.__name__, origin)


def _register_found(fn: Callable[..., Any], name: str, origin: str) -> None:
    kind = kind_of(fn)
    if kind is None:
        raise UsageError(
            f"{name} at {source_of_function(fn)} is neither a loss f(y_true, y_pred, ...) "
            "nor a factory whose parameters all have defaults"
        )
    validate = None
    target = fn
    if kind == "factory":
        target, validate = factory_loss(fn)
    try:
        info = build_info(
            target,
            name=name,
            class_name=None,
            category="custom",
            formula="",
            y_true="same shape as y_pred",
            y_pred="one value or one vector per sample",
            labels="dense",
            validate=validate,
            origin=origin,
        )
    except ValueError as exc:
        raise UsageError(f"{origin}: {exc} (at {source_of_function(fn)})") from None
    try:
        REGISTRY.add(info)
    except UsageError as exc:
        raise UsageError(
            f"{exc.message} (at {source_of_function(fn)})",
            hint="rename the function, make it private (_name), or register it with "
            "@losscli.register_loss(override=True)",
        ) from None


def _guard_import(run: Callable[[], Any], what: str) -> Any:
    """Run user code at import; its errors become a UsageError naming the file and line."""

    def failed(exc: Exception) -> LossCliError:
        if isinstance(exc, SyntaxError):
            return UsageError(f"{what}: syntax error at {exc.filename}:{exc.lineno}: {exc.msg}")
        site = user_site(exc)
        return UsageError(
            f"{what} failed to load: {type(exc).__name__}: {exc}"
            + ("" if site == "an unknown place" else f" at {site}"),
            hint="--debug shows the traceback",
        )

    return guest_call(run, what, translate=failed)


def _file_module_name(path: Path, key: str) -> str:
    stem = re.sub(r"\W", "_", path.stem)
    return f"losscli_plugin_{stem}_{hashlib.sha1(key.encode()).hexdigest()[:8]}"


def _exec_file(path: Path, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"plugin file {str(path)!r} cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise UsageError(
                f"plugin module {name!r} not found",
                hint="check the name, install the package, or give a .py file path",
            ) from None
        raise

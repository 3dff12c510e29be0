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
import traceback
import typing
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from losscli.errors import InputDataError, LossCliError, LossCliWarning, UsageError
from losscli.guest import guest_call, user_site
from losscli.registry import (
    LOADING_ORIGIN,
    OVERRIDES_ALLOWED,
    REGISTRY,
    BoundLoss,
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
    added = [info for info in REGISTRY.all() if id(info) not in before]
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


def _load_entry_point(ep: Any, origin: str) -> None:
    obj = ep.load()
    if isinstance(obj, ModuleType):
        _discover(obj, origin)
    elif inspect.isfunction(obj):
        if not _already_registered(obj):
            _register_found(obj, ep.name, origin)
    else:
        raise UsageError(f"{ep.value} is neither a module nor a function")


def call_custom(
    loss: BoundLoss,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    extra: Mapping[str, Any],
    first_row: int,
) -> np.ndarray:
    """Run a non-built-in loss on one batch the way Keras's LossFunctionWrapper does, and check
    what it returns: an error here names the plugin's file and line instead of a traceback."""
    from losscli.losses._common import same_rank

    y_true, y_pred = same_rank(y_true, y_pred)  # LossFunctionWrapper.call does this first
    y_true, y_pred = _read_only(y_true), _read_only(y_pred)
    name = loss.canonical()

    def failed(exc: Exception) -> LossCliError:
        site = _raise_site(exc, loss.info)
        if isinstance(exc, ValueError) and "read-only" in str(exc):
            return InputDataError(
                f"custom loss {name} ({loss.info.origin}) wrote into its input at {site}; "
                "y_true and y_pred are read-only (other losses read the same arrays)",
                hint="compute into a new array, or copy first: y_pred = y_pred.copy()",
            )
        return InputDataError(
            f"custom loss {name} ({loss.info.origin}) raised {type(exc).__name__}: {exc} "
            f"at {site}, in the batch starting at row {first_row}",
            hint="fix the loss; --debug shows the traceback",
        )

    values = guest_call(
        lambda: np.asarray(loss.info.fn(y_true, y_pred, **loss.params, **extra)),
        f"custom loss {name} ({loss.info.origin})",
        translate=failed,
        site=lambda exc: _raise_site(exc, loss.info),
    )
    n = len(y_pred)
    where = source_of(loss.info)
    if values.dtype.kind not in "biuf":
        raise InputDataError(
            f"custom loss {name} at {where} returned {values.dtype} values, not numbers"
        )
    # one value per row, or (n, T) for sequence outputs: y_pred with its last axis reduced
    if values.shape not in ((n,), y_pred.shape[:-1]):
        raise InputDataError(
            f"custom loss {name} at {where} returned shape {values.shape} for {n} rows; "
            f"it must return one value per row, shape ({n},), or reduce only the last axis "
            f"of y_pred, shape {y_pred.shape[:-1]}",
            hint="reduce the last axis, e.g. np.mean(..., axis=-1); "
            f"it received y_true {y_true.shape} and y_pred {y_pred.shape}",
        )
    bad = np.isnan(values).reshape(n, -1).any(axis=1) & _finite_rows(y_true, y_pred, n)
    if bad.any():
        row = first_row + int(np.argmax(bad))
        raise InputDataError(
            f"custom loss {name} at {where} returned NaN for finite inputs "
            f"({int(bad.sum())} rows in this batch)",
            row=row,
            hint="guard divisions and logs in the loss (e.g. np.clip with an epsilon)",
        )
    return values


def source_of(info: LossInfo) -> str:
    """`file:line` of the function behind a loss (a factory's returned callable once built)."""
    fn = getattr(info.fn, "_losscli_last_built", None) or inspect.unwrap(info.fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return repr(fn)
    return f"{code.co_filename}:{code.co_firstlineno}"


def factory_loss(factory: Callable[..., Any]) -> tuple[Callable[..., Any], Callable[..., None]]:
    """A `(y_true, y_pred, **params)` loss and a `validate` hook for a factory.

    The factory is called once per distinct parameter set, when the spec is resolved, so a
    bad parameter is a usage error before any data is read.
    """
    built: dict[str, Callable[..., Any]] = {}
    parameters = list(inspect.signature(factory).parameters.values())
    try:
        hints = typing.get_type_hints(factory)
    except Exception:
        hints = {}

    def make(params: Mapping[str, Any]) -> Callable[..., Any]:
        key = repr(sorted(params.items()))
        if key not in built:
            built[key] = factory(**params)
        loss._losscli_last_built = built[key]  # type: ignore[attr-defined]
        return built[key]

    def loss(y_true: Any, y_pred: Any, **params: Any) -> Any:
        return make(params)(y_true, y_pred)

    def validate(params: Mapping[str, Any]) -> None:
        def failed(exc: Exception) -> LossCliError:
            return UsageError(
                f"{factory.__name__}: factory {factory.__name__} raised {type(exc).__name__}: "
                f"{exc} at {_raise_site(exc, factory)}"
            )

        made = guest_call(
            lambda: make(params),
            f"factory {factory.__name__} at {source_of_function(factory)}",
            translate=failed,
            site=lambda exc: _raise_site(exc, factory),
        )
        if not callable(made):
            raise ValueError(
                f"factory {factory.__name__} at {source_of_function(factory)} returned "
                f"{type(made).__name__}, not a (y_true, y_pred) callable"
            )

    tensor = inspect.Parameter.POSITIONAL_OR_KEYWORD
    loss.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("y_true", tensor),
            inspect.Parameter("y_pred", tensor),
            *(p.replace(kind=tensor) for p in parameters),
        ]
    )
    loss.__annotations__ = {k: v for k, v in hints.items() if k != "return"}
    loss.__name__ = factory.__name__
    loss.__qualname__ = factory.__qualname__
    loss.__doc__ = factory.__doc__
    loss.__wrapped__ = factory  # type: ignore[attr-defined]
    return loss, validate


def source_of_function(fn: Callable[..., Any]) -> str:
    code = getattr(inspect.unwrap(fn), "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code else repr(fn)


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


def _read_only(array: np.ndarray) -> np.ndarray:
    """A view the guest cannot write through: every loss sees the batch as it was read."""
    view = array.view()
    view.flags.writeable = False
    return view


def _raise_site(exc: BaseException, info_or_fn: Any) -> str:
    """The deepest traceback line in the loss's own file, else where the loss is defined."""
    fn = info_or_fn.fn if isinstance(info_or_fn, LossInfo) else info_or_fn
    last = getattr(fn, "_losscli_last_built", None)
    files = {
        getattr(getattr(f, "__code__", None), "co_filename", None)
        for f in (inspect.unwrap(fn), last)
    }
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in files]
    if frames:
        return f"{frames[-1].filename}:{frames[-1].lineno}"
    return source_of_function(last or fn)


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


def _finite_rows(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    ok = np.ones(n, dtype=bool)
    for array in (y_true, y_pred):
        if array.dtype.kind in "fc":
            ok &= np.isfinite(array.reshape(n, -1)).all(axis=1)
    return ok

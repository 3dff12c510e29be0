"""The loss catalogue: one decorated function per loss is the only place its metadata lives.

`list`, `describe`, the README table, name resolution and spec parsing all read from here.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from losscli.errors import UsageError
from losscli.names import snake as _snake
from losscli.names import source_rank, unknown_name_hint

#: What y_true holds, which decides how the engine reads and checks it: "dense" has y_pred's
#: shape, "sparse" is one class index into y_pred's last axis per row, "ids" are integer ids
#: that index nothing in y_pred (CTC label sequences, Circle's group labels).
LABEL_KINDS = ("dense", "sparse", "ids")

#: The origin of losses registered without one; plugins.py sets it while running user code.
LOADING_ORIGIN: ContextVar[str] = ContextVar("losscli_loading_origin", default="built-in")
#: Whether `override=True` is honoured now (not while loading lazily read entry points).
OVERRIDES_ALLOWED: ContextVar[bool] = ContextVar("losscli_overrides_allowed", default=True)


class Prepass(Protocol):
    """A pass over the whole file that a loss needs before per-sample values exist.

    Used where Keras looks at the whole batch (Hinge's label conversion, Dice over all
    elements, Circle's pairs): `update` sees every batch, `result` gives extra keyword
    arguments for the loss function.
    """

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None: ...

    def result(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Param:
    """One user-settable parameter of a loss, read from the function's signature."""

    name: str
    default: Any
    annotation: Any
    help: str

    @property
    def type_name(self) -> str:
        return _type_name(self.annotation)

    def coerce(self, value: Any, loss_name: str) -> Any:
        """Check a parsed literal against the annotation; ints are accepted for floats."""
        ok, converted = _coerce(value, self.annotation)
        if not ok:
            raise UsageError(
                f"parameter {self.name!r} of {loss_name} must be {self.type_name}, got {value!r}"
            )
        return converted


@dataclass(frozen=True)
class LossInfo:
    """Everything losscli knows about one loss; calling it computes per-sample values."""

    name: str
    fn: Callable[..., Any]
    class_name: str | None
    aliases: tuple[str, ...]
    category: str
    summary: str
    formula: str
    params: tuple[Param, ...]
    y_true: str
    y_pred: str
    labels: str = "dense"
    vector: bool = False
    prepass: Callable[[Mapping[str, Any]], Prepass | None] | None = None
    validate: Callable[[Mapping[str, Any]], None] | None = None
    whole_file: str | None = None
    origin: str = "built-in"
    example: str | None = None
    doc: str = ""
    #: whose semantics the loss has: keras, torch, sklearn, tfa (built-ins) or custom (plugins)
    source: str = "keras"
    #: why the loss is one value for the whole file, not a mean of per-row values;
    #: such a loss refuses sample weights and every reduction but the default
    batch_level: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        extra = (self.class_name,) if self.class_name else ()
        return (self.name, *extra, *self.aliases)

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)

    def resolve_params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """All parameters with defaults filled in, types checked, constraints validated."""
        known = {p.name: p for p in self.params}
        unknown = [k for k in given if k not in known]
        if unknown:
            takes = ", ".join(f"{p.name}={p.default!r}" for p in self.params) or "no parameters"
            raise UsageError(f"{self.name} has no parameter {unknown[0]!r}; it takes: {takes}")
        resolved = {p.name: p.default for p in self.params}
        for key, value in given.items():
            resolved[key] = known[key].coerce(value, self.name)
        if self.validate is not None:
            try:
                self.validate(resolved)
            except ValueError as exc:
                raise UsageError(f"{self.name}: {exc}") from None
        return resolved

    def __call__(self, y_true: Any, y_pred: Any, **params: Any) -> np.ndarray:
        """Per-sample losses for in-memory arrays, like calling Keras's loss function."""
        resolved = self.resolve_params(params)
        y_true = np.asarray(y_true)
        y_pred = np.asarray(y_pred)
        extra = run_prepass(self, resolved, [(y_true, y_pred)])
        result = self.fn(y_true, y_pred, **resolved, **extra)
        return result[0] if isinstance(result, tuple) else result


def run_prepass(
    info: LossInfo,
    params: Mapping[str, Any],
    batches: Iterable[tuple[np.ndarray, np.ndarray]],
) -> dict[str, Any]:
    """Feed every batch to the loss's prepass, if it has one for these parameters."""
    if info.prepass is None:
        return {}
    state = info.prepass(params)
    if state is None:
        return {}
    for y_true, y_pred in batches:
        state.update(y_true, y_pred)
    return state.result()


def needs_prepass(info: LossInfo, params: Mapping[str, Any]) -> bool:
    return info.prepass is not None and info.prepass(params) is not None


class Registry:
    """Names and aliases → LossInfo; case matters only where Keras's own names differ by case."""

    def __init__(self) -> None:
        self._losses: dict[str, LossInfo] = {}
        self._names: dict[str, str] = {}

    def add(self, info: LossInfo, *, override: bool = False) -> None:
        clashes = [n for n in info.names if n in self._names and self._names[n] != info.name]
        if info.name in self._losses and not override:
            clashes.insert(0, info.name)
        if clashes and not override:
            owner = self._losses[self._names.get(clashes[0], clashes[0])]
            raise UsageError(
                f"loss name {clashes[0]!r} from {info.origin} is already taken by "
                f"{owner.name} ({owner.origin}); register it with override=True to replace it"
            )
        if override:
            for name in info.names:
                old = self._names.get(name)
                if old is not None and old != info.name:
                    self._drop(old)
            if info.name in self._losses:
                self._drop(info.name)
        self._losses[info.name] = info
        for name in info.names:
            self._names[name] = info.name

    def _drop(self, name: str) -> None:
        info = self._losses.pop(name)
        for alias in info.names:
            if self._names.get(alias) == name:
                del self._names[alias]

    def get(self, name: str) -> LossInfo:
        key = self._names.get(name) or self._names.get(_snake(name))
        if key is None:
            raise UsageError(f"unknown loss {name!r}", hint=unknown_name_hint(name, self._names))
        return self._losses[key]

    def __contains__(self, name: str) -> bool:
        return name in self._names or _snake(name) in self._names

    def all(self) -> list[LossInfo]:
        return sorted(
            self._losses.values(), key=lambda i: (source_rank(i.source), i.category, i.name)
        )


REGISTRY = Registry()


def register_loss(
    name: str | None = None,
    *,
    class_name: str | None = None,
    aliases: Sequence[str] = (),
    category: str = "custom",
    formula: str = "",
    y_true: str = "same shape as y_pred",
    y_pred: str = "one value or one vector per sample",
    labels: str = "dense",
    vector: bool = False,
    params: Mapping[str, str] | None = None,
    prepass: Callable[[Mapping[str, Any]], Prepass | None] | None = None,
    validate: Callable[[Mapping[str, Any]], None] | None = None,
    whole_file: str | None = None,
    example: str | None = None,
    origin: str | None = None,
    source: str | None = None,
    batch_level: str | None = None,
    override: bool = False,
    factory: bool = False,
    registry: Registry | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(y_true, y_pred, **params)` returning one loss per sample.

    Parameters are the function's arguments after y_true and y_pred that have defaults;
    their annotations give the types and `params` their one-line help. Keyword-only
    arguments are internal (filled by a prepass), not user parameters. With `factory=True`,
    `fn(**params)` returns the `(y_true, y_pred)` loss instead (Keras-style closures).
    `override=True` replaces a loss that already has the name (plugins only). `vector=True`
    says y_pred must hold one score per class per row (the loss reduces over classes).
    `source` is whose semantics the loss has (default: keras for built-ins, else custom).
    """
    if labels not in LABEL_KINDS:
        raise ValueError(f"labels must be one of {LABEL_KINDS}")

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        target, check = fn, validate
        if factory:
            from losscli.plugins import factory_loss

            if validate is not None:
                raise ValueError("a factory validates itself by raising ValueError")
            target, check = factory_loss(fn)
        if override and not OVERRIDES_ALLOWED.get():
            raise UsageError(
                f"{name or fn.__name__}: installed packages cannot override losses",
                hint="load the module with --plugin to override",
            )
        loaded_from = LOADING_ORIGIN.get() if origin is None else origin
        info = build_info(
            target,
            name=name,
            class_name=class_name,
            aliases=aliases,
            category=category,
            formula=formula,
            y_true=y_true,
            y_pred=y_pred,
            labels=labels,
            vector=vector,
            params=params,
            prepass=prepass,
            validate=check,
            whole_file=whole_file,
            example=example,
            origin=loaded_from,
            source=source or ("keras" if loaded_from == "built-in" else "custom"),
            batch_level=batch_level,
        )
        (registry or REGISTRY).add(info, override=override)
        return fn

    return decorate


def build_info(
    fn: Callable[..., Any],
    *,
    name: str | None,
    params: Mapping[str, str] | None = None,
    **fields: Any,
) -> LossInfo:
    """Read a loss function's signature and docstring into a LossInfo."""
    help_texts = dict(params or {})
    signature = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        hints = {}
    found: list[Param] = []
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(positional) < 2:
        raise ValueError(f"{fn.__name__} must take (y_true, y_pred, ...)")
    for p in positional[2:]:
        if p.default is p.empty:
            raise ValueError(f"{fn.__name__}: parameter {p.name!r} needs a default")
        annotation = hints.get(p.name, type(p.default) if p.default is not None else Any)
        found.append(Param(p.name, p.default, annotation, help_texts.pop(p.name, "")))
    if help_texts:
        raise ValueError(f"{fn.__name__}: help given for unknown parameters {sorted(help_texts)}")
    doc = inspect.getdoc(fn) or ""
    summary = doc.splitlines()[0] if doc else fn.__name__.replace("_", " ")
    aliases = tuple(fields.pop("aliases", ()) or ())
    return LossInfo(
        name=name or fn.__name__,
        fn=fn,
        aliases=aliases,
        summary=summary,
        params=tuple(found),
        doc=doc,
        **fields,
    )


def get(name: str) -> LossInfo:
    """The loss registered under a name, class name or alias (built-ins load on first use;
    installed plugin packages only when the name is not built in)."""
    load_builtins()
    if name not in REGISTRY:
        from losscli.plugins import load_entry_points

        load_entry_points()
    return REGISTRY.get(name)


def list_losses(category: str | None = None, source: str | None = None) -> list[LossInfo]:
    """Built-in losses, loaded plugins and installed plugin packages, by category and name."""
    from losscli.plugins import load_entry_points

    load_entry_points()
    return [
        info
        for info in REGISTRY.all()
        if (category is None or info.category == category)
        and (source is None or info.source == source)
    ]


def load_builtins() -> None:
    import losscli.losses  # noqa: F401 - importing registers the built-in losses


def _type_name(annotation: Any) -> str:
    if annotation is Any:
        return "any"
    if isinstance(annotation, type):
        return annotation.__name__
    text = str(annotation).replace("typing.", "")
    return text.replace("NoneType", "None")


def _coerce(value: Any, annotation: Any) -> tuple[bool, Any]:
    """(accepted, converted) for a literal against a type annotation."""
    if annotation is Any:
        return True, value
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, _UnionType):
        for arm in typing.get_args(annotation):
            ok, converted = _coerce(value, arm)
            if ok:
                return True, converted
        return False, value
    if annotation is type(None):
        return value is None, value
    if annotation is bool:
        return isinstance(value, bool), value
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return True, float(value)
        return False, value
    if annotation is str:
        return isinstance(value, str), value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            return False, value
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        arm = args[0] if args else Any
        items = [_coerce(v, arm) for v in value]
        if not all(ok for ok, _ in items):
            return False, value
        return True, origin(v for _, v in items)
    if isinstance(annotation, type):
        return isinstance(value, annotation), value
    return True, value


_UnionType = type(int | None)


@dataclass(frozen=True)
class BoundLoss:
    """A loss with every parameter resolved: what one spec in `mse,huber(delta=2)` means."""

    info: LossInfo
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.info.name

    def canonical(self) -> str:
        """`huber(delta=0.5)`: the name and only the parameters that differ from defaults."""
        changed = [
            f"{p.name}={_literal(self.params[p.name])}"
            for p in self.info.params
            if self.params[p.name] != p.default
        ]
        return f"{self.name}({', '.join(changed)})" if changed else self.name

    def full(self) -> str:
        """Every resolved parameter, for reproducibility signatures."""
        items = ", ".join(f"{p.name}={_literal(self.params[p.name])}" for p in self.info.params)
        return f"{self.name}({items})"


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)

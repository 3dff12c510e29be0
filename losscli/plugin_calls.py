"""Calling user code that plugins registered: losses, factories, validate and prepass hooks.

Every call goes through the door in `losscli.guest` (stdout to stderr, every exception kind
contained and named), and what comes back is checked: a custom loss that raises, writes into
its (read-only) inputs, returns the wrong shape or returns NaN for finite inputs is an
InputDataError naming its file and line; a factory or validate hook that fails is a
UsageError (a bad parameter).
"""

from __future__ import annotations

import dataclasses
import inspect
import traceback
import typing
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from losscli.errors import InputDataError, LossCliError, UsageError
from losscli.guest import guest_call
from losscli.registry import BoundLoss, LossInfo


def guard_hooks(info: LossInfo) -> LossInfo:
    """The same loss with its validate and prepass hooks (user code) behind the door."""
    changes: dict[str, Any] = {}
    if info.validate is not None:
        check = info.validate

        def validate(params: Mapping[str, Any]) -> None:
            def failed(exc: Exception) -> LossCliError:
                if isinstance(exc, ValueError):
                    return UsageError(f"{info.name}: {exc}")
                return UsageError(
                    f"{info.name}: its parameter check raised {type(exc).__name__}: {exc} "
                    f"at {_raise_site(exc, check)}"
                )

            guest_call(
                lambda: check(params), f"the parameter check of {info.name}", translate=failed
            )

        changes["validate"] = validate
    if info.prepass is not None:
        make = info.prepass
        what = f"the whole-file pass of custom loss {info.name} ({info.origin})"

        def failed(exc: Exception) -> LossCliError:
            return InputDataError(
                f"{what} raised {type(exc).__name__}: {exc} at {_raise_site(exc, make)}",
                hint="fix the loss; --debug shows the traceback",
            )

        def prepass(params: Mapping[str, Any]) -> Any:
            state = guest_call(lambda: make(params), what, translate=failed)
            return None if state is None else _GuardedState(state, what, failed)

        changes["prepass"] = prepass
    return dataclasses.replace(info, **changes) if changes else info


@dataclasses.dataclass
class _GuardedState:
    """A plugin's prepass state whose `update` and `result` run behind the door."""

    state: Any
    what: str
    failed: Callable[[Exception], LossCliError]

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        t, p = _read_only(y_true), _read_only(y_pred)
        guest_call(lambda: self.state.update(t, p), self.what, translate=self.failed)

    def result(self) -> dict[str, Any]:
        return guest_call(lambda: dict(self.state.result()), self.what, translate=self.failed)


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


def _finite_rows(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    ok = np.ones(n, dtype=bool)
    for array in (y_true, y_pred):
        if array.dtype.kind in "fc":
            ok &= np.isfinite(array.reshape(n, -1)).all(axis=1)
    return ok

"""Multi-head models: several (loss, y_true, y_pred, weight) heads over one read of a file.

Keras's `compile(loss=[...], loss_weights=[...])` (`CompileLoss.call`) reduces each head's
loss on its own, casts it to the loss dtype, multiplies it by its weight when one is given,
and adds the heads with Python's `sum`, in order. `weighted_total` does exactly that.
The check runner uses the same single-read evaluation for several checks on one file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from losscli.api import InputInfo, make_batch
from losscli.engine import Batch, LossResult, check_options, finish, prefetch, prepass, step
from losscli.errors import InputDataError, UsageError
from losscli.reduce import Accumulator
from losscli.registry import BoundLoss
from losscli.spec import parse_specs, split_specs

_KEYS = ("name", "loss", "y_true", "y_pred", "sample_weight", "weight", "reduction")


@dataclass(frozen=True)
class Head:
    """One model output: its loss, its columns and its weight in the total (None: 1, unscaled)."""

    name: str
    loss: str
    y_true: str = "y_true"
    y_pred: str = "y_pred"
    sample_weight: str | None = None
    weight: float | None = None
    reduction: str | None = None  # None: the run's reduction

    def __post_init__(self) -> None:
        if self.weight is not None and not math.isfinite(self.weight):
            raise UsageError(
                f"head {self.name!r}: weight {self.weight} is not a finite number",
                hint="a head's weight scales its loss in the total: give a finite number",
            )

    def bound(self) -> BoundLoss:
        losses = parse_specs(self.loss)
        if len(losses) != 1:
            raise UsageError(
                f"head {self.name!r} has {len(losses)} losses; a head has one (as in Keras)",
                hint="add another --head for another loss",
            )
        return losses[0]


@dataclass
class HeadResult:
    head: Head
    result: LossResult
    columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def weighted(self) -> float:
        return weighted_total([self.result.value], [self.head.weight], self.result_dtype)

    result_dtype: str = "float64"


@dataclass
class HeadsEvaluation:
    input: InputInfo
    heads: list[HeadResult]
    reduction: str
    dtype: str
    warnings: list[tuple[str, Any]] = field(default_factory=list)  # (head name, diagnostic)

    @property
    def total(self) -> float:
        return weighted_total(
            [h.result.value for h in self.heads], [h.head.weight for h in self.heads], self.dtype
        )


def parse_head(text: str, position: int = 0, default_loss: str | None = None) -> Head:
    """`name=out1,loss=huber(delta=0.5),y_true=t1,y_pred=p1,weight=0.5` → Head; a head
    without `loss=` takes `default_loss` (the command's LOSS), as Keras's compile does.

    Commas inside parentheses or brackets do not split, so several columns are written
    `y_pred=[p_0,p_1]` (or a glob, `y_pred=p_*`).
    """
    fields: dict[str, str] = {}
    for part in split_specs(text):
        key, sep, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in _KEYS:
            raise UsageError(
                f"--head {text!r}: {part!r} is not KEY=VALUE with KEY one of {', '.join(_KEYS)}",
                hint="e.g. --head 'name=out1,loss=mse,y_true=t1,y_pred=p1,weight=0.5'",
            )
        fields[key] = value.strip()
    if "loss" not in fields and default_loss is not None:
        fields["loss"] = default_loss
    if "loss" not in fields:
        raise UsageError(f"--head {text!r} needs loss=…")
    for role in ("y_true", "y_pred"):
        if role in fields and fields[role].startswith("[") and fields[role].endswith("]"):
            fields[role] = fields[role][1:-1]
    weight = None
    if "weight" in fields:
        try:
            weight = float(fields.pop("weight"))
        except ValueError:
            raise UsageError(f"--head {text!r}: weight must be a number") from None
    name = fields.pop("name", None) or f"head{position}"
    return Head(name=name, weight=weight, **fields)


def weighted_total(values: Sequence[float], weights: Sequence[float | None], dtype: str) -> float:
    """Keras's `sum(loss * weight for each head)`, in the loss dtype and in head order."""
    total: Any = 0
    for value, weight in zip(values, weights, strict=True):
        v = np.asarray(value, dtype=dtype)
        if weight is not None:
            v = np.multiply(v, np.asarray(weight, dtype=dtype))
        total = total + v
    return float(total)


def evaluate_heads(
    path: str,
    heads: Sequence[Head],
    *,
    reduction: str = "sum_over_batch_size",
    dtype: str = "float64",
    batch_size: int | None = None,
    input_format: str | None = None,
    class_weight: Mapping[int, float] | None = None,
    nan_policy: str = "raise",
    classes: str | None = None,
) -> HeadsEvaluation:
    """Evaluate every head in one read of the file (a second read only for losses that need
    a whole-file prepass). Each head's batches pass the same checks as `evaluate`'s (shapes,
    labels, NaN policy, diagnostics); their warnings come back in `warnings`. Text labels
    become class indices as in `evaluate` (`classes`, else the y_pred columns' suffixes)."""
    from losscli.columns import choose_columns, normalize
    from losscli.readers import ReadOptions, batch_rows, open_source
    from losscli.validate import BatchCheck, Roles

    check_options(reduction, dtype)
    names = [h.name for h in heads]
    if len(set(names)) != len(names):
        raise UsageError(f"head names must differ, got {', '.join(names)}")
    heads = [replace(h, reduction=h.reduction or reduction) for h in heads]
    for head in heads:
        check_options(head.reduction or reduction, dtype)
    losses = [h.bound() for h in heads]
    source = open_source(path, input_format, ReadOptions(batch_size=batch_rows(batch_size)))
    choices = [
        choose_columns(
            source.column_names,
            y_true=h.y_true,
            y_pred=h.y_pred,
            sample_weight=h.sample_weight,
            path=path,
            classes=classes,
        )
        for h in heads
    ]
    checks = [
        BatchCheck(
            [loss],
            nan_policy=nan_policy,
            path=path,
            roles=Roles(c.y_true, c.y_pred, c.sample_weight),
        )
        for loss, c in zip(losses, choices, strict=True)
    ]
    wanted: list[str] = []
    for choice in choices:
        wanted.extend(n for n in choice.all if n not in wanted)

    def head_batches(i: int) -> Callable[[], Iterator[Batch]]:
        def batches() -> Iterator[Batch]:
            first = 0
            for record_batch in source.batches(wanted):
                yield checks[i](
                    make_batch(
                        normalize(record_batch, choices[i], path=path, first_row=first),
                        choices[i],
                        path=path,
                        first_row=first,
                        dtype=dtype,
                        class_weight=class_weight,
                    )
                )
                first += record_batch.num_rows

        return batches

    extras = [prepass([loss], head_batches(i))[0] for i, loss in enumerate(losses)]
    states = [
        Accumulator(
            weighted=c.sample_weight is not None or class_weight is not None,
            keep_values=h.reduction == "none",
        )
        for c, h in zip(choices, heads, strict=True)
    ]
    rows = 0
    for record_batch in prefetch(source.batches(wanted)):
        for i, choice in enumerate(choices):
            batch = make_batch(
                normalize(record_batch, choice, path=path, first_row=rows),
                choice,
                path=path,
                first_row=rows,
                dtype=dtype,
                class_weight=class_weight,
            )
            step([losses[i]], [extras[i]], [states[i]], checks[i](batch))
        rows += record_batch.num_rows
    if rows == 0:
        raise InputDataError("has no data rows", path=path, hint="the file is empty or header-only")
    results = [
        HeadResult(
            head,
            finish([loss], [state], head.reduction or reduction)[0],
            {
                "y_true": list(choice.y_true),
                "y_pred": list(choice.y_pred),
                "sample_weight": list(choice.sample_weight or ()),
            },
            dtype,
        )
        for head, loss, state, choice in zip(heads, losses, states, choices, strict=True)
    ]
    warnings = [
        (head.name, note)
        for head, check, result in zip(heads, checks, results, strict=True)
        for note in check.finish([result.result])
    ]
    info = InputInfo(path=path, format=source.format, rows=rows)
    return HeadsEvaluation(
        input=info, heads=results, reduction=reduction, dtype=dtype, warnings=warnings
    )

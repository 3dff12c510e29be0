"""`losscli.evaluate(path, 'mse,mae')`: a file in, results out; what the CLI calls."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.diagnostics import result_warnings
from losscli.engine import (
    Batch,
    BatchHook,
    LossResult,
    evaluate_batches,
    prefetch,
)
from losscli.errors import InputDataError
from losscli.options import InputOptions, Options, reading
from losscli.spec import parse_specs
from losscli.validate import BatchCheck, Roles

if TYPE_CHECKING:
    from losscli.inputs import Progress


@dataclass
class InputInfo:
    path: str
    format: str
    rows: int
    columns: dict[str, list[str]] = field(default_factory=dict)
    labels: str | None = None  # the second file y_true came from (--labels)
    #: the class names text labels were mapped through (None: the labels were numbers)
    classes: list[str] | None = None


@dataclass
class Evaluation:
    input: InputInfo
    results: list[LossResult]
    reduction: str
    dtype: str
    #: diagnostics about the whole file (losscli.diagnostics.Diagnostic); the CLI prints them
    warnings: list[Any] = field(default_factory=list)


#: the options `evaluate` takes by keyword: how to read, which columns, reduction and dtype
_SETTINGS = {f.name for f in fields(InputOptions)} - {"files", "strict"} | {"reduction", "dtype"}


def evaluate(
    path: str,
    losses: str | None = None,
    options: Options | None = None,
    *,
    class_weight: Mapping[int, float] | None = None,
    keep: Sequence[str] = (),
    on_batch: BatchHook | None = None,
    progress: Progress | None = None,
    **settings: Any,
) -> Evaluation:
    """Evaluate one or more loss specs on a file, streaming it in batches.

    `options` (losscli.options.Options) is what eval and check build and validate once;
    `settings` change single options by name, the library's keyword form:
    `evaluate(path, "mse", y_true="t", nan_policy="omit")`. `sample_weight=None` uses a
    `sample_weight` column when the file has one; pass `"none"` to ignore it.
    `class_weight` (parsed) multiplies each row's weight by its true class's weight (as
    Keras's `fit(class_weight=...)`). `on_batch` sees every batch and its per-sample
    outputs, with the `keep` columns in `Batch.columns`. `nan_policy` (raise, omit,
    propagate) decides what rows holding NaN or inf do; see losscli.validate.
    `progress(rows, total)` is called after each batch.
    """
    from losscli.inputs import open_input

    options = options or Options()
    unknown = sorted(settings.keys() - _SETTINGS)
    if unknown:  # output and gate options are the caller's, not evaluate's
        raise TypeError(f"evaluate() got unexpected keyword arguments: {', '.join(unknown)}")
    if settings:
        options = options.with_values(**settings)
    losses = options.loss.loss if losses is None else losses
    reduction, dtype = options.loss.reduction, options.loss.dtype
    nan_policy, labels = options.input.nan_policy, options.input.labels
    bound = parse_specs(losses)
    source = open_input(path, **reading(options.input), keep=keep)
    choice, kept = source.choice, source.kept
    rows = 0

    def batches() -> Iterator[Batch]:
        nonlocal rows
        rows = 0
        for first, record_batch in prefetch(source.batches(progress)):
            rows += record_batch.num_rows
            yield make_batch(
                record_batch,
                choice,
                path=path,
                first_row=first,
                dtype=dtype,
                class_weight=class_weight,
                keep=kept,
            )

    weighted = choice.sample_weight is not None or class_weight is not None
    roles = Roles(choice.y_true, choice.y_pred, choice.sample_weight)
    check = BatchCheck(bound, nan_policy=nan_policy, path=path, roles=roles)
    try:
        results = evaluate_batches(
            bound, batches, weighted=weighted, reduction=reduction, on_batch=on_batch, check=check
        )
    except InputDataError as exc:
        exc.path = exc.path or path  # the engine does not know the file
        raise source.place(exc) from exc.__cause__  # keep a plugin's traceback for --debug
    if rows == 0:
        raise InputDataError("has no data rows", path=path, hint="the file is empty or header-only")
    warnings = source.warnings + check.finish(results) + result_warnings(results)
    info = InputInfo(
        path=path,
        format=source.format,
        rows=rows,
        columns={
            "y_true": list(choice.y_true),
            "y_pred": list(choice.y_pred),
            "sample_weight": list(choice.sample_weight or ()),
        },
        labels=labels,
        classes=list(choice.classes) if source.named_labels and choice.classes else None,
    )
    return Evaluation(
        input=info, results=results, reduction=reduction, dtype=dtype, warnings=warnings
    )


def make_batch(
    record_batch: Any,
    choice: Any,
    *,
    path: str,
    first_row: int,
    dtype: str,
    class_weight: Mapping[int, float] | None = None,
    keep: Sequence[str] = (),
) -> Batch:
    """One Arrow record batch → the engine's numpy Batch for a ColumnChoice."""
    from losscli.columns import to_numpy, weights_to_numpy

    t = to_numpy(record_batch, choice.y_true, path=path, first_row=first_row)
    p = to_numpy(record_batch, choice.y_pred, path=path, first_row=first_row)
    w = None
    if choice.sample_weight:
        w = np.asarray(
            weights_to_numpy(record_batch, choice.sample_weight[0], path=path), dtype=dtype
        )
    if class_weight is not None:
        from losscli.classweight import class_sample_weights

        cw = class_sample_weights(t, class_weight, dtype=dtype, path=path, first_row=first_row)
        w = cw if w is None else w * cw
    return Batch(
        np.asarray(t, dtype=dtype),
        np.asarray(p, dtype=dtype),
        w,
        first_row,
        {name: record_batch.column(name) for name in keep},
    )

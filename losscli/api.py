"""`losscli.evaluate(path, 'mse,mae')`: a file in, results out; what the CLI calls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from losscli.engine import Batch, LossResult, check_options, evaluate_batches, prefetch
from losscli.errors import InputDataError
from losscli.spec import parse_specs


@dataclass
class InputInfo:
    path: str
    format: str
    rows: int
    columns: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Evaluation:
    input: InputInfo
    results: list[LossResult]
    reduction: str
    dtype: str


def evaluate(
    path: str,
    losses: str = "mse",
    *,
    y_true: str = "y_true",
    y_pred: str = "y_pred",
    sample_weight: str | None = None,
    reduction: str = "sum_over_batch_size",
    dtype: str = "float64",
    batch_size: int | None = None,
    input_format: str | None = None,
) -> Evaluation:
    """Evaluate one or more loss specs on a file, streaming it in batches.

    `sample_weight=None` uses a `sample_weight` column when the file has one; pass
    `"none"` to ignore it.
    """
    from losscli.columns import choose_columns, to_numpy, weights_to_numpy
    from losscli.readers import DEFAULT_BATCH_SIZE, ReadOptions, open_source

    check_options(reduction, dtype)
    bound = parse_specs(losses)
    options = ReadOptions(batch_size=batch_size or DEFAULT_BATCH_SIZE)
    source = open_source(path, input_format, options)
    choice = choose_columns(
        source.column_names,
        y_true=y_true,
        y_pred=y_pred,
        sample_weight=sample_weight,
        path=path,
    )
    rows = 0

    def batches() -> Iterator[Batch]:
        nonlocal rows
        rows = 0
        for record_batch in prefetch(source.batches(choice.all)):
            first = rows
            rows += record_batch.num_rows
            t = to_numpy(record_batch, choice.y_true, path=path, first_row=first)
            p = to_numpy(record_batch, choice.y_pred, path=path, first_row=first)
            w = None
            if choice.sample_weight:
                w = weights_to_numpy(record_batch, choice.sample_weight[0], path=path)
            yield Batch(
                np.asarray(t, dtype=dtype),
                np.asarray(p, dtype=dtype),
                None if w is None else np.asarray(w, dtype=dtype),
                first,
            )

    results = evaluate_batches(
        bound, batches, weighted=choice.sample_weight is not None, reduction=reduction
    )
    if rows == 0:
        raise InputDataError("has no data rows", path=path, hint="the file is empty or header-only")
    info = InputInfo(
        path=path,
        format=source.format,
        rows=rows,
        columns={
            "y_true": list(choice.y_true),
            "y_pred": list(choice.y_pred),
            "sample_weight": list(choice.sample_weight or ()),
        },
    )
    return Evaluation(input=info, results=results, reduction=reduction, dtype=dtype)

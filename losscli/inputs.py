"""The reading path: a source (and a labels file), the column choice and `--skip/--limit` →
Arrow record batches in file order, every chosen column already numeric.

`api.evaluate` only turns these batches into numpy; where the numbers came from (format,
second file, text cells, class names) ends here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import pyarrow as pa

from losscli.columns import ColumnChoice, choose_columns, normalize, parse_classes, resolve
from losscli.columns import infer_classes as _infer_classes
from losscli.errors import InputDataError, UsageError
from losscli.labels import KeyIndex, by_row_order, check_row_counts
from losscli.readers import ReadOptions, Source, batch_rows, detect_format, open_source

#: `progress(rows_read, rows_expected_or_None)`, called after each batch
Progress = Callable[[int, int | None], None]

#: prefix for a labels column whose name the predictions file also uses
LABELS_PREFIX = "labels."


@dataclass
class Input:
    """An opened input: what it is, which columns are used, and its batches (re-readable)."""

    path: str
    format: str
    choice: ColumnChoice
    kept: list[str]
    total_rows: int | None
    labels_path: str | None
    stream: Callable[[], Iterator[pa.RecordBatch]]
    skip: int = 0
    limit: int | None = None
    #: the --on key column of a labels join
    key: str | None = None
    #: messages for stderr from the last pass (unused labels in a key join)
    warnings: list[str] = field(default_factory=list)
    #: the Keras mask column (--mask), also in `kept`
    mask: str | None = None
    #: whether y_true held class names (mapped to indices through choice.classes)
    named_labels: bool = False
    #: file row of the stream's first row (a partition of row groups read on a worker)
    offset: int = 0

    def batches(self, progress: Progress | None = None) -> Iterator[tuple[int, pa.RecordBatch]]:
        """(first file row, batch) pairs; each call reads the input again from the start."""
        done = 0
        for first, batch in window(self.stream(), self.skip, self.limit):
            first += self.offset
            try:
                normalized = normalize(batch, self.choice, path=self.path, first_row=first)
            except InputDataError as exc:
                raise self.place(exc) from None
            if self.choice.classes and not self.named_labels:
                self.named_labels = _named_labels(batch, normalized, self.choice.y_true)
            yield first, normalized
            done += batch.num_rows
            if progress is not None:
                progress(done, self.total_rows)

    def place(self, exc: InputDataError) -> InputDataError:
        """Point an error about a labels column at the labels file. Its row is a predictions
        row, which is also the labels row in a row-order join but not in a key join."""
        labels_columns = {*self.choice.y_true, *(self.choice.sample_weight or ())}
        if self.labels_path is None or exc.column not in labels_columns:
            return exc
        exc.path = self.labels_path
        if self.key is not None and exc.row is not None:
            exc.message = f"{exc.message} (the labels row joined to predictions row {exc.row})"
            exc.row = None
        return exc


def _named_labels(raw: pa.RecordBatch, normalized: pa.RecordBatch, names: Sequence[str]) -> bool:
    """Whether y_true held class names: text before `normalize`, class indices after."""
    for name in names:
        kind = raw.schema.field(name).type
        kind = kind.value_type if pa.types.is_dictionary(kind) else kind
        text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        if text and pa.types.is_integer(normalized.schema.field(name).type):
            return True
    return False


def open_input(
    path: str,
    *,
    y_true: str = "y_true",
    y_pred: str = "y_pred",
    sample_weight: str | None = None,
    input_format: str | None = None,
    batch_size: int | None = None,
    delimiter: str | None = None,
    header: bool = True,
    classes: str | Sequence[str] | None = None,
    labels: str | None = None,
    on: str | None = None,
    skip: int = 0,
    limit: int | None = None,
    keep: Sequence[str] = (),
    mask: str | None = None,
) -> Input:
    """Open `path` (and `labels`) and resolve every column the evaluation reads."""
    if skip < 0 or (limit is not None and limit < 0):
        raise UsageError("--skip and --limit take a number of rows, 0 or more")
    if on and not labels:
        raise UsageError("--on KEY joins a labels file", hint="add --labels FILE")
    options = ReadOptions(
        batch_size=batch_rows(batch_size),
        delimiter=_delimiter(delimiter),
        header=header,
        keep_types=(on,) if on else (),
    )
    source = open_source(path, input_format, options)
    kept = [n for k in keep for n in resolve(k, source.column_names, "key", path)]
    mask_name = _one(mask, source.column_names, "mask", path) if mask else None
    if mask_name is not None and mask_name not in kept:
        kept.append(mask_name)
    if kept and hasattr(source, "options"):
        # key columns keep their type: ids past 2**53 must not merge as float64
        source.options = replace(source.options, keep_types=(*source.options.keep_types, *kept))
    if labels is None:
        choice = choose_columns(
            source.column_names,
            y_true=y_true,
            y_pred=y_pred,
            sample_weight=sample_weight,
            path=path,
            classes=classes,
        )
        wanted = _unique([*choice.all, *kept])
        opened = Input(
            path=path,
            format=source.format,
            choice=choice,
            kept=kept,
            total_rows=_selected(source.num_rows, skip, limit),
            labels_path=None,
            stream=lambda: source.batches(wanted),
            skip=skip,
            limit=limit,
        )
        opened.mask = mask_name
        return opened
    labels_format = input_format if labels == "-" or not _known(labels) else None
    label_source = open_source(labels, labels_format, options)
    opened = _joined(
        source, label_source, y_true, y_pred, sample_weight, classes, on, kept, skip, limit
    )
    opened.mask = mask_name
    return opened


def _one(spec: str, available: Sequence[str], role: str, path: str) -> str:
    names = resolve(spec, available, role, path)
    if len(names) != 1:
        raise UsageError(f"--{role} names one column, got {', '.join(names)}")
    return names[0]


def _joined(
    source: Source,
    label_source: Source,
    y_true: str,
    y_pred: str,
    sample_weight: str | None,
    classes: str | Sequence[str] | None,
    on: str | None,
    kept: list[str],
    skip: int,
    limit: int | None,
) -> Input:
    """Columns from two files: y_true from the labels, y_pred from the predictions, weights
    from the labels when they have the column, else from the predictions."""
    path, labels = source.path, label_source.path
    for where, names in ((path, source.column_names), (labels, label_source.column_names)):
        if on and on not in names:
            raise InputDataError(
                f"has no key column {on!r}", path=where, hint="--on names a column of both files"
            )
    truth = resolve(y_true, label_source.column_names, "y_true", labels)
    pred = resolve(y_pred, source.column_names, "y_pred", path)
    weight_spec = sample_weight or "sample_weight"
    weight_side, weights = None, None
    if sample_weight not in ("", "none"):
        for side in (label_source, source):
            if sample_weight is None and weight_spec not in side.column_names:
                continue
            try:
                weights = resolve(weight_spec, side.column_names, "sample_weight", side.path)
            except InputDataError:
                if side is source and sample_weight is not None:
                    raise
                continue
            weight_side = side
            break
    pred_cols = _unique([*pred, *kept, *(weights or () if weight_side is source else ())])
    label_cols = _unique([*truth, *(weights or () if weight_side is label_source else ())])
    renamed = {n: (LABELS_PREFIX + n if n in pred_cols else n) for n in label_cols}
    choice = ColumnChoice(
        y_true=tuple(renamed[n] for n in truth),
        y_pred=pred,
        sample_weight=(
            None
            if weights is None
            else tuple(renamed[n] if weight_side is label_source else n for n in weights)
        ),
        classes=parse_classes(classes) if classes else _infer_classes(pred),
    )
    result = Input(
        path=path,
        format=source.format,
        choice=choice,
        kept=kept,
        total_rows=_selected(source.num_rows, skip, limit),
        labels_path=labels,
        stream=lambda: iter(()),
        skip=skip,
        limit=limit,
        key=on,
    )
    names = [*pred_cols, *(renamed[n] for n in label_cols)]
    if on is None:
        check_row_counts(source.num_rows, label_source.num_rows, path, labels)

        def stream() -> Iterator[pa.RecordBatch]:
            pairs = by_row_order(
                source.batches(pred_cols),
                label_source.batches(label_cols),
                predictions_path=path,
                labels_path=labels,
            )
            for left, right in pairs:
                yield _merge(left, right, names)

    else:
        index = KeyIndex.load(label_source, on, label_cols)

        def stream() -> Iterator[pa.RecordBatch]:
            index.reset()
            for batch in source.batches(_unique([*pred_cols, on])):
                left, right = index.join(batch, predictions_path=path)
                yield _merge(left.select(pred_cols), right.select(label_cols), names)
            result.warnings = index.finish(path)

    result.stream = stream
    return result


def window(
    batches: Iterable[pa.RecordBatch], skip: int, limit: int | None
) -> Iterator[tuple[int, pa.RecordBatch]]:
    """Rows `skip … skip+limit` as (first file row, batch); stops reading once `limit` is met."""
    position = 0
    emitted = 0
    for batch in batches:
        start = position
        position += batch.num_rows
        if position <= skip:
            continue
        if start < skip:
            batch = batch.slice(skip - start)
            start = skip
        if limit is not None:
            if emitted >= limit:
                return
            batch = batch.slice(0, limit - emitted)
        emitted += batch.num_rows
        yield start, batch
        if limit is not None and emitted >= limit:
            return


def _merge(left: pa.RecordBatch, right: pa.RecordBatch, names: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([*left.columns, *right.columns], names=names)


def _selected(rows: int | None, skip: int, limit: int | None) -> int | None:
    if rows is None:
        return 0 if limit == 0 else None
    rows = max(rows - skip, 0)
    return rows if limit is None else min(rows, limit)


def _delimiter(text: str | None) -> str | None:
    """One character; `\\t` and `tab` (what shells pass for a tab) mean a tab."""
    if text is None:
        return None
    text = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(text) != 1:
        raise UsageError(
            f"--delimiter must be one character, got {text!r}", hint="e.g. ';', '|' or tab"
        )
    return text


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _known(path: str) -> bool:
    try:
        detect_format(path)
    except UsageError:
        return False
    return True

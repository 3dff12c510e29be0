"""y_true (and weights) from a second file, lined up with the predictions' rows.

By row order the two files are streamed side by side, so memory stays bounded and the row
counts must match. By key (`--on id`) the labels side is held in memory (only the key and
the label/weight columns) and each predictions batch looks its rows up; a key that appears
twice on either side is an error, never a silent duplication of rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from losscli.errors import InputDataError
from losscli.readers import Source

#: how many example keys a message shows
SHOWN_KEYS = 5

Pair = tuple[pa.RecordBatch, pa.RecordBatch]


def by_row_order(
    predictions: Iterable[pa.RecordBatch],
    labels: Iterable[pa.RecordBatch],
    *,
    predictions_path: str,
    labels_path: str,
) -> Iterator[Pair]:
    """Pair each predictions batch with the same rows of the labels file."""
    label_iter = iter(labels)
    pending: deque[pa.RecordBatch] = deque()
    done = 0
    pred_iter = iter(predictions)
    for batch in pred_iter:
        pieces = []
        need = batch.num_rows
        while need:
            if not pending:
                nxt = next(label_iter, None)
                if nxt is None:
                    got = batch.num_rows - need
                    total = done + batch.num_rows + sum(b.num_rows for b in pred_iter)
                    raise _count_mismatch(total, done + got, predictions_path, labels_path)
                pending.append(nxt)
                continue
            head = pending.popleft()
            take = min(need, head.num_rows)
            pieces.append(head.slice(0, take))
            if take < head.num_rows:
                pending.appendleft(head.slice(take))
            need -= take
        done += batch.num_rows
        yield batch, _concat(pieces, batch.num_rows)
    left = sum(b.num_rows for b in pending) + sum(b.num_rows for b in label_iter)
    if left:
        raise _count_mismatch(done, done + left, predictions_path, labels_path)


def check_row_counts(
    predictions: int | None, labels: int | None, predictions_path: str, labels_path: str
) -> None:
    """Fail before reading anything when both files know their row counts."""
    if predictions is not None and labels is not None and predictions != labels:
        raise _count_mismatch(predictions, labels, predictions_path, labels_path)


def _count_mismatch(
    predictions: int, labels: int, predictions_path: str, labels_path: str
) -> InputDataError:
    return InputDataError(
        f"has {predictions:,} rows but the labels file {labels_path} has {labels:,}",
        path=predictions_path,
        hint="without --on KEY the files are joined by row order, so their row counts must match",
    )


def _concat(pieces: list[pa.RecordBatch], rows: int) -> pa.RecordBatch:
    if len(pieces) == 1:
        return pieces[0]
    table = pa.Table.from_batches(pieces).combine_chunks()
    return table.to_batches(max_chunksize=max(rows, 1))[0]


@dataclass
class KeyIndex:
    """The labels file in memory, keyed; `join` looks up one predictions batch."""

    key: str
    table: pa.Table
    labels_path: str
    #: labels rows already matched in the current pass (a second match is a duplicate)
    seen: np.ndarray = field(init=False)
    missing: int = field(init=False, default=0)
    missing_keys: list[object] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        import pyarrow.compute as pc  # key joins only: the plain path never loads it

        keys = self.table.column(self.key)
        if keys.null_count:
            row = int(np.argmax(keys.is_null().to_numpy(zero_copy_only=False)))
            raise InputDataError(
                "has an empty key", path=self.labels_path, column=self.key, row=row
            )
        counts = pc.value_counts(keys)
        repeated = counts.filter(pc.greater(counts.field("counts"), 1))
        if len(repeated):
            shown = ", ".join(repr(v) for v in repeated.field("values")[:SHOWN_KEYS].to_pylist())
            raise InputDataError(
                f"{len(repeated):,} keys appear more than once (first: {shown})",
                path=self.labels_path,
                column=self.key,
                hint="a key join needs one labels row per key",
            )
        self.reset()

    @classmethod
    def load(cls, source: Source, key: str, columns: list[str]) -> KeyIndex:
        wanted = [key, *[c for c in columns if c != key]]
        batches = list(source.batches(wanted))
        schema = batches[0].schema if batches else source.schema
        table = pa.Table.from_batches(batches, schema=schema).combine_chunks()
        return cls(key, table, source.path)

    def reset(self) -> None:
        self.seen = np.zeros(self.table.num_rows, dtype=bool)
        self.missing = 0
        self.missing_keys = []

    def join(
        self, batch: pa.RecordBatch, *, predictions_path: str
    ) -> tuple[pa.RecordBatch, pa.RecordBatch]:
        """(the predictions rows that have labels, their labels rows)."""
        import pyarrow.compute as pc

        keys = _align_key(batch.column(self.key), self.table.column(self.key), predictions_path)
        index = pc.index_in(keys, value_set=self.table.column(self.key))
        found = index.is_valid()
        if not pc.all(found).as_py():
            lost = pc.invert(found)
            self.missing += int(pc.sum(lost).as_py())
            room = SHOWN_KEYS - len(self.missing_keys)
            if room > 0:
                self.missing_keys.extend(keys.filter(lost)[:room].to_pylist())
            batch = batch.filter(found)
            index = index.filter(found)
        rows = index.to_numpy(zero_copy_only=False).astype(np.int64)
        repeated = self.seen[rows]
        order = np.sort(rows)
        if repeated.any() or (len(order) > 1 and (order[1:] == order[:-1]).any()):
            dup = (
                int(rows[repeated][0])
                if repeated.any()
                else int(order[1:][order[1:] == order[:-1]][0])
            )
            raise InputDataError(
                f"key {self.table.column(self.key)[dup].as_py()!r} appears more than once",
                path=predictions_path,
                column=self.key,
                hint="a key join needs one predictions row per key",
            )
        self.seen[rows] = True
        labels = self.table.take(pa.array(rows)).combine_chunks()
        return batch, _to_batch(labels)

    def finish(self, predictions_path: str) -> list[str]:
        """Raise for predictions without labels; return a warning for unused labels."""
        if self.missing:
            shown = ", ".join(repr(k) for k in self.missing_keys)
            raise InputDataError(
                f"{self.missing:,} rows have no label in {self.labels_path} (first keys: {shown})",
                path=predictions_path,
                column=self.key,
                hint="every predictions row needs a labels row with the same key",
            )
        unused = int((~self.seen).sum())
        if not unused:
            return []
        first = np.flatnonzero(~self.seen)[:SHOWN_KEYS]
        shown = ", ".join(repr(k) for k in self.table.column(self.key).take(first).to_pylist())
        return [
            f"{self.labels_path}: {unused:,} labels have no predictions row and were not used "
            f"(first keys: {shown})"
        ]


def _align_key(keys: pa.Array, label_keys: pa.ChunkedArray, path: str) -> pa.Array:
    if keys.type == label_keys.type:
        return keys
    import pyarrow.compute as pc

    try:
        return pc.cast(keys, label_keys.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputDataError(
            f"key column has type {keys.type} but the labels file's has {label_keys.type}",
            path=path,
            hint="the key must hold the same kind of values in both files",
        ) from None


def _to_batch(table: pa.Table) -> pa.RecordBatch:
    batches = table.to_batches(max_chunksize=max(table.num_rows, 1))
    return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=table.schema)

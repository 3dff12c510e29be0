"""Column selection (name, comma list, glob, `#position`) and Arrow → numpy conversion.

A scalar column becomes shape (N, 1), as Keras sees a scalar target in `model.fit`;
several scalar columns are stacked into (N, K); a list column becomes (N, K) and a list of
lists (N, T, K).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from losscli.errors import InputDataError, UsageError

ROLES = ("y_true", "y_pred", "sample_weight")


@dataclass(frozen=True)
class ColumnChoice:
    """Resolved column names per role; sample_weight is None when the file has no weights."""

    y_true: tuple[str, ...]
    y_pred: tuple[str, ...]
    sample_weight: tuple[str, ...] | None

    @property
    def all(self) -> list[str]:
        names: list[str] = []
        for group in (self.y_true, self.y_pred, self.sample_weight or ()):
            names.extend(n for n in group if n not in names)
        return names


def choose_columns(
    available: Sequence[str],
    *,
    y_true: str = "y_true",
    y_pred: str = "y_pred",
    sample_weight: str | None = None,
    path: str | None = None,
) -> ColumnChoice:
    """Resolve the user's column specs; `sample_weight=None` means 'the column if present'."""
    weights: tuple[str, ...] | None
    if sample_weight is None:
        weights = ("sample_weight",) if "sample_weight" in available else None
    elif sample_weight in ("", "none"):
        weights = None
    else:
        weights = resolve(sample_weight, available, "sample_weight", path)
        if len(weights) != 1:
            raise UsageError(f"--sample-weight must name one column, got {', '.join(weights)}")
    return ColumnChoice(
        resolve(y_true, available, "y_true", path),
        resolve(y_pred, available, "y_pred", path),
        weights,
    )


def resolve(spec: str, available: Sequence[str], role: str, path: str | None) -> tuple[str, ...]:
    """`a`, `a,b,c`, `p_*` (file order) or `#0` (position) → column names."""
    names: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part in available:
            if list(available).count(part) > 1:
                raise InputDataError(
                    f"the header has {list(available).count(part)} columns named {part!r}",
                    path=path,
                    column=part,
                    hint="rename them so every column name is unique",
                )
            names.append(part)
        elif part.startswith("#") and part[1:].isdigit():
            index = int(part[1:])
            if index >= len(available):
                raise InputDataError(
                    f"{role} column {part} does not exist: the file has {len(available)} columns",
                    path=path,
                )
            names.append(available[index])
        elif any(ch in part for ch in "*?["):
            matched = [n for n in available if fnmatch.fnmatchcase(n, part)]
            if not matched:
                raise _missing(part, role, available, path)
            names.extend(matched)
        else:
            raise _missing(part, role, available, path)
    if not names:
        raise UsageError(f"no {role} column given")
    return tuple(names)


def _missing(part: str, role: str, available: Sequence[str], path: str | None) -> InputDataError:
    shown = ", ".join(available[:20]) + (", …" if len(available) > 20 else "")
    return InputDataError(
        f"no {role} column {part!r}; the file has: {shown}",
        path=path,
        hint=f"choose one with --{role.replace('_', '-')}",
    )


def to_numpy(
    batch: pa.RecordBatch, names: Sequence[str], *, path: str | None, first_row: int
) -> np.ndarray:
    """The named columns of one batch as a numeric array: (N, 1), (N, K) or (N, T, K)."""
    if len(names) == 1:
        column = batch.column(names[0])
        if _is_list(column.type):
            return _list_to_numpy(column, names[0], path=path, first_row=first_row)
        return _scalar_to_numpy(column, names[0], path=path, first_row=first_row)[:, None]
    parts = []
    for name in names:
        column = batch.column(name)
        if _is_list(column.type):
            raise InputDataError(
                "a list column cannot be combined with other columns", path=path, column=name
            )
        parts.append(_scalar_to_numpy(column, name, path=path, first_row=first_row))
    return np.column_stack(parts)


def weights_to_numpy(batch: pa.RecordBatch, name: str, *, path: str | None) -> np.ndarray:
    column = batch.column(name)
    if _is_list(column.type):
        raise InputDataError("sample weights must be one number per row", path=path, column=name)
    return _scalar_to_numpy(column, name, path=path)


def _is_list(arrow_type: pa.DataType) -> bool:
    return (
        pa.types.is_list(arrow_type)
        or pa.types.is_large_list(arrow_type)
        or pa.types.is_fixed_size_list(arrow_type)
    )


def _scalar_to_numpy(
    column: pa.Array | pa.ChunkedArray,
    name: str,
    *,
    path: str | None,
    first_row: int | None = None,
) -> np.ndarray:
    kind = column.type
    if pa.types.is_boolean(kind):
        column = column.cast(pa.int8())
    elif not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)):
        from losscli.input_errors import not_numbers

        raise not_numbers(column, name, path=path, first_row=first_row)
    if pa.types.is_decimal(kind):
        column = column.cast(pa.float64())
    return column.to_numpy(zero_copy_only=False)


def _list_to_numpy(
    column: pa.Array | pa.ChunkedArray, name: str, *, path: str | None, first_row: int
) -> np.ndarray:
    """Flatten a list column whose rows all have the same length into a dense array."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    n = len(column)
    shape: list[int] = [n]
    values: pa.Array = column
    while _is_list(values.type):
        if values.null_count:
            row = int(np.argmax(values.is_null().to_numpy(zero_copy_only=False)))
            raise InputDataError(
                "empty (null) list cell", path=path, column=name, row=first_row + row
            )
        lengths = pc.list_value_length(values).to_numpy(zero_copy_only=False)
        width = int(lengths[0]) if len(lengths) else 0
        if len(lengths) and (lengths != width).any():
            bad = int(np.argmax(lengths != width))
            # rows of this level map back to file rows only at the outermost level
            row = first_row + bad if len(shape) == 1 else None
            raise InputDataError(
                f"list cells have different lengths ({width} and {int(lengths[bad])})",
                path=path,
                column=name,
                row=row,
                hint="every row needs the same number of values",
            )
        shape.append(width)
        values = values.flatten()
    flat = _scalar_to_numpy(values, name, path=path)
    return flat.reshape(shape)

"""Column selection (name, comma list, glob, `#position`) and Arrow → numpy conversion.

A scalar column becomes shape (N, 1), as Keras sees a scalar target in `model.fit`;
several scalar columns are stacked into (N, K); a list column becomes (N, K) and a list of
lists (N, T, K). Before that, `normalize` turns what files hold into numbers: text cells
that are JSON arrays (`"[0.1, 0.9]"`, what pandas writes for list columns) into list
columns, class names into class indices, dictionary (categorical) columns into values.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from losscli.errors import InputDataError, UsageError

ROLES = ("y_true", "y_pred", "sample_weight")


@dataclass(frozen=True)
class ColumnChoice:
    """Resolved column names per role; sample_weight is None when the file has no weights."""

    y_true: tuple[str, ...]
    y_pred: tuple[str, ...]
    sample_weight: tuple[str, ...] | None
    #: class names in index order, for y_true columns that hold names instead of indices
    classes: tuple[str, ...] | None = None

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
    classes: str | Sequence[str] | None = None,
) -> ColumnChoice:
    """Resolve the user's column specs; `sample_weight=None` means 'the column if present'.

    `classes` (a comma list) names the classes for string labels; without it they are
    read from the y_pred columns' suffixes (`p_cat,p_dog` → cat, dog).
    """
    weights: tuple[str, ...] | None
    if sample_weight is None:
        weights = ("sample_weight",) if "sample_weight" in available else None
    elif sample_weight in ("", "none"):
        weights = None
    else:
        weights = resolve(sample_weight, available, "sample_weight", path)
        if len(weights) != 1:
            raise UsageError(f"--sample-weight must name one column, got {', '.join(weights)}")
    predictions = resolve(y_pred, available, "y_pred", path)
    return ColumnChoice(
        resolve(y_true, available, "y_true", path),
        predictions,
        weights,
        parse_classes(classes) if classes else infer_classes(predictions),
    )


def parse_classes(classes: str | Sequence[str]) -> tuple[str, ...]:
    names = classes.split(",") if isinstance(classes, str) else list(classes)
    names = [n.strip() for n in names if n.strip()]
    if len(set(names)) != len(names):
        raise UsageError(f"--classes lists a class twice: {','.join(names)}")
    if not names:
        raise UsageError("--classes is empty", hint="give class names in index order: a,b,c")
    return tuple(names)


def infer_classes(columns: Sequence[str]) -> tuple[str, ...] | None:
    """Class names from probability columns: the part after the shared prefix up to its
    last separator (`p_cat,p_cow` → cat, cow; `cat,dog` → cat, dog); None for one column."""
    if len(columns) < 2:
        return None
    prefix = columns[0]
    for name in columns[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    cut = max((prefix.rfind(sep) for sep in "_-.:/ "), default=-1) + 1
    names = tuple(name[cut:] for name in columns)
    return names if all(names) and len(set(names)) == len(names) else None


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
    options = "--keep or --group-by" if role == "key" else f"--{role.replace('_', '-')}"
    hint = f"choose one with {options}"
    separators = [sep for sep in ";\t|," if len(available) == 1 and sep in available[0]]
    if separators:  # one column whose name holds the real names: the wrong delimiter
        hint = f"is the file delimited by {separators[0]!r}? pass --delimiter {separators[0]!r}"
    return InputDataError(f"no {role} column {part!r}; the file has: {shown}", path=path, hint=hint)


def normalize(
    batch: pa.RecordBatch, choice: ColumnChoice, *, path: str | None, first_row: int
) -> pa.RecordBatch:
    """The chosen columns of a batch made numeric (see the module docstring); others pass."""
    arrays = []
    for name in batch.schema.names:
        column = batch.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if _is_text(column.type) and name in choice.all:
            if _looks_like_arrays(column):
                column = _parse_arrays(column, name, path=path, first_row=first_row)
            elif name in choice.y_true:
                column = _class_indices(column, name, choice, path=path, first_row=first_row)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _is_text(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _looks_like_arrays(column: pa.Array) -> bool:
    import pyarrow.compute as pc  # only for text cells: not on the float path

    first = pc.drop_null(column)[:1].to_pylist()
    return bool(first) and first[0].lstrip().startswith("[")


_SEPARATOR = r"\s*,\s*|\s+"


def _parse_arrays(column: pa.Array, name: str, *, path: str | None, first_row: int) -> pa.Array:
    """`"[0.1, 0.9]"` (JSON, Python lists) or `"[0.1 0.9]"` (numpy) cells → a list column."""
    import pyarrow.compute as pc  # only for text cells: not on the float path

    text = pc.utf8_trim_whitespace(column)
    if pc.any(pc.starts_with(text, "[[")).as_py():
        return _parse_nested(text, name, path=path, first_row=first_row)
    wrapped = pc.and_(pc.starts_with(text, "["), pc.ends_with(text, "]"))
    if not pc.all(wrapped).as_py():
        bad = int(np.argmin(wrapped.to_numpy(zero_copy_only=False)))
        raise InputDataError(
            f"{str(column[bad])!r} is not an array like [0.1, 0.9]",
            path=path,
            column=name,
            row=first_row + bad,
        )
    inner = pc.utf8_trim_whitespace(pc.utf8_slice_codeunits(text, 1, -1))
    parts = pc.split_pattern_regex(inner, _SEPARATOR)
    try:
        values = pc.cast(parts.flatten(), pa.float64())
    except pa.ArrowInvalid:
        return _parse_nested(text, name, path=path, first_row=first_row)
    return pa.ListArray.from_arrays(parts.offsets, values, mask=parts.is_null())


def _parse_nested(text: pa.Array, name: str, *, path: str | None, first_row: int) -> pa.Array:
    """The slow, exact path (one json.loads per cell) for nested arrays and for errors."""
    rows = []
    for i, cell in enumerate(text.to_pylist()):
        if cell is None:
            rows.append(None)
            continue
        try:
            rows.append(json.loads(re.sub(r"(?<=[\d.])\s+(?=[-+\d.])", ", ", cell)))
        except ValueError:
            from losscli.hints import numpy_repr

            raise InputDataError(
                f"{cell[:40]!r} is not an array of numbers",
                path=path,
                column=name,
                row=first_row + i,
                hint=numpy_repr(cell) or "vector cells are written like [0.1, 0.9]",
            ) from None
    try:
        return pa.array(rows, type=_nested_type(rows))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputDataError(
            f"array cells do not all hold numbers: {exc}", path=path, column=name
        ) from None


def _nested_type(rows: list) -> pa.DataType:
    sample = next((r for r in rows if r is not None), [])
    depth = 0
    while isinstance(sample, list):
        depth += 1
        sample = sample[0] if sample else 0.0
    kind: pa.DataType = pa.float64()
    for _ in range(depth):
        kind = pa.list_(kind)
    return kind


def _class_indices(
    column: pa.Array, name: str, choice: ColumnChoice, *, path: str | None, first_row: int
) -> pa.Array:
    """Class names → their index in `choice.classes` (what sparse losses take)."""
    import pyarrow.compute as pc  # only for text cells: not on the float path

    if not choice.classes:
        from losscli.hints import first_text

        row, value, hint = first_text(column.to_pylist(), path)
        raise InputDataError(
            f"holds {value!r}, not a number"
            if hint
            else f"holds text ({value!r}: class names?) but the classes are unknown",
            path=path,
            column=name,
            row=first_row + row,
            hint=hint or "pass --classes a,b,c in the order of the y_pred columns",
        )
    indices = pc.index_in(column, value_set=pa.array(choice.classes))
    unknown = pc.and_(indices.is_null(), column.is_valid())
    if pc.any(unknown).as_py():
        bad = int(np.argmax(unknown.to_numpy(zero_copy_only=False)))
        raise InputDataError(
            f"label {column[bad].as_py()!r} is not one of the classes {','.join(choice.classes)}",
            path=path,
            column=name,
            row=first_row + bad,
            hint="fix the label or pass --classes with every class name",
        )
    return indices


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
    return _numbers(column)


#: Arrow primitive number types → numpy dtypes, for views of their data buffers
_VIEWS = {
    "double": "f8",
    "float": "f4",
    "halffloat": "f2",
    **{f"int{b}": f"i{b // 8}" for b in (8, 16, 32, 64)},
    **{f"uint{b}": f"u{b // 8}" for b in (8, 16, 32, 64)},
}


def _numbers(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A numeric column as numpy: a view of the data buffer when there are no nulls.

    Arrow's own to_numpy gives the same view but imports pandas on the way (0.3 s), and
    pandas has no place on the eval path; columns with nulls still go through it.
    """
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    dtype = _VIEWS.get(str(column.type))
    if dtype is None or any(chunk.null_count for chunk in chunks):
        return column.to_numpy(zero_copy_only=False)
    views = [
        np.frombuffer(c.buffers()[1], dtype=dtype, count=len(c), offset=c.offset * int(dtype[1]))
        for c in chunks
        if len(c)
    ]
    if len(views) == 1:
        views[0].flags.writeable = False  # a view of Arrow's memory, as to_numpy gives
        return views[0]
    return np.concatenate(views) if views else np.empty(0, dtype=dtype)


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
        if pa.types.is_fixed_size_list(values.type):
            shape.append(values.type.list_size)
            values = values.flatten()
            continue
        lengths = np.diff(_numbers(values.offsets))  # offsets, not pyarrow.compute: no import
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

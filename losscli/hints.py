"""What to do about the common input mistakes, said as the fix to type.

Error sites (column conversion, CSV parsing, label checks) know *where* an input is wrong;
this module knows the usual *why*: numbers written with a decimal comma or a thousands
separator, list cells written by numpy 2's repr, class indices counted from 1, integer
labels given to a one-hot loss. Each function returns None when the mistake is not the one
it knows, so a site keeps its general message.
"""

from __future__ import annotations

import re
from typing import Any

_DECIMAL_COMMA = re.compile(r"[-+]?\d*,\d+")
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")
_NUMPY_REPR = re.compile(r"np\.(float|int|uint|bool_)\w*\(")


def number_text(value: str, path: str | None) -> str | None:
    """'0,5' or '1,000' (a number written for people): the value's problem and the fix."""
    text = value.strip()
    thousands, decimal = _THOUSANDS.fullmatch(text), _DECIMAL_COMMA.fullmatch(text)
    if not (thousands or decimal):
        return None
    what, option, also = "a decimal comma", "sep=';', decimal=','", ""
    if thousands:
        what, option = "a thousands separator", "thousands=','"
    if thousands and decimal:  # '1,500': either reading is possible
        what, also = "a comma (a thousands separator or a decimal comma)", " (or decimal=',')"
    read = f"pd.read_csv({path or 'predictions.csv'!r}, {option})"
    return (
        f"{text!r} is written with {what}, which losscli does not read as a number; write "
        f'plain numbers, e.g. python -c "import pandas as pd; {read}'
        f".to_csv('fixed.csv', index=False)\"{also}"
    )


def first_text(cells: list[Any], path: str | None) -> tuple[int, str, str | None]:
    """The first cell that is not a number (its index, its text) and, when it is a number
    written for people ('0,5', '1,000'), the fix."""
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        try:
            float(cell)
        except ValueError:
            return i, cell, number_text(cell, path)
    return 0, str(cells[0]) if cells else "", None


def numpy_repr(cell: str) -> str | None:
    """`[np.float64(0.1), ...]`: what `str(list_of_numpy_scalars)` writes under numpy 2."""
    if not _NUMPY_REPR.search(cell):
        return None
    return (
        "these cells are numpy 2's repr of a list of numpy numbers (np.float64(0.1)), not "
        "an array; write plain lists: df[col] = df[col].map(lambda v: [float(x) for x in v]) "
        "before to_csv, or save as Parquet (df.to_parquet) to keep list columns"
    )


def wrong_delimiter(row: str) -> str | None:
    """A header read as one column: the row's text shows the delimiter it really uses."""
    for sep in ";\t|":
        if sep in row:
            hint = f"the rows look delimited by {sep!r} ({row[:40]!r}): pass --delimiter {sep!r}"
            commas = [c for c in row.split(sep) if _DECIMAL_COMMA.fullmatch(c.strip())]
            if commas:
                hint += (
                    f"; note that {commas[0].strip()!r} has a decimal comma, which is not a "
                    "number to losscli (write it with a point)"
                )
            return hint
    return None


def sparse_instead(loss: Any, true_width: int, pred_width: int) -> str | None:
    """One integer label per row given to categorical_crossentropy: the sparse loss is it."""
    if loss.name != "categorical_crossentropy" or true_width != 1 or pred_width < 2:
        return None
    logits = "(from_logits=true)" if loss.params.get("from_logits") else ""
    return (
        f"y_true holds one class index per row: use 'sparse_categorical_crossentropy{logits}' "
        "(categorical_crossentropy takes one-hot rows)"
    )


def one_based(labels: Any, classes: int) -> str | None:
    """Labels from 1 to C for C classes: counted from 1 where Keras counts from 0."""
    finite = labels[labels == labels]
    if not len(finite) or finite.min() < 1 or finite.max() != classes:
        return None
    return (
        f"the labels look 1-based (1 to {classes}) but class indices start at 0: subtract 1, "
        "e.g. df['y_true'] -= 1 in pandas"
    )

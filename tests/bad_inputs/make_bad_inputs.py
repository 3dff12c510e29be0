"""Write the corpus of bad inputs and cases.json: for each, the command, exit code and message.

Run `python tests/bad_inputs/make_bad_inputs.py` after changing a case; the output is the
same on every run (fixed seeds), so the committed files can be checked against it.
tests/test_errors_corpus.py runs every case through the CLI.
"""

from __future__ import annotations

import gzip
import json
import lzma
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROWS = 40


def _text(name: str, text: str | bytes) -> Callable[[], None]:
    def write() -> None:
        data = text.encode() if isinstance(text, str) else text
        (HERE / name).write_bytes(data)

    return write


def _csv(name: str, header: str, rows: list[str]) -> Callable[[], None]:
    return _text(name, "\n".join([header, *rows]) + "\n")


def _parquet(name: str, columns: dict[str, Any]) -> Callable[[], None]:
    def write() -> None:
        pq.write_table(pa.table(columns), HERE / name, compression="none")

    return write


def _good_parquet_bytes() -> bytes:
    sink = pa.BufferOutputStream()
    values = np.linspace(0.0, 1.0, 500)
    pq.write_table(pa.table({"y_true": values, "y_pred": values[::-1]}), sink, compression="snappy")
    return sink.getvalue().to_pybytes()


def _corrupt_parquet() -> bytes:
    data = bytearray(_good_parquet_bytes())
    data[60:1200] = b"x" * 1140  # the compressed data pages, not the footer
    return bytes(data)


def _truncated_gzip() -> bytes:
    """Half of a gzip stream: the deflate data itself is cut, not only the trailer."""
    rows = "\n".join(f"{x:.6f},{y:.6f}" for x, y in np.random.default_rng(3).normal(size=(400, 2)))
    data = gzip.compress(f"y_true,y_pred\n{rows}\n".encode(), mtime=0)
    return data[: len(data) // 2]


def _truncated_xz() -> bytes:
    rows = "\n".join(f"{x:.6f},{y:.6f}" for x, y in np.random.default_rng(4).normal(size=(400, 2)))
    data = lzma.compress(f"y_true,y_pred\n{rows}\n".encode())
    return data[: len(data) // 2]


def _probabilities(rng: np.random.Generator, k: int) -> np.ndarray:
    p = rng.uniform(0.05, 1.0, (ROWS, k))
    return p / p.sum(axis=1, keepdims=True)


def _regression_rows(bad: dict[int, str] | None = None, weights: str | None = None) -> list[str]:
    rng = np.random.default_rng(5)
    rows = []
    for i in range(ROWS):
        t, p = rng.normal(size=2).round(3)
        row = (bad or {}).get(i, f"{t},{p}")
        rows.append(row + ("" if weights is None else f",{weights}"))
    return rows


def _sparse_csv(name: str, label: str) -> Callable[[], None]:
    rng = np.random.default_rng(6)
    p = _probabilities(rng, 3).round(4)
    labels = rng.integers(0, 3, ROWS).astype(str)
    labels[7] = label
    rows = [f"{t},{a},{b},{c}" for t, (a, b, c) in zip(labels, p, strict=True)]
    return _csv(name, "y_true,p_0,p_1,p_2", rows)


def _classes_file() -> Callable[[], None]:
    """A good model's probabilities with the y_pred columns in another order than the classes."""
    rng = np.random.default_rng(7)
    labels = np.arange(ROWS) % 3
    p = _probabilities(rng, 3)
    p[np.arange(ROWS), labels] += 2.0
    p /= p.sum(axis=1, keepdims=True)
    return _parquet("class_order.parquet", {"y_true": labels, "y_pred": p[:, [1, 2, 0]].tolist()})


rng = np.random.default_rng(1)
onehot = np.eye(3)[np.arange(ROWS) % 3]

#: (file, writer, extra arguments, exit code, fragment of the stderr message)
CASES: list[tuple[str, Callable[[], None] | None, list[str], int, str]] = [
    ("empty.csv", _text("empty.csv", ""), ["mse"], 3, "is empty"),
    ("header_only.csv", _csv("header_only.csv", "y_true,y_pred", []), ["mse"], 3, "no data rows"),
    (
        "semicolon.csv",
        _csv("semicolon.csv", "y_true;y_pred", ["1;2", "3;4"]),
        ["mse"],
        3,
        "the file has: y_true;y_pred (is the file delimited by ';'? pass --delimiter ';')",
    ),
    (
        "ragged.csv",
        _csv("ragged.csv", "y_true,y_pred", _regression_rows({4: "1.5"})),
        ["mse"],
        3,
        "row 4: it has 1 fields but the header has 2",
    ),
    (
        "non_numeric.csv",
        _csv("non_numeric.csv", "y_true,y_pred", _regression_rows({9: "0.5,abc"})),
        ["mse"],
        3,
        "column 'y_pred', row 9: 'abc' is not a number",
    ),
    (
        "non_utf8.csv",
        _text("non_utf8.csv", b"y_true,y_pred\n1,2\n\xff\xfe,3\n"),
        ["mse"],
        3,
        "column 'y_true', row 1: b'\\xff\\xfe' is not UTF-8 text",
    ),
    (
        "binary.csv",
        _text("binary.csv", np.random.default_rng(2).bytes(3000)),
        ["mse"],
        3,
        "binary.csv",
    ),
    (
        "duplicate_columns.csv",
        _csv("duplicate_columns.csv", "y_true,y_true,y_pred", ["1,2,3"]),
        ["mse"],
        3,
        "the header has 2 columns named 'y_true'",
    ),
    (
        "truncated.csv.gz",
        _text("truncated.csv.gz", _truncated_gzip()),
        ["mse"],
        3,
        "cut short",
    ),
    (
        "truncated.parquet",
        _text("truncated.parquet", _good_parquet_bytes()[:700]),
        ["mse"],
        3,
        "cannot read as Parquet",
    ),
    ("corrupt.parquet", _text("corrupt.parquet", _corrupt_parquet()), ["mse"], 3, "Parquet"),
    (
        "widths_differ.parquet",
        _parquet(
            "widths_differ.parquet",
            {"y_true": rng.normal(size=(ROWS, 2)).tolist(), "y_pred": onehot.tolist()},
        ),
        ["mse"],
        3,
        "y_true has 2 values per row (y_true) but y_pred has 3 values (y_pred)",
    ),
    (
        "ragged_lists.parquet",
        _parquet(
            "ragged_lists.parquet",
            {"y_true": [[1.0, 0.0]] * 5 + [[1.0]], "y_pred": [[0.5, 0.5]] * 6},
        ),
        ["mse"],
        3,
        "list cells have different lengths",
    ),
    (
        "sparse_out_of_range.csv",
        _sparse_csv("sparse_out_of_range.csv", "3"),
        ["sparse_categorical_crossentropy", "--y-pred", "p_*"],
        3,
        "column 'y_true', row 7: class index 3 is out of range",
    ),
    (
        "sparse_negative.csv",
        _sparse_csv("sparse_negative.csv", "-1"),
        ["sparse_categorical_crossentropy", "--y-pred", "p_*"],
        3,
        "row 7: class index -1 is negative",
    ),
    (
        "sparse_fractional.csv",
        _sparse_csv("sparse_fractional.csv", "1.5"),
        ["sparse_categorical_crossentropy", "--y-pred", "p_*"],
        3,
        "row 7: class index 1.5 is not a whole number",
    ),
    (
        "nan_y_true.csv",
        _csv("nan_y_true.csv", "y_true,y_pred", _regression_rows({3: "nan,1", 30: ",2"})),
        ["mse"],
        3,
        "column 'y_true', row 3: 2 rows hold NaN or inf (the first is row 3)",
    ),
    (
        "inf_y_pred.csv",
        _csv("inf_y_pred.csv", "y_true,y_pred", _regression_rows({12: "1,inf"})),
        ["mse"],
        3,
        "column 'y_pred', row 12: 1 row holds NaN or inf",
    ),
    (
        "nan_weight.csv",
        _csv(
            "nan_weight.csv",
            "y_true,y_pred,sample_weight",
            [*_regression_rows(weights="1.0")[:5], "1,2,nan"],
        ),
        ["mse"],
        3,
        "column 'sample_weight', row 5",
    ),
    (
        "negative_weights.csv",
        _csv("negative_weights.csv", "y_true,y_pred,sample_weight", _regression_rows(weights="-1")),
        ["mse", "--strict"],
        3,
        "sample weights are negative",
    ),
    (
        "zero_weights.csv",
        _csv("zero_weights.csv", "y_true,y_pred,sample_weight", _regression_rows(weights="0")),
        ["mse", "--strict"],
        3,
        "every sample weight is 0",
    ),
    (
        "scalars.csv",
        _csv("scalars.csv", "y_true,y_pred", ["1,0.9", "0,0.2"]),
        ["categorical_crossentropy"],
        3,
        "categorical_crossentropy needs a vector per row",
    ),
    (
        "onehot.parquet",
        _parquet(
            "onehot.parquet",
            {"y_true": onehot.tolist(), "y_pred": _probabilities(rng, 3).tolist()},
        ),
        ["sparse_categorical_crossentropy"],
        3,
        "needs one class index per row in y_true",
    ),
    ("scalars.csv", None, ["ctc"], 3, "ctc needs"),
    (
        "logits.csv",
        _csv("logits.csv", "y_true,y_pred", ["1,2.5", "0,-3.1", "1,0.4"]),
        ["binary_crossentropy", "--strict"],
        3,
        "these look like logits: try 'binary_crossentropy(from_logits=true)'",
    ),
    (
        "unnormalised.parquet",
        _parquet(
            "unnormalised.parquet",
            {"y_true": onehot.tolist(), "y_pred": (_probabilities(rng, 3) * 0.5).tolist()},
        ),
        ["categorical_crossentropy", "--strict"],
        3,
        "y_pred rows do not sum to 1",
    ),
    (
        "hinge_labels.csv",
        _csv("hinge_labels.csv", "y_true,y_pred", ["0,0.3", "1,-0.2", "2,0.9"]),
        ["hinge", "--strict"],
        3,
        "neither all in {0, 1} nor all in {-1, 1}",
    ),
    (
        "class_order.parquet",
        _classes_file(),
        ["sparse_categorical_crossentropy", "--strict"],
        3,
        "are the y_pred columns in the order of the class indices?",
    ),
    (
        "hard_predictions.csv",
        _csv("hard_predictions.csv", "y_true,y_pred", ["1,1", "0,0", "1,0.7", "0,1"]),
        ["binary_crossentropy", "--strict"],
        3,
        "the loss without clipping is infinite",
    ),
    ("scalars.csv", None, ["nonexistent_loss"], 2, "unknown loss 'nonexistent_loss'"),
    ("scalars.csv", None, ["huber(delta=0.5"], 2, "unbalanced parentheses"),
    ("scalars.csv", None, ["huber(delta='a')"], 2, "parameter 'delta' of huber must be float"),
    ("scalars.csv", None, ["mse", "--reduction", "bogus"], 2, "Invalid value"),
    ("scalars.csv", None, ["mse", "--nan-policy", "sometimes"], 2, "Invalid value"),
    ("scalars.csv", None, ["mse", "--no-such-option"], 2, "No such option"),
    # --- issue #10: a gate that never passes wrongly (each case guards one mechanism) ---
    (
        "header_only_no_newline.csv",
        _text("header_only_no_newline.csv", "y_true,y_pred"),
        ["mse"],
        3,
        "has no data rows (the file holds only a header line)",
    ),
    (
        "empty_lists.csv",
        _csv("empty_lists.csv", "y_true,y_pred", ['"[]","[]"'] * 3),
        ["mse"],
        3,
        "column 'y_true', row 0: list cells are empty",
    ),
    (
        "truncated.csv.xz",
        _text("truncated.csv.xz", _truncated_xz()),
        ["mse"],
        3,
        "xz decompression failed",
    ),
    (
        "bce_labels_outside_unit.csv",
        _csv("bce_labels_outside_unit.csv", "y_true,y_pred", ["2,0.9", "-1,0.1", "1,0.5"]),
        ["bce", "--strict"],
        3,
        "y_true has values outside [0, 1] (2 rows, first at row 0)",
    ),
    (
        "all_nan.csv",
        _csv("all_nan.csv", "y_true,y_pred", ["nan,1", "2,nan"]),
        ["mse", "--nan-policy", "omit", "--fail-above", "1"],
        3,
        "the gate cannot be decided: mean_squared_error has no data: 0 counted samples",
    ),
    (
        "all_nan.csv",
        None,
        ["mse", "--nan-policy", "propagate", "--fail-below", "0"],
        3,
        "the gate cannot be decided: mean_squared_error is NaN",
    ),
    (
        "zero_weights.csv",
        None,
        ["mse", "--fail-above", "1"],
        3,
        "has no data: 0 counted samples (every row omitted or weighted 0)",
    ),
    (
        "scalars.csv",
        None,
        ["mse", "--head", "name=a,weight=nan"],
        2,
        "head 'a': weight nan is not a finite number",
    ),
    ("scalars.csv", None, ["bce(label_smoothing=2)"], 2, "label_smoothing=2.0 is outside [0, 1]"),
    ("scalars.csv", None, ["huber(delta=1, delta=2)"], 2, "gives 'delta' twice"),
    ("scalars.csv", None, ["huber(delta=1e999)"], 2, "1e309 is not a finite number"),
    ("scalars.csv", None, ["mse", "--batch-size", str(2**70)], 2, "--batch-size"),
    ("scalars.csv", None, ["bce", "--class-weight", f"{10**20}=1"], 2, "is too large"),
    ("scalars.csv", None, ["bce", "--class-weight", "0=nan"], 2, "must be a finite number"),
]


def main() -> None:
    cases = []
    for name, write, args, code, fragment in CASES:
        if write is not None:
            write()
        cases.append({"file": name, "args": args, "exit": code, "message": fragment})
    (HERE / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")


if __name__ == "__main__":
    main()

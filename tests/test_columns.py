"""Column forms (name, list, glob, position), vector cells, class names and column types."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from losscli import evaluate, evaluate_arrays
from losscli.columns import (
    ColumnChoice,
    choose_columns,
    infer_classes,
    normalize,
    parse_classes,
    resolve,
    to_numpy,
)
from losscli.errors import InputDataError, UsageError

RNG = np.random.default_rng(3)
N = 120
TRUE = RNG.random((N, 3))
PRED = RNG.random((N, 3))


def _expected(loss: str = "mse") -> float:
    return evaluate_arrays(loss, TRUE, PRED)[0].value


@pytest.fixture
def wide_csv(tmp_path: Path) -> Path:
    columns = {f"t_{i}": TRUE[:, i] for i in range(3)} | {f"p_{i}": PRED[:, i] for i in range(3)}
    path = tmp_path / "wide.csv"
    pacsv.write_csv(pa.table(columns), path)
    return path


def test_comma_list_and_glob_select_the_same_columns(wide_csv: Path) -> None:
    by_list = evaluate(str(wide_csv), "mse", y_true="t_0,t_1,t_2", y_pred="p_0,p_1,p_2")
    by_glob = evaluate(str(wide_csv), "mse", y_true="t_*", y_pred="p_*")
    by_position = evaluate(str(wide_csv), "mse", y_true="#0,#1,#2", y_pred="#3,#4,#5")
    assert by_list.results[0].value == by_glob.results[0].value == _expected()
    assert by_position.results[0].value == _expected()
    assert by_glob.input.columns["y_pred"] == ["p_0", "p_1", "p_2"]


def test_json_array_cells_in_csv_are_vectors(tmp_path: Path) -> None:
    """What pandas writes for list columns, and numpy's space-separated form."""
    path = tmp_path / "cells.csv"
    rows = [
        {"y_true": json.dumps(list(t)), "y_pred": "[" + " ".join(repr(float(v)) for v in p) + "]"}
        for t, p in zip(TRUE, PRED, strict=True)
    ]
    pacsv.write_csv(pa.Table.from_pylist(rows), path)
    got = evaluate(str(path), "mse", batch_size=50)
    assert got.results[0].value == _expected()


def test_nested_json_array_cells_become_3d() -> None:
    t = TRUE.reshape(N, 3, 1)
    cells = pa.array([json.dumps(a.tolist()) for a in t])
    batch = pa.RecordBatch.from_arrays([cells], ["y_true"])
    out = normalize(batch, ColumnChoice(("y_true",), ("y_true",), None), path=None, first_row=0)
    assert np.array_equal(to_numpy(out, ["y_true"], path=None, first_row=0), t)


def test_bad_array_cell_names_column_and_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('y_true,y_pred\n"[1, 0]","[0.5, 0.5]"\n"[1, 0]","[0.5, oops]"\n')
    with pytest.raises(InputDataError) as info:
        evaluate(str(path), "mse")
    assert info.value.column == "y_pred"
    assert info.value.row == 1


@pytest.mark.parametrize("kind", ["list", "large_list", "fixed_size_list"])
def test_parquet_list_columns(kind: str, tmp_path: Path) -> None:
    item = pa.float64()
    arrow_type = {
        "list": pa.list_(item),
        "large_list": pa.large_list(item),
        "fixed_size_list": pa.list_(item, 3),
    }[kind]
    table = pa.table(
        {
            "y_true": pa.array(TRUE.tolist(), type=arrow_type),
            "y_pred": pa.array(PRED.tolist(), type=arrow_type),
        }
    )
    path = tmp_path / f"{kind}.parquet"
    pq.write_table(table, path)
    assert evaluate(str(path), "mse", batch_size=16).results[0].value == _expected()


def test_integer_float_and_boolean_columns(tmp_path: Path) -> None:
    labels = RNG.integers(0, 2, N)
    probs = RNG.random(N)
    expected = evaluate_arrays("bce", labels.astype(float), probs)[0].value
    for kind, column in (
        ("int", pa.array(labels, pa.int32())),
        ("float", pa.array(labels, pa.float32())),
        ("bool", pa.array(labels.astype(bool))),
    ):
        path = tmp_path / f"{kind}.parquet"
        pq.write_table(pa.table({"y_true": column, "y_pred": probs}), path)
        assert evaluate(str(path), "bce").results[0].value == expected, kind


def test_unusable_type_exits_3_naming_the_column(tmp_path: Path) -> None:
    path = tmp_path / "dates.parquet"
    pq.write_table(pa.table({"y_true": pa.array([0, 1], pa.date32()), "y_pred": [0.1, 0.2]}), path)
    with pytest.raises(InputDataError) as info:
        evaluate(str(path), "mse")
    assert info.value.column == "y_true"
    assert info.value.exit_code == 3


def test_class_names_inferred_from_probability_columns() -> None:
    choice = choose_columns(["label", "p_cat", "p_dog", "p_cow"], y_true="label", y_pred="p_*")
    assert choice.classes == ("cat", "dog", "cow")
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["dog", "cow", "cat"])] + [pa.array([0.0] * 3)] * 3, choice.all
    )
    out = normalize(batch, choice, path=None, first_row=0)
    assert out.column("label").to_pylist() == [1, 2, 0]


def test_explicit_classes_and_unknown_label(tmp_path: Path) -> None:
    path = tmp_path / "named.csv"
    path.write_text("label,score\nb,1\na,0\nc,2\n")
    got = evaluate(str(path), "mae", y_true="label", y_pred="score", classes="a,b,c")
    assert got.results[0].value == 0.0
    with pytest.raises(InputDataError, match="'c' is not one of the classes a,b") as info:
        evaluate(str(path), "mae", y_true="label", y_pred="score", classes="a,b")
    assert info.value.row == 2
    with pytest.raises(InputDataError, match="--classes"):
        evaluate(str(path), "mae", y_true="label", y_pred="score")


def test_sparse_loss_takes_class_names(tmp_path: Path) -> None:
    from losscli.registry import REGISTRY

    if "sparse_categorical_crossentropy" not in REGISTRY:
        pytest.skip("crossentropy losses not registered yet")
    probs = PRED / PRED.sum(axis=1, keepdims=True)
    index = RNG.integers(0, 3, N)
    names = np.array(["cat", "dog", "cow"])[index]
    table = pa.table(
        {"y_true": names, "p_cat": probs[:, 0], "p_dog": probs[:, 1], "p_cow": probs[:, 2]}
    )
    path = tmp_path / "sparse.csv"
    pacsv.write_csv(table, path)
    got = evaluate(str(path), "sparse_categorical_crossentropy", y_pred="p_*")
    expected = evaluate_arrays("sparse_categorical_crossentropy", index[:, None], probs)
    assert got.results[0].value == expected[0].value


def test_infer_classes() -> None:
    assert infer_classes(["p_cat", "p_cow"]) == ("cat", "cow")
    assert infer_classes(["prob.a", "prob.b"]) == ("a", "b")
    assert infer_classes(["cat", "dog"]) == ("cat", "dog")
    assert infer_classes(["y_pred"]) is None


def test_parse_classes_rejects_duplicates() -> None:
    assert parse_classes(" a, b ,c") == ("a", "b", "c")
    with pytest.raises(UsageError):
        parse_classes("a,a")


def test_dictionary_columns_are_decoded() -> None:
    column = pa.array(["b", "a", "b"]).dictionary_encode()
    batch = pa.RecordBatch.from_arrays([column, pa.array([1.0, 0.0, 1.0])], ["t", "p"])
    choice = ColumnChoice(("t",), ("p",), None, ("a", "b"))
    out = normalize(batch, choice, path=None, first_row=0)
    assert out.column("t").to_pylist() == [1, 0, 1]


def test_resolve_position_out_of_range_and_missing_glob() -> None:
    with pytest.raises(InputDataError, match="has 2 columns"):
        resolve("#5", ["a", "b"], "y_true", "f.csv")
    with pytest.raises(InputDataError, match="q_"):
        resolve("q_*", ["a", "b"], "y_pred", "f.csv")

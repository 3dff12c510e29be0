"""Labels in a second file: by row order (streamed) and by key (labels in memory)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from losscli import evaluate, evaluate_arrays
from losscli.cli import app
from losscli.errors import InputDataError, UsageError
from losscli.inputs import window
from losscli.labels import by_row_order

N = 500
RNG = np.random.default_rng(11)
IDS = RNG.permutation(N) + 1000
TRUE = RNG.random(N)
PRED = RNG.random(N)
WEIGHT = RNG.random(N) + 0.1


@pytest.fixture
def preds(tmp_path: Path) -> Path:
    path = tmp_path / "preds.parquet"
    pq.write_table(pa.table({"id": IDS, "y_pred": PRED}), path, row_group_size=64)
    return path


def _expected(weights: np.ndarray | None = None) -> float:
    return evaluate_arrays("mse", TRUE, PRED, weights)[0].value


def test_row_order_join(preds: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    pacsv.write_csv(pa.table({"y_true": TRUE}), labels)
    got = evaluate(str(preds), "mse", labels=str(labels), batch_size=37)
    assert got.results[0].value == _expected()
    assert got.input.rows == N


def test_row_order_join_with_weights_from_the_labels_file(preds: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.parquet"
    pq.write_table(pa.table({"y_true": TRUE, "sample_weight": WEIGHT}), labels, row_group_size=50)
    got = evaluate(str(preds), "mse", labels=str(labels), batch_size=64)
    assert got.results[0].value == _expected(WEIGHT)
    assert got.input.columns["sample_weight"] == ["sample_weight"]


def test_key_join_in_any_order(preds: Path, tmp_path: Path) -> None:
    order = np.argsort(IDS)
    labels = tmp_path / "labels.csv"
    pacsv.write_csv(pa.table({"id": IDS[order], "target": TRUE[order], "w": WEIGHT[order]}), labels)
    got = evaluate(
        str(preds),
        "mse",
        labels=str(labels),
        on="id",
        y_true="target",
        sample_weight="w",
        batch_size=50,
    )
    assert got.results[0].value == _expected(WEIGHT)


def test_same_column_name_in_both_files_uses_the_labels_one(tmp_path: Path) -> None:
    preds = tmp_path / "preds.csv"
    pacsv.write_csv(pa.table({"y_true": np.zeros(N), "y_pred": PRED}), preds)
    labels = tmp_path / "labels.csv"
    pacsv.write_csv(pa.table({"y_true": TRUE}), labels)
    got = evaluate(str(preds), "mse", labels=str(labels))
    assert got.results[0].value == _expected()
    assert got.input.columns["y_true"] == ["y_true"]


def test_one_name_for_both_roles_is_told_apart(tmp_path: Path) -> None:
    preds = tmp_path / "preds.csv"
    pacsv.write_csv(pa.table({"score": PRED}), preds)
    labels = tmp_path / "labels.csv"
    pacsv.write_csv(pa.table({"score": TRUE}), labels)
    got = evaluate(str(preds), "mse", labels=str(labels), y_true="score", y_pred="score")
    assert got.results[0].value == _expected()
    assert got.input.columns == {
        "y_true": ["labels.score"],
        "y_pred": ["score"],
        "sample_weight": [],
    }


def test_row_counts_must_match(preds: Path, tmp_path: Path) -> None:
    for suffix, write in ((".parquet", pq.write_table), (".csv", pacsv.write_csv)):
        labels = tmp_path / f"short{suffix}"
        write(pa.table({"y_true": TRUE[:-3]}), labels)
        with pytest.raises(InputDataError, match=r"has 500 rows but the labels file .* has 497"):
            evaluate(str(preds), "mse", labels=str(labels), batch_size=64)
        long = tmp_path / f"long{suffix}"
        write(pa.table({"y_true": np.concatenate([TRUE, TRUE[:5]])}), long)
        with pytest.raises(InputDataError, match=r"has 500 rows but the labels file .* has 505"):
            evaluate(str(preds), "mse", labels=str(long), batch_size=64)


def test_predictions_without_labels_are_an_error_with_count_and_keys(
    preds: Path, tmp_path: Path
) -> None:
    keep = np.sort(IDS)[3:]  # the three smallest ids have no label
    labels = tmp_path / "labels.csv"
    pacsv.write_csv(pa.table({"id": keep, "y_true": np.ones(len(keep))}), labels)
    with pytest.raises(InputDataError) as info:
        evaluate(str(preds), "mse", labels=str(labels), on="id")
    message = str(info.value)
    assert "3 rows have no label" in message
    assert all(str(k) in message for k in np.sort(IDS)[:3])


def test_unused_labels_are_a_warning(preds: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    ids = np.concatenate([IDS, [1, 2]])
    pacsv.write_csv(pa.table({"id": ids, "y_true": np.concatenate([TRUE, [0, 0]])}), labels)
    got = evaluate(str(preds), "mse", labels=str(labels), on="id")
    assert got.results[0].value == _expected()
    assert any("2 labels have no predictions row" in str(w) for w in got.warnings)


def test_duplicate_keys_are_errors_on_either_side(preds: Path, tmp_path: Path) -> None:
    labels = tmp_path / "dup_labels.csv"
    ids = IDS.copy()
    ids[7] = ids[8]
    pacsv.write_csv(pa.table({"id": ids, "y_true": TRUE}), labels)
    with pytest.raises(InputDataError, match="appear more than once"):
        evaluate(str(preds), "mse", labels=str(labels), on="id")

    dup_preds = tmp_path / "dup_preds.csv"
    pacsv.write_csv(pa.table({"id": ids, "y_pred": PRED}), dup_preds)
    labels = tmp_path / "labels.csv"
    pacsv.write_csv(pa.table({"id": IDS, "y_true": TRUE}), labels)
    with pytest.raises(InputDataError, match=f"key {ids[8]} appears more than once"):
        evaluate(str(dup_preds), "mse", labels=str(labels), on="id", batch_size=5)


def test_missing_key_column_names_the_file(preds: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    pacsv.write_csv(pa.table({"y_true": TRUE}), labels)
    with pytest.raises(InputDataError, match=r"labels\.csv: has no key column 'id'"):
        evaluate(str(preds), "mse", labels=str(labels), on="id")


def test_on_without_labels_is_a_usage_error(preds: Path) -> None:
    with pytest.raises(UsageError):
        evaluate(str(preds), "mse", on="id")


def test_labels_errors_point_at_the_labels_file(preds: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    pacsv.write_csv(pa.table({"y_true": ["a"] * N}), labels)
    with pytest.raises(InputDataError) as info:
        evaluate(str(preds), "mse", labels=str(labels))
    assert info.value.path == str(labels)


def test_cli_key_join_and_count_mismatch_exit_codes(preds: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    pacsv.write_csv(pa.table({"id": IDS, "y_true": TRUE}), labels)
    runner = CliRunner()
    ok = runner.invoke(app, ["eval", "mse", str(preds), "--labels", str(labels), "--on", "id"])
    assert ok.exit_code == 0, ok.stderr
    short = tmp_path / "short.csv"
    pacsv.write_csv(pa.table({"y_true": TRUE[:10]}), short)
    bad = runner.invoke(app, ["eval", "mse", str(preds), "--labels", str(short)])
    assert bad.exit_code == 3
    assert "500 rows" in bad.stderr and "10" in bad.stderr


def test_by_row_order_realigns_any_batch_boundaries() -> None:
    left = [pa.record_batch({"a": list(range(i, i + 3))}) for i in range(0, 9, 3)]
    right = [pa.record_batch({"b": list(range(0, 4))}), pa.record_batch({"b": list(range(4, 9))})]
    pairs = list(by_row_order(left, right, predictions_path="p", labels_path="l"))
    for a, b in pairs:
        assert a.column("a").to_pylist() == b.column("b").to_pylist()


def test_window_slices_across_batches() -> None:
    batches = [pa.record_batch({"a": list(range(i, i + 4))}) for i in range(0, 20, 4)]
    got = list(window(batches, skip=6, limit=7))
    assert [first for first, _ in got] == [6, 8, 12]
    assert [v for _, b in got for v in b.column("a").to_pylist()] == list(range(6, 13))

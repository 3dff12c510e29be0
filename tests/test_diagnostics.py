"""Diagnostics: each warning fires on the mistake it is for and stays quiet on clean data;
counters merge across batches; warnings go to stderr (stdout stays valid JSON); the NaN
policy says what it did."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from losscli.api import evaluate
from losscli.cli import app
from losscli.diagnostics import Diagnostics
from losscli.spec import parse_specs

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
N = 60


def _codes(
    spec: str, y_true: np.ndarray, y_pred: np.ndarray, w: np.ndarray | None = None
) -> set[str]:
    state = Diagnostics.for_losses(parse_specs(spec))
    state.update(y_true, y_pred, w, np.arange(len(y_pred)))
    return {d.code for d in state.warnings()}


def _probs(rng: np.random.Generator, k: int) -> np.ndarray:
    p = rng.uniform(0.05, 1.0, (N, k))
    return p / p.sum(axis=1, keepdims=True)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(11)


def test_clean_probabilities_give_no_warnings(rng: np.random.Generator) -> None:
    labels = np.arange(N) % 3
    p = _probs(rng, 3)
    p[np.arange(N), labels] += 1.0  # every class is predicted somewhere
    p /= p.sum(axis=1, keepdims=True)
    assert _codes("categorical_crossentropy", np.eye(3)[labels], p) == set()
    assert _codes("sparse_categorical_crossentropy", labels[:, None].astype(float), p) == set()
    assert _codes("binary_crossentropy", (labels[:, None] == 0) * 1.0, p[:, :1]) == set()


def test_logits_given_as_probabilities(rng: np.random.Generator) -> None:
    t = rng.integers(0, 2, (N, 1)).astype(float)
    logits = rng.normal(0, 3, (N, 1))
    assert "logits" in _codes("binary_crossentropy", t, logits)
    assert "logits" not in _codes("binary_crossentropy(from_logits=true)", t, logits)
    assert _codes("mse", t, logits) == set()  # regression losses take any numbers


def test_rows_not_summing_to_one(rng: np.random.Generator) -> None:
    t = np.eye(3)[np.arange(N) % 3]
    assert "unnormalised" in _codes("categorical_crossentropy", t, _probs(rng, 3) * 0.7)
    # binary crossentropy on several outputs is multi-label: rows need not sum to 1
    assert "unnormalised" not in _codes("binary_crossentropy", t, _probs(rng, 3) * 0.7)


def test_hinge_labels_must_be_one_convention(rng: np.random.Generator) -> None:
    p = rng.normal(size=(N, 1))
    assert _codes("hinge", rng.integers(0, 2, (N, 1)) * 1.0, p) == set()
    assert _codes("hinge", rng.integers(0, 2, (N, 1)) * 2.0 - 1, p) == set()
    mixed = np.array([[-1.0], [0.0], [1.0]] * (N // 3))
    assert "hinge-labels" in _codes("squared_hinge", mixed, p)
    assert "hinge-labels" in _codes("hinge", np.full((N, 1), 2.0), p)


def test_columns_in_another_order_than_the_classes(rng: np.random.Generator) -> None:
    labels = np.arange(N) % 3
    p = _probs(rng, 3)
    p[np.arange(N), labels] += 1.0
    p /= p.sum(axis=1, keepdims=True)
    sparse = labels[:, None] * 1.0
    assert _codes("sparse_categorical_crossentropy", sparse, p) == set()
    found = _codes("sparse_categorical_crossentropy", sparse, p[:, [2, 0, 1]])
    assert found == {"class-order"}
    assert "class-order" in _codes("categorical_crossentropy", np.eye(3)[labels], p[:, [1, 0, 2]])
    # a weak model that never picks class 1 is no mistake in the file
    weak = _probs(rng, 3)
    weak[:, 1] *= 0.01
    weak /= weak.sum(axis=1, keepdims=True)
    assert _codes("sparse_categorical_crossentropy", sparse, weak) == set()


def test_clipping_warns_only_when_it_changes_the_loss() -> None:
    t = np.array([[1.0], [0.0]] * (N // 2))
    # hard predictions, all right: Keras's clip moves the loss from 0 to 1e-7, nothing material
    assert "clipped" not in _codes("binary_crossentropy", t, t.copy())
    wrong = t.copy()
    wrong[7] = 1 - wrong[7]  # one wrong hard prediction: its unclipped loss is infinite
    assert "clipped" in _codes("binary_crossentropy", t, wrong)
    assert "clipped" not in _codes("binary_crossentropy", t, np.clip(t, 0.1, 0.9))
    labels = np.arange(N) % 3
    p = np.eye(3)[labels] * (1 - 2e-12) + 1e-12  # sure and right: silent
    assert "clipped" not in _codes("sparse_categorical_crossentropy", labels[:, None] * 1.0, p)
    assert "clipped" in _codes("sparse_categorical_crossentropy", (labels[:, None] + 1.0) % 3, p)


def test_focal_losses_weigh_clipping_too() -> None:
    t = np.array([[1.0], [0.0]] * (N // 2))
    wrong = t.copy()
    wrong[7] = 1 - wrong[7]
    for spec in (
        "binary_focal_crossentropy",
        "binary_focal_crossentropy(apply_class_balancing=true)",
    ):
        assert "clipped" not in _codes(spec, t, t.copy())
        assert "clipped" in _codes(spec, t, wrong)
    labels = np.arange(N) % 3
    p = np.eye(3)[labels] * (1 - 2e-12) + 1e-12
    assert "clipped" not in _codes("categorical_focal_crossentropy", np.eye(3)[labels], p)
    shifted = np.eye(3)[(labels + 1) % 3]
    assert "clipped" in _codes("categorical_focal_crossentropy", shifted, p)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    extreme=st.sampled_from([0.0, 1e-300, 1e-12, 1e-8]),
    spec=st.sampled_from(["binary_crossentropy", "binary_focal_crossentropy"]),
)
def test_clipping_on_the_correct_side_never_warns(seed: int, extreme: float, spec: str) -> None:
    """However sure and however many: a prediction Keras clips on the side of its label moves
    the loss by at most 1e-7, which is never material."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, (N, 1)).astype(float)
    p = np.where(t == 1, 0.3 + 0.7 * rng.uniform(size=(N, 1)), 0.7 * rng.uniform(size=(N, 1)))
    sure = rng.uniform(size=(N, 1)) < 0.8
    p = np.where(sure, np.where(t == 1, 1 - extreme, extreme), p)
    assert "clipped" not in _codes(spec, t, p)


def test_probabilities_given_with_from_logits_true(rng: np.random.Generator) -> None:
    labels = np.arange(N) % 3
    p = _probs(rng, 3)
    p[np.arange(N), labels] += 1.0
    p /= p.sum(axis=1, keepdims=True)
    found = _codes("categorical_crossentropy(from_logits=true)", np.eye(3)[labels], p)
    assert found == {"probabilities"}
    assert _codes("binary_crossentropy(from_logits=true)", (labels[:, None] == 0) * 1.0, p[:, :1])
    # real logits: some outside [0, 1], or rows not summing to 1
    logits = np.log(p) + 3.0
    assert _codes("categorical_crossentropy(from_logits=true)", np.eye(3)[labels], logits) == set()
    few = _codes("binary_crossentropy(from_logits=true)", np.ones((3, 1)), np.full((3, 1), 0.4))
    assert few == set()  # three rows are too few to call it a mistake


def test_weights_negative_or_all_zero(rng: np.random.Generator) -> None:
    t, p = rng.normal(size=(N, 1)), rng.normal(size=(N, 1))
    assert "negative-weights" in _codes("mse", t, p, -np.ones(N))
    assert "zero-weights" in _codes("mse", t, p, np.zeros(N))
    assert _codes("mse", t, p, np.ones(N)) == set()


def test_counters_merge_to_the_same_warnings_as_one_pass(rng: np.random.Generator) -> None:
    t = rng.integers(0, 2, (N, 1)).astype(float)
    p = rng.normal(0, 3, (N, 1))
    p[5] = 1.0
    p[9] = 0.0 if t[9] else 1.0  # wrong and hard: the clipping warning
    losses = parse_specs("binary_crossentropy,hinge,bce(from_logits=true)")
    whole = Diagnostics.for_losses(losses)
    whole.update(t, p, None, np.arange(N))
    merged = Diagnostics.for_losses(losses)
    for start in range(0, N, 7):
        part = Diagnostics.for_losses(losses)
        stop = start + 7
        part.update(t[start:stop], p[start:stop], None, np.arange(start, min(stop, N)))
        merged.merge(part)
    assert merged.warnings() == whole.warnings()


def _write(path: Path, **columns: object) -> str:
    pq.write_table(pa.table(columns), path)
    return str(path)


def test_warnings_go_to_stderr_and_json_stays_valid(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    path = _write(
        tmp_path / "logits.parquet",
        y_true=rng.integers(0, 2, N).astype(float),
        y_pred=rng.normal(0, 3, N),
    )
    result = runner.invoke(app, ["eval", "bce", path, "-f", "json"])
    assert result.exit_code == 0, result.stderr
    json.loads(result.stdout)
    assert "from_logits=true" in result.stderr
    assert "losscli: warning" not in result.stdout

    strict = runner.invoke(app, ["eval", "bce", path, "-f", "json", "--strict"])
    assert strict.exit_code == 3
    assert strict.stdout == ""
    assert "--strict" in strict.stderr


def test_sample_files_evaluate_without_warnings() -> None:
    for spec, name, extra in (
        ("mse,mae,huber", "regression.csv", []),
        ("binary_crossentropy", "binary.csv", []),
        ("categorical_crossentropy", "multiclass.parquet", []),
        ("sparse_categorical_crossentropy", "sparse.csv", ["--y-pred", "p_*"]),
        ("categorical_crossentropy(from_logits=true)", "logits.parquet", []),
    ):
        result = runner.invoke(app, ["eval", spec, str(SAMPLES / name), *extra, "--strict"])
        assert result.exit_code == 0, (name, result.stderr)
        assert result.stderr == ""


def _nan_file(tmp_path: Path) -> str:
    y_true = np.arange(10, dtype=float)
    y_pred = y_true + 0.5
    y_pred[3] = np.nan
    y_true[7] = np.inf
    return _write(tmp_path / "nan.parquet", y_true=y_true, y_pred=y_pred)


def test_nan_policy_raise_counts_the_rows_and_names_the_first(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "mse", _nan_file(tmp_path), "--batch-size", "2"])
    assert result.exit_code == 3
    assert "column 'y_pred', row 3: 2 rows hold NaN or inf (the first is row 3)" in result.stderr
    assert "--nan-policy omit" in result.stderr


def test_nan_policy_omit_drops_rows_and_says_so(tmp_path: Path) -> None:
    path = _nan_file(tmp_path)
    evaluation = evaluate(path, "mse,mae", nan_policy="omit", batch_size=3)
    assert [r.value for r in evaluation.results] == [0.25, 0.5]
    assert [r.count for r in evaluation.results] == [8, 8]
    notes = [w for w in evaluation.warnings if w.code == "nan-omitted"]
    assert len(notes) == 1 and "omitted 2 rows" in notes[0].message and "row 3" in notes[0].message


def test_nan_policy_propagate_gives_nan_with_a_word(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["eval", "mse", _nan_file(tmp_path), "--nan-policy", "propagate", "-f", "json"]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["value"] is None
    assert "2 rows hold NaN or inf" in result.stderr
    assert "give a NaN loss (first at row 3)" in result.stderr


def test_nan_from_finite_inputs_is_reported_at_its_file_row(tmp_path: Path) -> None:
    # Poisson takes log(y_pred + eps): a negative prediction gives NaN from finite inputs;
    # with --nan-policy omit dropping row 1 first, the NaN row must still be named by file row
    y_pred = np.full(8, 2.0)
    y_pred[6] = -5.0
    y_true = np.ones(8)
    y_true[1] = np.nan
    path = _write(tmp_path / "p.parquet", y_true=y_true, y_pred=y_pred)
    evaluation = evaluate(path, "poisson", nan_policy="omit", batch_size=4)
    assert evaluation.results[0].first_nan_row == 6
    messages = [w.message for w in evaluation.warnings if w.code == "nan-loss"]
    assert messages and "first at row 6" in messages[0]

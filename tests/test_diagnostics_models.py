"""Diagnostics judged on real models: scikit-learn models, trained deterministically here on
its bundled datasets, give correct outputs that must raise no warning (not even under
--strict); the mistakes people make with those same outputs must warn, and the clipping
warning's number is the unclipped loss (scikit-learn's log_loss) minus Keras's."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from keras_oracle import keras_loss
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression, PoissonRegressor, Ridge
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from losscli.api import evaluate

LOADERS = {
    "breast_cancer": load_breast_cancer,
    "iris": load_iris,
    "digits": load_digits,
    "wine": load_wine,
}


@cache
def classifier(dataset: str, c: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(test labels, predict_proba, decision_function) of a scaled logistic regression."""
    x, y = LOADERS[dataset](return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.3, random_state=0, stratify=y
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
    model.fit(x_train, y_train)
    return y_test, model.predict_proba(x_test), model.decision_function(x_test)


@cache
def weak_wine() -> tuple[np.ndarray, np.ndarray]:
    """A correct but weak model (malic acid alone) that never predicts class 0."""
    x, y = load_wine(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x[:, [1]], y, test_size=0.3, random_state=0, stratify=y
    )
    proba = LogisticRegression(max_iter=5000).fit(x_train, y_train).predict_proba(x_test)
    return y_test.astype(float), proba


@cache
def svm_scores() -> tuple[np.ndarray, np.ndarray]:
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.3, random_state=0, stratify=y
    )
    model = make_pipeline(StandardScaler(), LinearSVC(C=1.0)).fit(x_train, y_train)
    return y_test, model.decision_function(x_test)


@cache
def regressors() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(diabetes test targets, Ridge predictions, Poisson GLM predictions)."""
    x, y = load_diabetes(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0)
    ridge = Ridge(alpha=0.1).fit(x_train, y_train)
    poisson = PoissonRegressor(alpha=1e-3, solver="newton-cholesky").fit(x_train, y_train)
    return y_test, ridge.predict(x_test), poisson.predict(x_test)


def _file(tmp_path: Path, y_true: np.ndarray, y_pred: np.ndarray, **extra: np.ndarray) -> str:
    """A Parquet file: y_true / t_0.. and y_pred / p_0.. columns (one per class)."""
    columns: dict[str, np.ndarray] = {}
    for role, short, values in (("y_true", "t", y_true), ("y_pred", "p", y_pred)):
        if values.ndim == 1:
            columns[role] = values
        else:
            columns.update({f"{short}_{k}": values[:, k] for k in range(values.shape[1])})
    columns.update(extra)
    path = tmp_path / "predictions.parquet"
    pq.write_table(pa.table(columns), path)
    return str(path)


def _warnings(
    tmp_path: Path, spec: str, y_true: np.ndarray, y_pred: np.ndarray, **extra: np.ndarray
) -> list[str]:
    path = _file(tmp_path, y_true, y_pred, **extra)
    evaluation = evaluate(
        path,
        spec,
        y_true="y_true" if y_true.ndim == 1 else "t_*",
        y_pred="y_pred" if y_pred.ndim == 1 else "p_*",
    )
    return [f"{w.code}: {w.message}" for w in evaluation.warnings]


def _binary(c: float = 100.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breast cancer, C=100: well calibrated, with over 100 predictions Keras clips, every
    one of them on the correct side."""
    y, proba, logits = classifier("breast_cancer", c)
    return y.astype(float), proba[:, 1], logits


def _classes(dataset: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y, proba, logits = classifier(dataset)
    return y.astype(float), proba, logits


def _one_hot(y: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[y.astype(int)]


# (spec, what the file holds): each is a correct use of a correct model's output
SILENT = [
    ("binary_crossentropy", lambda: _binary()[:2]),
    ("binary_focal_crossentropy", lambda: _binary()[:2]),
    ("binary_focal_crossentropy(apply_class_balancing=true)", lambda: _binary()[:2]),
    ("binary_crossentropy(from_logits=true)", lambda: (_binary()[0], _binary()[2])),
    ("binary_crossentropy", lambda: _binary(1.0)[:2]),
    ("hinge,squared_hinge", lambda: (svm_scores()[0].astype(float), svm_scores()[1])),
    ("hinge", lambda: (2.0 * svm_scores()[0] - 1, svm_scores()[1])),
    *[
        (spec, lambda d=d: _classes(d)[:2])
        for d in ("iris", "digits", "wine")
        for spec in ("sparse_categorical_crossentropy",)
    ],
    *[
        (spec, lambda d=d: (_classes(d)[0], _classes(d)[2]))
        for d in ("iris", "digits", "wine")
        for spec in ("sparse_categorical_crossentropy(from_logits=true)",)
    ],
    (
        "categorical_crossentropy,categorical_focal_crossentropy,kl_divergence",
        lambda: (_one_hot(_classes("digits")[0], 10), _classes("digits")[1]),
    ),
    (
        "categorical_crossentropy(from_logits=true),categorical_hinge",
        lambda: (_one_hot(_classes("wine")[0], 3), _classes("wine")[2]),
    ),
    ("sparse_categorical_crossentropy", weak_wine),
    # probabilities written with 3 decimals (rows sum to 1 within 10 × 0.0005)
    (
        "sparse_categorical_crossentropy",
        lambda: (_classes("digits")[0], _classes("digits")[1].round(3)),
    ),
    ("mse,mae,huber,log_cosh,mape,msle", lambda: regressors()[:2]),
    ("poisson", lambda: (regressors()[0], regressors()[2])),
]


@pytest.mark.parametrize(
    ("spec", "data"), SILENT, ids=[f"{s}-{i}" for i, (s, _) in enumerate(SILENT)]
)
def test_correct_model_outputs_raise_no_warning(spec: str, data, tmp_path: Path) -> None:
    y_true, y_pred = data()
    assert _warnings(tmp_path, spec, y_true, y_pred) == []


def test_positive_sample_weights_raise_no_warning(tmp_path: Path) -> None:
    y, ridge, _ = regressors()
    weights = 1.0 + (y > np.median(y))  # e.g. weigh the high targets twice
    assert _warnings(tmp_path, "mse", y, ridge, sample_weight=weights) == []


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args], capture_output=True, text=True, check=False
    )


def test_calibrated_model_with_clipped_predictions_passes_strict(tmp_path: Path) -> None:
    y, proba, _ = _binary()
    assert ((proba < 1e-7) | (proba > 1 - 1e-7)).sum() > 50  # Keras clips many of them
    path = _file(tmp_path, y, proba)
    done = _cli("eval", "bce", path, "--strict", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    wrong = _cli("eval", "bce(from_logits=true)", path, "--strict", "-f", "json")
    assert wrong.returncode == 3
    assert "use 'binary_crossentropy'" in wrong.stderr
    assert wrong.stdout == ""


@pytest.mark.parametrize(
    ("spec", "data", "fix"),
    [
        ("bce(from_logits=true)", lambda: _binary()[:2], "'binary_crossentropy'"),
        (
            "binary_focal_crossentropy(from_logits=true, gamma=1)",
            lambda: _binary()[:2],
            "'binary_focal_crossentropy(gamma=1.0)'",
        ),
        (
            "sparse_categorical_crossentropy(from_logits=true)",
            lambda: _classes("iris")[:2],
            "'sparse_categorical_crossentropy'",
        ),
        (
            "categorical_crossentropy(from_logits=true)",
            lambda: (_one_hot(_classes("wine")[0], 3), _classes("wine")[1]),
            "'categorical_crossentropy'",
        ),
    ],
)
def test_probabilities_given_as_logits_warn_with_the_fix(spec, data, fix, tmp_path: Path) -> None:
    y_true, y_pred = data()
    found = _warnings(tmp_path, spec, y_true, y_pred)
    assert len(found) == 1 and found[0].startswith("probabilities:"), found
    assert fix in found[0]


def test_logits_given_as_probabilities_warn(tmp_path: Path) -> None:
    y, _, logits = _binary()
    found = _warnings(tmp_path, "bce", y, logits)
    assert [w.split(":")[0] for w in found] == ["logits"]
    assert "'binary_crossentropy(from_logits=true)'" in found[0]


def test_hard_predictions_that_are_wrong_warn_that_the_loss_is_infinite(tmp_path: Path) -> None:
    y, proba, _ = _binary(1.0)
    hard = (proba > 0.5).astype(float)
    assert (hard != y).any()
    found = _warnings(tmp_path, "bce", y, hard)
    assert len(found) == 1 and found[0].startswith("clipped:")
    assert "infinite" in found[0]
    # hard predictions that are all right: clipping changes the loss by 1e-7 at most
    assert _warnings(tmp_path, "bce", y, y.copy()) == []


def test_confidently_wrong_predictions_warn_by_how_much_clipping_changed_the_loss(
    tmp_path: Path,
) -> None:
    y, proba, _ = _binary()
    # label noise: three positives the model is sure of (1 - p in [1e-12, 1e-8]) are negatives
    flip = np.flatnonzero((y == 1) & (1 - proba > 1e-12) & (1 - proba < 1e-8))[:3]
    assert len(flip) == 3
    y = y.copy()
    y[flip] = 0.0
    found = _warnings(tmp_path, "bce", y, proba)
    assert len(found) == 1 and found[0].startswith("clipped:"), found
    said = float(re.search(r"higher by ([0-9.e+-]+) per value", found[0]).group(1))
    # scikit-learn's log_loss clips only at float64's eps: the loss without Keras's clip
    keras = float(keras_loss("BinaryCrossentropy", y[:, None], proba[:, None]))
    assert said == pytest.approx(log_loss(y, proba) - keras, rel=1e-3)
    assert "3 rows" in found[0]


def test_per_class_sigmoids_given_to_a_categorical_loss_warn(tmp_path: Path) -> None:
    y, _, logits = _classes("iris")
    sigmoids = 1 / (1 + np.exp(-logits))  # one-vs-rest scores: rows do not sum to 1
    found = _warnings(tmp_path, "sparse_categorical_crossentropy", y, sigmoids)
    assert [w.split(":")[0] for w in found] == ["unnormalised"]


def test_hinge_given_class_indices_warns(tmp_path: Path) -> None:
    y, _, logits = _classes("wine")
    found = _warnings(tmp_path, "hinge", y, logits[:, 0])
    assert [w.split(":")[0] for w in found] == ["hinge-labels"]


def test_weak_model_never_predicting_a_class_is_not_a_column_order_mistake() -> None:
    y, proba = weak_wine()
    assert 0 in y and not (proba.argmax(axis=1) == 0).any()  # the case the old rule flagged


def test_columns_in_another_order_than_the_classes_warn(tmp_path: Path) -> None:
    y, proba, _ = _classes("iris")
    found = _warnings(tmp_path, "sparse_categorical_crossentropy", y, proba[:, [1, 2, 0]])
    assert [w.split(":")[0] for w in found] == ["class-order"]
    assert "column 2 as class 0, column 0 as class 1, column 1 as class 2" in found[0]


def test_readme_lists_every_warning_code() -> None:
    """Each Diagnostic code the library can emit has a row in the README's Warnings table."""
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Warnings\n", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.M))
    emitted: set[str] = set()
    for module in ("diagnostics.py", "validate.py"):
        source = (root / "losscli" / module).read_text(encoding="utf-8")
        emitted |= set(re.findall(r'Diagnostic\(\s*"([a-z-]+)"', source))
    assert len(emitted) >= 11
    assert emitted == listed


def test_clipping_change_of_a_sparse_loss_is_right(tmp_path: Path) -> None:
    y, proba, _ = _classes("digits")
    # label noise: three rows relabelled as a class the model gives between 1e-14 and 1e-8
    rows, classes = np.nonzero((proba > 1e-14) & (proba < 1e-8))
    pick = np.unique(rows, return_index=True)[1][:3]
    assert len(pick) == 3
    y = y.copy()
    y[rows[pick]] = classes[pick]
    found = _warnings(tmp_path, "sparse_categorical_crossentropy", y, proba)
    assert len(found) == 1 and found[0].startswith("clipped:"), found
    said = float(re.search(r"higher by ([0-9.e+-]+) per value", found[0]).group(1))
    keras = float(keras_loss("SparseCategoricalCrossentropy", y[:, None], proba))
    unclipped = log_loss(y, proba, labels=np.arange(10))
    assert said == pytest.approx(unclipped - keras, rel=1e-3)

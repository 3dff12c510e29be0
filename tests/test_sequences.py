"""Sequence outputs: y_true/y_pred (N, T, K) give one loss per row and timestep, (N, T).

Keras reduces only the last axis and its reductions count all N×T values. A per-row sample
weight covers the row's timesteps: Keras itself refuses a (N,) weight for (N, T) values (it
broadcasts it against the timestep axis), so the oracle gets `sample_weight[:, None]`, which
is what `model.fit` users pass and what Keras then broadcasts over T.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from keras_oracle import keras_jax, keras_loss
from typer.testing import CliRunner

from losscli.cli import app
from losscli.engine import evaluate_arrays
from losscli.errors import InputDataError, UsageError
from losscli.spec import parse_specs

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
N, T, K = 7, 5, 3
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none")
BATCHES = (None, 1, 3)


def _probs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    p = rng.uniform(0.05, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


def _dense(kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(N, T, K) y_true and y_pred that suit each kind of loss."""
    rng = np.random.default_rng(seed)
    if kind == "regression":
        return rng.normal(size=(N, T, K)), rng.normal(size=(N, T, K))
    if kind == "binary":
        t = rng.integers(0, 2, (N, T, K)).astype(float)
        t[0, 0] = [0.3, 0.7, 0.5]  # soft labels
        p = rng.uniform(0.01, 0.99, (N, T, K))
        p[1, 2] = [0.0, 1.0, 0.5]  # the clipping bounds
        return t, p
    t = np.eye(K)[rng.integers(0, K, (N, T))]
    return t, _probs(rng, (N, T, K))


DENSE = [
    ("mse", "regression"),
    ("mae", "regression"),
    ("huber(delta=0.5)", "regression"),
    ("cosine_similarity", "regression"),
    ("binary_crossentropy", "binary"),
    ("binary_crossentropy(label_smoothing=0.1)", "binary"),
    ("categorical_crossentropy", "categorical"),
    ("categorical_crossentropy(label_smoothing=0.2)", "categorical"),
]


def _keras(spec: str, t: Any, p: Any, w: Any, reduction: str) -> np.ndarray:
    loss = parse_specs(spec)[0]
    return keras_loss(
        loss.info.class_name,
        t,
        p,
        None if w is None else w[:, None],  # a per-row weight, as Keras broadcasts it over T
        reduction=None if reduction == "none" else reduction,
        **loss.params,
    )


def _ours(spec: str, t: Any, p: Any, w: Any, reduction: str, batch_size: int | None) -> Any:
    result = evaluate_arrays(spec, t, p, w, reduction=reduction, batch_size=batch_size)[0]
    return result.values if reduction == "none" else result.value


@pytest.mark.parametrize(("spec", "kind"), DENSE)
@pytest.mark.parametrize("weighted", [False, True])
def test_dense_sequences_match_keras(spec: str, kind: str, weighted: bool) -> None:
    t, p = _dense(kind)
    w = np.random.default_rng(1).uniform(0.1, 2.0, N) if weighted else None
    for reduction in REDUCTIONS:
        expected = _keras(spec, t, p, w, reduction)
        for batch_size in BATCHES:
            got = _ours(spec, t, p, w, reduction, batch_size)
            assert np.shape(got) == np.shape(expected) == ((N, T) if reduction == "none" else ())
            np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-14)


def test_count_is_every_value_and_weight_sum_is_per_row() -> None:
    t, p = _dense("regression")
    w = np.linspace(0.5, 2.0, N)
    result = evaluate_arrays("mse", t, p, w)[0]
    assert result.count == N * T  # Keras's sum_over_batch_size divisor
    assert result.weight_sum == pytest.approx(w.sum())  # mean_with_sample_weight's divisor


def test_keras_itself_needs_the_weight_per_row_with_an_axis() -> None:
    """What Keras does with weights for (N, T) losses, which losscli's per-row weight mirrors."""
    t, p = _dense("regression")
    w = np.linspace(0.5, 2.0, N)
    with pytest.raises(ValueError, match="broadcast"):  # (N,) against (N, T): refused
        keras_loss("MeanSquaredError", t, p, w)
    # (N, 1) and (N, T) weigh alike, but mean_with_sample_weight divides by the sum of
    # the weights given: Σw for (N, 1), T·Σw for (N, T); losscli's per-row weight is (N, 1)
    by_row = keras_loss("MeanSquaredError", t, p, w[:, None], reduction="mean_with_sample_weight")
    by_step = keras_loss(
        "MeanSquaredError", t, p, np.repeat(w[:, None], T, 1), reduction="mean_with_sample_weight"
    )
    assert by_row == pytest.approx(T * by_step, rel=1e-12)
    ours = _ours("mse", t, p, w, "mean_with_sample_weight", None)
    assert ours == pytest.approx(by_row, rel=1e-12)
    # T == N: Keras broadcasts a (N,) weight over the timestep axis, silently wrong
    square = np.random.default_rng(3).normal(size=(2, 4, 4, 2))
    rowwise = keras_loss("MeanSquaredError", *square, np.array([1.0, 0, 0, 0]), reduction=None)
    assert (rowwise[:, 1:] == 0).all() and (rowwise[1:, 0] != 0).all()
    ours = _ours("mse", *square, np.array([1.0, 0, 0, 0]), "none", None)
    assert (ours[1:] == 0).all() and (ours[0] != 0).all()


def _sparse(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Token labels (N, T), padding -1 at the end of some rows, and (N, T, C) scores."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, (N, T)).astype(float)
    labels[0, 3:] = -1
    labels[4, 1:] = -1
    labels[5, :] = -1  # a row with no labelled timestep at all
    return labels, _probs(rng, (N, T, 4))


def test_sparse_without_ignore_class_matches_keras() -> None:
    labels, p = _sparse()
    labels = np.abs(labels)
    w = np.random.default_rng(2).uniform(0.1, 2.0, N)
    for weights in (None, w):
        for reduction in REDUCTIONS:
            expected = _keras("sparse_categorical_crossentropy", labels, p, weights, reduction)
            for batch_size in BATCHES:
                got = _ours(
                    "sparse_categorical_crossentropy", labels, p, weights, reduction, batch_size
                )
                np.testing.assert_allclose(got, expected, rtol=1e-10)


@pytest.fixture(scope="module")
def jax_cases() -> tuple[list[dict[str, Any]], list[np.ndarray]]:
    """ignore_class with weights (Keras's numpy backend fails there: its in-place `*=` cannot
    broadcast a (N, 1) weight over the (N, T) mask) and logits beyond ±16, all in one JAX run."""
    labels, p = _sparse()
    rng = np.random.default_rng(5)
    logits = rng.normal(0, 20, (N, T, 4))
    w = rng.uniform(0.1, 2.0, N)
    t_bin = rng.integers(0, 2, (N, T, 4)).astype(float)
    t_cat = np.eye(4)[rng.integers(0, 4, (N, T))]
    inputs = [
        ("sparse_categorical_crossentropy(ignore_class=-1)", labels, p),
        ("sparse_categorical_crossentropy(ignore_class=-1, from_logits=True)", labels, logits),
        ("sparse_categorical_crossentropy(from_logits=True)", np.abs(labels), logits),
        ("binary_crossentropy(from_logits=True)", t_bin, logits),
        ("categorical_crossentropy(from_logits=True, label_smoothing=0.1)", t_cat, logits),
    ]
    cases = []
    for spec, t, pred in inputs:
        loss = parse_specs(spec)[0]
        for weights in (None, w):
            for reduction in REDUCTIONS:
                cases.append(
                    {
                        "spec": spec,
                        "class_name": loss.info.class_name,
                        "y_true": t,
                        "y_pred": pred,
                        "sample_weight": None if weights is None else weights[:, None],
                        "weights": weights,
                        "reduction": None if reduction == "none" else reduction,
                        "params": loss.params,
                    }
                )
    oracle = [{k: v for k, v in c.items() if k not in ("spec", "weights")} for c in cases]
    return cases, keras_jax(oracle)


def test_ignore_class_and_logits_match_keras_on_jax(jax_cases: Any) -> None:
    cases, expected = jax_cases
    for case, want in zip(cases, expected, strict=True):
        reduction = case["reduction"] or "none"
        for batch_size in BATCHES:
            got = _ours(
                case["spec"], case["y_true"], case["y_pred"], case["weights"], reduction, batch_size
            )
            np.testing.assert_allclose(
                got, want, rtol=1e-10, atol=1e-12, err_msg=f"{case['spec']} {reduction}"
            )


def test_ignore_class_divides_by_the_labelled_timesteps() -> None:
    labels, p = _sparse()
    result = evaluate_arrays("sparse_categorical_crossentropy(ignore_class=-1)", labels, p)[0]
    per_step = evaluate_arrays(
        "sparse_categorical_crossentropy(ignore_class=-1)", labels, p, reduction="sum"
    )[0]
    assert result.value == pytest.approx(per_step.value / (labels != -1).sum(), rel=1e-12)


def test_nan_is_reported_by_row_not_by_value() -> None:
    t, p = _dense("regression")
    p[3, 2, 1] = np.nan
    for batch_size in BATCHES:
        result = evaluate_arrays("mse,mae", t, p, batch_size=batch_size)[0]
        assert result.first_nan_row == 3
        assert result.nan_count == 1  # one timestep of row 3
        assert np.isnan(result.value)


def test_a_weight_of_the_wrong_shape_is_refused_clearly() -> None:
    """One weight per row or per timestep (tests/test_keras_timesteps.py); nothing else."""
    t, p = _dense("regression")
    with pytest.raises(InputDataError, match=rf"sample weights have shape \({T + 1},\) per row"):
        evaluate_arrays("mse", t, p, np.ones((N, T + 1)))
    with pytest.raises(UsageError, match="sample_weight has shape"):
        evaluate_arrays("mse", t, p, np.ones(N + 1))


# --- through the CLI, from Parquet list<list<float>> columns ------------------------------------


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    rng = np.random.default_rng(9)
    labels, probs = _sparse(4)
    arrays = {
        "target": rng.normal(size=(N, T, 2)),
        "forecast": rng.normal(size=(N, T, 2)),
        "tokens": labels.astype(np.int64),
        "probs": probs,
        "sample_weight": rng.uniform(0.5, 2.0, N),
    }
    path = tmp_path_factory.mktemp("seq") / "seq.parquet"
    pq.write_table(
        pa.table({"id": np.arange(N), **{k: v.tolist() for k, v in arrays.items()}}), path
    )
    return path, arrays


def _cli(*args: str) -> Any:
    result = runner.invoke(app, ["eval", *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cli_from_parquet_matches_keras(parquet: Any, reduction: str) -> None:
    path, a = parquet
    for weights in (None, a["sample_weight"]):
        out = _cli(
            "mse,huber(delta=0.5)",
            str(path),
            "--y-true",
            "target",
            "--y-pred",
            "forecast",
            "--reduction",
            reduction,
            "--sample-weight",
            "none" if weights is None else "sample_weight",
            "-f",
            "json",
        )
        for result in out["results"]:
            expected = _keras(result["spec"], a["target"], a["forecast"], weights, reduction)
            got = result["values"] if reduction == "none" else result["value"]
            np.testing.assert_allclose(got, expected, rtol=1e-10)
            assert result["count"] == N * T


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # Keras's numpy backend
def test_cli_token_cross_entropy_from_parquet(parquet: Any) -> None:
    path, a = parquet
    # unweighted ignore_class works on the numpy oracle; weighted is covered on JAX above
    spec = "sparse_categorical_crossentropy(ignore_class=-1)"
    for reduction in REDUCTIONS:
        out = _cli(
            spec,
            str(path),
            "--y-true",
            "tokens",
            "--y-pred",
            "probs",
            "--sample-weight",
            "none",
            "--reduction",
            reduction,
            "-f",
            "json",
        )
        labels = a["tokens"].astype(float)
        expected = _keras(spec, labels, a["probs"], None, reduction)
        result = out["results"][0]
        np.testing.assert_allclose(
            result["values"] if reduction == "none" else result["value"], expected, rtol=1e-10
        )


def test_reduction_none_json_nests_values_and_nulls_nan(parquet: Any, tmp_path: Path) -> None:
    _, a = parquet
    forecast = a["forecast"].copy()
    forecast[2, 4, 0] = np.nan
    path = tmp_path / "nan.parquet"
    pq.write_table(pa.table({"y_true": a["target"].tolist(), "y_pred": forecast.tolist()}), path)
    result = runner.invoke(
        app,
        [
            "eval",
            "mse",
            str(path),
            "--reduction",
            "none",
            "--nan-policy",
            "propagate",
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    values = json.loads(result.stdout)["results"][0]["values"]
    assert len(values) == N and all(len(row) == T for row in values)
    assert values[2][4] is None and values[2][3] is not None
    assert "first at row 2" in result.stderr
    # the default policy names the row (and column) holding the NaN
    refused = runner.invoke(app, ["eval", "mse", str(path)])
    assert refused.exit_code == 3 and "row 2" in refused.stderr


def test_table_shows_each_rows_values_compactly(parquet: Any) -> None:
    path, a = parquet
    result = runner.invoke(
        app,
        [
            "eval",
            "mae",
            str(path),
            "--y-true",
            "target",
            "--y-pred",
            "forecast",
            "--reduction",
            "none",
            "--sample-weight",
            "none",
        ],
    )
    assert result.exit_code == 0, result.stderr
    first = np.abs(a["target"] - a["forecast"]).mean(axis=-1)[0]
    assert f"[{first[0]:.4g}, {first[1]:.4g}" in result.stdout
    assert f"… ({T} values)]" in result.stdout


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_per_sample_export_writes_a_list_per_row(parquet: Any, tmp_path: Path, suffix: str) -> None:
    path, a = parquet
    target = tmp_path / f"out{suffix}"
    args = [str(path), "--y-true", "target", "--y-pred", "forecast"]
    result = runner.invoke(app, ["eval", "mse", *args, "--per-sample", str(target)])
    assert result.exit_code == 0, result.stderr
    expected = _keras("mse", a["target"], a["forecast"], a["sample_weight"], "none")
    if suffix == ".parquet":
        column = pq.read_table(target)["mean_squared_error"].to_pylist()
    else:
        import pyarrow.csv as pacsv

        column = [json.loads(c) for c in pacsv.read_csv(target)["mean_squared_error"].to_pylist()]
    np.testing.assert_allclose(np.array(column), expected, rtol=1e-12)
    # losscli reads its own export back as a list column (T values per row, not text)
    again = _cli(
        "mae",
        str(target),
        "--y-true",
        "mean_squared_error",
        "--y-pred",
        "mean_squared_error",
        "--sample-weight",
        "none",
        "-f",
        "json",
    )
    assert again["results"][0]["value"] == 0.0 and again["results"][0]["count"] == N


def test_group_by_gives_each_groups_keras_value(parquet: Any, tmp_path: Path) -> None:
    _, a = parquet
    split = np.array(["a", "b", "a", "a", "b", "b", "a"])
    path = tmp_path / "g.parquet"
    pq.write_table(
        pa.table(
            {"split": split, "y_true": a["target"].tolist(), "y_pred": a["forecast"].tolist()}
        ),
        path,
    )
    out = _cli("mse", str(path), "--group-by", "split", "-f", "json")
    for group in out["groups"]["values"]:
        rows = split == group["key"]
        expected = _keras(
            "mse", a["target"][rows], a["forecast"][rows], None, "sum_over_batch_size"
        )
        assert group["results"][0]["value"] == pytest.approx(float(expected), rel=1e-12)


def test_top_k_refuses_per_timestep_losses(parquet: Any) -> None:
    path, _ = parquet
    result = runner.invoke(
        app, ["eval", "mse", str(path), "--y-true", "target", "--y-pred", "forecast", "--top", "3"]
    )
    assert result.exit_code == 2
    assert "--top ranks rows" in result.stderr and f"{T} values per row" in result.stderr


def test_timesteps_must_line_up(parquet: Any, tmp_path: Path) -> None:
    _, a = parquet
    path = tmp_path / "short.parquet"
    pq.write_table(
        pa.table({"y_true": a["tokens"][:, :4].tolist(), "y_pred": a["probs"].tolist()}), path
    )
    result = runner.invoke(app, ["eval", "sparse_categorical_crossentropy", str(path)])
    assert result.exit_code == 3
    assert "one class index per row" in result.stderr


def test_sample_file_and_custom_loss_in_a_subprocess(tmp_path: Path) -> None:
    """The README example, and a plugin that returns (N, T) like a Keras function may."""
    plugin = tmp_path / "seqloss.py"
    plugin.write_text(
        "import numpy as np\n\n"
        "def step_mse(y_true, y_pred):\n"
        "    return np.mean(np.square(y_true - y_pred), axis=-1)\n"
    )
    sample = ROOT / "sample_data" / "sequences.parquet"
    common = [sys.executable, "-m", "losscli", "eval"]
    runs = {
        "tokens": [
            *common,
            "sparse_categorical_crossentropy(ignore_class=-1)",
            str(sample),
            "--y-true",
            "tokens",
            "--y-pred",
            "probs",
            "-f",
            "json",
        ],
        "plugin": [
            *common,
            "--plugin",
            str(plugin),
            "step_mse,mse",
            str(sample),
            "--y-true",
            "target",
            "--y-pred",
            "forecast",
            "-f",
            "json",
        ],
    }
    outputs = {}
    for name, command in runs.items():
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        outputs[name] = json.loads(proc.stdout)["results"]
    table = pq.read_table(sample)
    tokens = np.array(table["tokens"].to_pylist(), dtype=float)
    probs = np.array(table["probs"].to_pylist())
    w = table["sample_weight"].to_numpy()
    expected = keras_jax(
        [
            {
                "class_name": "SparseCategoricalCrossentropy",
                "y_true": tokens,
                "y_pred": probs,
                "sample_weight": w[:, None],
                "params": {"ignore_class": -1},
            }
        ]
    )[0]
    assert outputs["tokens"][0]["value"] == pytest.approx(float(expected), rel=1e-10)
    step_mse, mse = outputs["plugin"]
    assert step_mse["value"] == mse["value"] and step_mse["count"] == mse["count"] == 40 * 6

"""Per-timestep sample weights and Keras masks, from files and arrays, against real Keras."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_process import losscli
from keras_oracle import _configure

from losscli import evaluate, evaluate_arrays
from losscli.errors import InputDataError

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight")
N, T, K, C = 6, 4, 2, 3


def keras_value(
    class_name: str,
    t: Any,
    p: Any,
    w: Any = None,
    mask: Any = None,
    reduction: str = "sum_over_batch_size",
    **params: Any,
) -> float:
    """Keras's loss; `mask` is attached to y_pred as a Masking layer would attach it."""
    k = _configure("float64")
    from keras.src.backend.common.masking import set_keras_mask

    p = np.array(p, dtype="float64")
    if mask is not None:
        set_keras_mask(p, np.asarray(mask, dtype=bool))
    loss = getattr(k.losses, class_name)(reduction=reduction, dtype="float64", **params)
    with np.errstate(all="ignore"):  # Keras divides 0 by 0 for ignored tokens, then masks
        return float(loss(np.asarray(t, dtype="float64"), p, sample_weight=w))


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    probs = rng.random((N, T, C))
    return {
        "target": rng.normal(size=(N, T, K)),
        "forecast": rng.normal(size=(N, T, K)),
        "tokens": rng.integers(-1, C, size=(N, T)).astype(np.float64),
        "probs": probs / probs.sum(axis=-1, keepdims=True),
        "w": rng.random((N, T)) * 2,
        "steps": rng.random((N, T)) > 0.3,
        "rows": rng.random(N) > 0.4,
    }


@pytest.fixture(scope="module")
def sequences(data: dict[str, np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> Path:
    columns: dict[str, Any] = {
        "target": data["target"].tolist(),
        "forecast": data["forecast"].tolist(),
        "tokens": data["tokens"].tolist(),
        "probs": data["probs"].tolist(),
        "w": data["w"].tolist(),
        "wn": data["w"][:, :, None].tolist(),
        "steps": data["steps"].tolist(),
        "rows": data["rows"],
    }
    for i in range(T):
        columns[f"w_{i}"] = data["w"][:, i]
    path = tmp_path_factory.mktemp("seq") / "seq.parquet"
    pq.write_table(pa.table(columns), path)
    return path


@pytest.mark.parametrize("weights", ["w", "wn", "w_*"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_per_timestep_weights_match_keras(
    sequences: Path, data: dict[str, np.ndarray], weights: str, reduction: str
) -> None:
    """A list column of T weights, of T one-element lists, or T scalar columns: (N, T)."""
    got = evaluate(
        str(sequences),
        "mse,huber",
        y_true="target",
        y_pred="forecast",
        sample_weight=weights,
        reduction=reduction,
        batch_size=4,
    )
    for result, name in zip(got.results, ("MeanSquaredError", "Huber"), strict=True):
        expected = keras_value(name, data["target"], data["forecast"], data["w"], None, reduction)
        assert result.value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_token_weights_with_ignore_class_match_keras(
    sequences: Path, data: dict[str, np.ndarray], reduction: str
) -> None:
    spec = "sparse_categorical_crossentropy(ignore_class=-1)"
    got = evaluate(
        str(sequences),
        spec,
        y_true="tokens",
        y_pred="probs",
        sample_weight="w",
        reduction=reduction,
    ).results[0]
    expected = keras_value(
        "SparseCategoricalCrossentropy",
        data["tokens"],
        data["probs"],
        data["w"],
        None,
        reduction,
        ignore_class=-1,
    )
    assert got.value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_a_timestep_mask_matches_keras(
    sequences: Path, data: dict[str, np.ndarray], reduction: str, weighted: bool
) -> None:
    got = evaluate(
        str(sequences),
        "mse",
        y_true="target",
        y_pred="forecast",
        sample_weight="w" if weighted else "none",
        mask="steps",
        reduction=reduction,
        batch_size=4,
    ).results[0]
    w = data["w"] if weighted else None
    expected = keras_value(
        "MeanSquaredError", data["target"], data["forecast"], w, data["steps"], reduction
    )
    assert got.value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_a_mask_combines_with_ignore_class_as_keras_does(
    sequences: Path, data: dict[str, np.ndarray], reduction: str
) -> None:
    """Keras: the loss's own mask (ignored tokens) & the mask on y_pred."""
    spec = "sparse_categorical_crossentropy(ignore_class=-1)"
    got = evaluate(
        str(sequences), spec, y_true="tokens", y_pred="probs", mask="steps", reduction=reduction
    ).results[0]
    expected = keras_value(
        "SparseCategoricalCrossentropy",
        data["tokens"],
        data["probs"],
        None,
        data["steps"],
        reduction,
        ignore_class=-1,
    )
    assert got.value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_a_row_mask_matches_keras(data: dict[str, np.ndarray], reduction: str) -> None:
    t, p = data["target"][:, 0, :], data["forecast"][:, 0, :]
    w = data["w"][:, 0]
    expected = keras_value("MeanAbsoluteError", t, p, w, data["rows"], reduction)
    got = evaluate_arrays("mae", t, p, w, mask=data["rows"], reduction=reduction, batch_size=4)
    assert got[0].value == pytest.approx(expected, rel=1e-12)


def test_a_row_mask_covers_every_timestep(sequences: Path, data: dict[str, np.ndarray]) -> None:
    """Keras takes (N, T) masks for (N, T) losses; a row mask is that mask repeated over T."""
    got = evaluate(str(sequences), "mse", y_true="target", y_pred="forecast", mask="rows")
    steps = np.repeat(data["rows"][:, None], T, axis=1)
    expected = keras_value("MeanSquaredError", data["target"], data["forecast"], None, steps)
    assert got.results[0].value == pytest.approx(expected, rel=1e-12)


def test_api_takes_per_timestep_weights_and_masks(data: dict[str, np.ndarray]) -> None:
    t, p, w, m = data["target"], data["forecast"], data["w"], data["steps"]
    expected = keras_value("MeanSquaredError", t, p, w, m)
    for weights in (w, w[:, :, None]):
        got = evaluate_arrays("mse", t, p, weights, mask=m, batch_size=5)[0].value
        assert got == pytest.approx(expected, rel=1e-12)


def test_batch_size_does_not_change_masked_weighted_results(
    sequences: Path,
) -> None:
    kwargs: dict[str, Any] = {
        "y_true": "target",
        "y_pred": "forecast",
        "sample_weight": "w",
        "mask": "steps",
    }
    one = evaluate(str(sequences), "mse,log_cosh", batch_size=N, **kwargs)
    for size in (1, 4):
        many = evaluate(str(sequences), "mse,log_cosh", batch_size=size, **kwargs)
        assert [r.value for r in many.results] == [r.value for r in one.results]


def test_per_timestep_weights_need_per_timestep_losses(sequences: Path) -> None:
    with pytest.raises(InputDataError, match="sample weights have shape"):
        evaluate(str(sequences), "mse", y_true="rows", y_pred="rows", sample_weight="w")


def test_a_mask_must_be_boolean(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("y_true,y_pred,m\n1,0.5,1\n0,0.5,2\n")
    with pytest.raises(InputDataError) as err:
        evaluate(str(path), "mse", mask="m")
    assert err.value.column == "m" and err.value.row == 1


def test_mask_through_the_cli(sequences: Path, data: dict[str, np.ndarray]) -> None:
    done = losscli(
        "eval",
        "mse",
        str(sequences),
        "--y-true",
        "target",
        "--y-pred",
        "forecast",
        "--sample-weight",
        "w_*",
        "--mask",
        "steps",
        "-f",
        "csv",
    )
    assert done.returncode == 0, done.stderr
    value = float(done.stdout.splitlines()[1].split(",")[3])
    expected = keras_value(
        "MeanSquaredError", data["target"], data["forecast"], data["w"], data["steps"]
    )
    assert value == pytest.approx(expected, rel=1e-12)


def test_a_missing_mask_column_names_the_option(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("y_true,y_pred\n1,0.5\n")
    with pytest.raises(InputDataError) as err:
        evaluate(str(path), "mse", mask="nope")
    assert (
        "no mask column 'nope'" in err.value.message and err.value.hint == "choose one with --mask"
    )


def test_a_check_takes_the_mask_key_as_eval_takes_mask(
    sequences: Path, data: dict[str, np.ndarray], tmp_path: Path
) -> None:
    import json

    config = tmp_path / "c.toml"
    config.write_text(
        f'[[check]]\nname = "m"\nfile = "{sequences}"\nloss = "mse"\ny_true = "target"\n'
        'y_pred = "forecast"\nmask = "steps"\nreport_only = true\n'
    )
    done = losscli("check", str(config), "-f", "json")
    assert done.returncode == 0, done.stderr
    value = json.loads(done.stdout)["checks"][0]["value"]
    expected = keras_value(
        "MeanSquaredError", data["target"], data["forecast"], None, data["steps"]
    )
    assert value == pytest.approx(expected, rel=1e-12)

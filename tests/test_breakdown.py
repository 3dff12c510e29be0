"""--group-by equals evaluating each group alone; --top K finds the largest; class weights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from keras_oracle import _configure
from typer.testing import CliRunner

from losscli.api import evaluate
from losscli.breakdown import Distribution, Groups, TopK, chain
from losscli.classweight import class_sample_weights, parse_class_weight
from losscli.cli import app
from losscli.engine import evaluate_arrays
from losscli.errors import UsageError
from losscli.spec import parse_specs

runner = CliRunner()
N = 500


@pytest.fixture
def grouped(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    path = tmp_path / "g.parquet"
    pq.write_table(
        pa.table(
            {
                "id": np.arange(N),
                "split": rng.choice(["train", "val", "test"], size=N),
                "y_true": rng.integers(0, 2, size=N).astype(float),
                "y_pred": rng.uniform(0.01, 0.99, size=N),
                "sample_weight": rng.uniform(size=N),
            }
        ),
        path,
    )
    return path


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
def test_group_by_equals_each_group_alone(grouped: Path, tmp_path: Path, reduction: str) -> None:
    losses = parse_specs("mse,bce")
    groups = Groups("split", losses)
    evaluation = evaluate(
        str(grouped), "mse,bce", reduction=reduction, batch_size=37, keep=["split"], on_batch=groups
    )
    table = pq.read_table(grouped)
    found = dict(groups.results(reduction))
    assert sorted(found) == ["test", "train", "val"]
    for key, results in found.items():
        alone = tmp_path / f"{key}.parquet"
        pq.write_table(table.filter(pa.compute.equal(table.column("split"), key)), alone)
        expected = evaluate(str(alone), "mse,bce", reduction=reduction)
        assert [r.value for r in results] == [r.value for r in expected.results]
        assert [r.count for r in results] == [r.count for r in expected.results]
    assert sum(r[0].count for r in found.values()) == evaluation.results[0].count


def test_group_by_cli_json(grouped: Path) -> None:
    out = runner.invoke(app, ["eval", "mse", str(grouped), "--group-by", "split", "-f", "json"])
    data = json.loads(out.stdout)
    assert data["groups"]["column"] == "split"
    assert [g["key"] for g in data["groups"]["values"]] == ["test", "train", "val"]
    out = runner.invoke(app, ["eval", "mse", str(grouped), "--group-by", "split", "-f", "csv"])
    assert out.stdout.splitlines()[0] == "split,loss,spec,reduction,value,count,weight_sum"


def test_top_k_finds_the_largest(grouped: Path) -> None:
    losses = parse_specs("mae")
    top = TopK(5, losses, patterns=["id"])
    spread = Distribution(losses)
    evaluate(str(grouped), "mae", batch_size=50, keep=["id"], on_batch=chain([top, spread]))
    table = pq.read_table(grouped)
    w = table.column("sample_weight").to_numpy()
    values = np.abs(table.column("y_true").to_numpy() - table.column("y_pred").to_numpy()) * w
    order = np.argsort(-values)[:5]
    (worst,) = top.results()
    assert [x.row for x in worst] == order.tolist()
    assert [x.keys["id"] for x in worst] == order.tolist()
    assert [x.value for x in worst] == values[order].tolist()
    (result,) = spread.results()
    assert result.quantiles["max"] == values.max() and result.quantiles["min"] == values.min()
    assert result.quantiles["p90"] == pytest.approx(np.quantile(values, 0.9))
    assert sum(result.counts) == N


def test_top_and_distribution_in_the_table(grouped: Path) -> None:
    args = ["eval", "mae", str(grouped), "--top", "3", "--keep", "id"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.stderr
    assert "largest mean_absolute_error" in out.stdout and "p99" not in out.stdout
    out = runner.invoke(app, [*args, "--dist"])  # the distribution only on request
    assert "largest mean_absolute_error" in out.stdout and "p99" in out.stdout


def test_class_weight_parse(tmp_path: Path) -> None:
    assert parse_class_weight("0=1.0, 1=3.5") == {0: 1.0, 1: 3.5}
    path = tmp_path / "cw.json"
    path.write_text('{"0": 1, "2": 0.5}')
    assert parse_class_weight(str(path)) == {0: 1.0, 2: 0.5}
    with pytest.raises(UsageError):
        parse_class_weight("zero=1")


@pytest.mark.parametrize("kind", ["binary", "sparse", "onehot"])
def test_class_weights_match_keras(kind: str) -> None:
    from keras.src.trainers.data_adapters.data_adapter_utils import (
        class_weight_to_sample_weights,
    )

    _configure("float64")
    rng = np.random.default_rng(1)
    cw = {0: 0.5, 1: 3.5, 2: 2.0}
    if kind == "binary":
        y = rng.integers(0, 2, size=(30, 1)).astype(float)
    elif kind == "sparse":
        y = rng.integers(0, 4, size=(30, 1)).astype(float)  # class 3 is missing → 1.0
    else:
        y = np.eye(3)[rng.integers(0, 3, size=30)]
    expected = class_weight_to_sample_weights(y, cw)
    assert class_sample_weights(y, cw).tolist() == np.asarray(expected).tolist()


def test_class_weights_equal_explicit_sample_weights(grouped: Path, tmp_path: Path) -> None:
    table = pq.read_table(grouped).drop(["sample_weight"])
    plain = tmp_path / "plain.parquet"
    pq.write_table(table, plain)
    cw = {0: 1.0, 1: 3.5}
    got = evaluate(str(plain), "bce,mse", class_weight=cw, reduction="mean_with_sample_weight")
    y = table.column("y_true").to_numpy()
    w = np.where(y == 1, 3.5, 1.0)
    expected = evaluate_arrays(
        "bce,mse", y, table.column("y_pred").to_numpy(), w, reduction="mean_with_sample_weight"
    )
    assert [r.value for r in got.results] == [r.value for r in expected]
    out = runner.invoke(
        app, ["eval", "bce", str(plain), "--class-weight", "0=1.0,1=3.5", "-f", "json"]
    )
    assert (
        json.loads(out.stdout)["results"][0]["value"]
        == evaluate_arrays("bce", y, table.column("y_pred").to_numpy(), w)[0].value
    )

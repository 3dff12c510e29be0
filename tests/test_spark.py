"""`losscli.spark.evaluate` on a local Spark session (local[2], started once for the module,
~30 s on a busy 2-core machine): the local run's numbers, errors naming the partition."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

if shutil.which("java") is None:  # pyspark's own dependency, not pip-installable
    pytest.skip("Spark needs a Java runtime (java 17+)", allow_module_level=True)

from losscli import evaluate
from losscli.errors import InputDataError, UsageError
from losscli.spark import evaluate as spark_evaluate

SPEC = "mse,binary_crossentropy,hinge,dice(axis=None)"


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers need this venv's losscli
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # no traffic beyond the loopback
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("losscli-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spark") / "preds"
    folder.mkdir()
    rng = np.random.default_rng(11)
    for i, n in enumerate([40_000, 25_000, 7_000]):
        y_true = rng.integers(0, 2, n).astype(np.float64)
        table = pa.table(
            {
                "y_true": y_true,
                "y_pred": np.clip(y_true * 0.6 + rng.uniform(0, 0.4, n), 0.01, 0.99),
                "sample_weight": rng.uniform(0.5, 2.0, n),
            }
        )
        pq.write_table(table, folder / f"part-{i}.parquet")
    return folder


def test_spark_dataframe_equals_the_local_run(spark: Any, dataset: Path) -> None:
    df = spark.read.parquet(str(dataset))
    ev = spark_evaluate(df, SPEC)
    local = evaluate(str(dataset), SPEC)
    assert ev.input.rows == local.input.rows == 72_000
    for a, b in zip(ev.results, local.results, strict=True):
        # Spark packs and orders a folder's files its own way, so partitions do not align
        # with reduce.BLOCK: the bound losscli/partition.py states
        assert a.value == pytest.approx(b.value, rel=1e-14, abs=0)
        assert a.weight_sum == pytest.approx(b.weight_sum, rel=1e-14, abs=0)
        assert a.count == b.count


def test_errors_name_the_partition_and_refusals_are_clear(spark: Any, tmp_path: Path) -> None:
    bad = spark.createDataFrame([(1.0, 0.5), (0.0, float("nan")), (1.0, 0.2)], ["y_true", "y_pred"])
    with pytest.raises(InputDataError) as caught:
        spark_evaluate(bad.coalesce(1), "mse")
    assert "partition 0" in str(caught.value) and caught.value.row == 1
    with pytest.raises(UsageError, match="circle"):
        spark_evaluate(bad, "circle")

"""`--engine dask` and `losscli.dask.evaluate` on a real distributed.LocalCluster (two worker
processes, started once for the module): the same numbers, warnings and errors as a local run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import distributed  # the dask extra, installed by `make test`
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from losscli import evaluate
from losscli.dask import ReadSpec, evaluate_path
from losscli.errors import InputDataError, UsageError
from losscli.reduce import BLOCK

# several losses, weights, and the batch-level ones that need a merged whole-input prepass
SPEC = "mse,mae,binary_crossentropy,hinge,dice(axis=None)"


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _table(n: int, rng: np.random.Generator) -> pa.Table:
    y_true = rng.integers(0, 2, n).astype(np.float64)
    return pa.table(
        {
            "id": np.arange(n),
            "y_true": y_true,
            "y_pred": np.clip(y_true * 0.6 + rng.uniform(0, 0.4, n), 0.01, 0.99),
            "sample_weight": rng.uniform(0.5, 2.0, n),
        }
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three files: two of exactly reduce.BLOCK rows and a short one, so partitions align."""
    folder = tmp_path_factory.mktemp("ds") / "preds"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for i, n in enumerate([BLOCK, BLOCK, 3_001]):
        pq.write_table(_table(n, rng), folder / f"part-{i}.parquet")
    return folder


def losscli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args], capture_output=True, text=True, timeout=180
    )


def _numbers(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(r["spec"], r["value"], r["count"], r["weight_sum"]) for r in doc["results"]]


def test_cli_engine_dask_equals_the_local_run_to_the_bit(client: Any, dataset: Path) -> None:
    address = client.scheduler.address
    remote = losscli(
        "eval", SPEC, str(dataset), "--engine", "dask", "--scheduler", address, "-f", "json"
    )
    local = losscli("eval", SPEC, str(dataset), "-f", "json")
    assert remote.returncode == 0, remote.stderr
    assert local.returncode == 0, local.stderr
    assert _numbers(json.loads(remote.stdout)) == _numbers(json.loads(local.stdout))
    assert remote.stderr == local.stderr  # the same warnings (none expected here)


def test_per_sample_output_is_a_parquet_file_per_partition(
    client: Any, dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "per_sample"
    remote = losscli(
        "eval", "mse,hinge", str(dataset), "--engine", "dask", "--scheduler",
        client.scheduler.address, "--per-sample", str(out), "--keep", "id",
    )  # fmt: skip
    assert remote.returncode == 0, remote.stderr
    local = tmp_path / "local.parquet"
    assert (
        losscli(
            "eval", "mse,hinge", str(dataset), "--per-sample", str(local), "--keep", "id"
        ).returncode
        == 0
    )
    parts = sorted(out.iterdir())
    assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(3)]
    merged = pa.concat_tables([pq.read_table(p) for p in parts])
    whole = pq.read_table(local)
    assert merged.column_names == whole.column_names
    assert merged.equals(whole)  # Parquet footers give each file's first row: the same rows


def test_python_api_with_row_group_partitions_and_progress(client: Any, tmp_path: Path) -> None:
    """A single Parquet file is split into its row groups; row numbers stay file rows."""
    rng = np.random.default_rng(5)
    table = _table(2 * BLOCK + 777, rng)
    file = tmp_path / "one.parquet"
    pq.write_table(table, file, row_group_size=BLOCK)
    seen: list[tuple[int, int | None]] = []
    ev = evaluate_path(
        str(file),
        ReadSpec(SPEC),
        client=client,
        progress=lambda rows, total: seen.append((rows, total)),
    )
    local = evaluate(str(file), SPEC)
    assert [r.value for r in ev.results] == [r.value for r in local.results]
    assert [r.weight_sum for r in ev.results] == [r.weight_sum for r in local.results]
    assert ev.input.rows == local.input.rows
    assert len(seen) == 3 and seen[-1] == (table.num_rows, table.num_rows)


def test_unaligned_partitions_agree_within_the_stated_bound(client: Any, tmp_path: Path) -> None:
    folder = tmp_path / "uneven"
    folder.mkdir()
    rng = np.random.default_rng(9)
    for i, n in enumerate([BLOCK + 4_321, BLOCK - 999, 5_000]):
        pq.write_table(_table(n, rng), folder / f"f{i}.parquet")
    ev = evaluate_path(str(folder), ReadSpec("mse,mae,binary_crossentropy"), client=client)
    local = evaluate(str(folder), "mse,mae,binary_crossentropy")
    for a, b in zip(ev.results, local.results, strict=True):
        assert a.value == pytest.approx(b.value, rel=1e-14, abs=0)
        assert a.count == b.count


def test_worker_error_in_parquet_names_the_dataset_row_and_the_partition(
    client: Any, dataset: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(dataset, folder)
    table = pq.read_table(folder / "part-1.parquet")
    y_pred = table["y_pred"].to_numpy().copy()
    y_pred[7] = np.nan
    pq.write_table(table.set_column(2, "y_pred", pa.array(y_pred)), folder / "part-1.parquet")
    with pytest.raises(InputDataError) as caught:
        evaluate_path(str(folder), ReadSpec("mse"), client=client)
    assert (caught.value.path, caught.value.row) == (str(folder), BLOCK + 7)
    assert f"[partition 1: {folder / 'part-1.parquet'}]" in caught.value.message


def test_worker_error_exits_3_naming_the_partition(client: Any, tmp_path: Path) -> None:
    folder = tmp_path / "csvs"
    folder.mkdir()
    (folder / "a.csv").write_text("y_true,y_pred\n1,0.5\n0,0.2\n")
    # a value only the worker meets (schemas agree, so the driver cannot see it first)
    (folder / "b.csv").write_text("y_true,y_pred\n1,0.5\n0,0.2\n1,inf\n")
    proc = losscli(
        "eval", "mse", str(folder), "--engine", "dask", "--scheduler", client.scheduler.address
    )
    assert proc.returncode == 3, proc.stderr
    assert "[partition 1]" in proc.stderr and "row 4" in proc.stderr
    local = losscli("eval", "mse", str(folder))  # the same words as a local run, partition added
    assert local.returncode == 3
    assert proc.stderr.replace(" [partition 1]", "") == local.stderr
    assert "Traceback" not in proc.stderr


def test_nan_rows_warn_and_fail_as_locally(client: Any, tmp_path: Path) -> None:
    folder = tmp_path / "nan"
    folder.mkdir()
    (folder / "a.csv").write_text("y_true,y_pred\n1,0.5\n0,0.2\n")
    (folder / "b.csv").write_text("y_true,y_pred\n1,0.5\n0,nan\n1,0.9\n")
    omit = evaluate_path(str(folder), ReadSpec("mse", nan_policy="omit"), client=client)
    local = evaluate(str(folder), "mse", nan_policy="omit")
    assert [r.value for r in omit.results] == [r.value for r in local.results]
    assert [w.code for w in omit.warnings] == [w.code for w in local.warnings] == ["nan-omitted"]
    with pytest.raises(InputDataError) as caught:
        evaluate_path(str(folder), ReadSpec("mse"), client=client)
    with pytest.raises(InputDataError) as alone:
        evaluate(str(folder), "mse")
    # the local run's error (the dataset's row 3), and the partition that holds it
    assert (caught.value.path, caught.value.row) == (alone.value.path, alone.value.row)
    assert caught.value.message == f"{alone.value.message} [partition 1]"


def test_dataframe_api_equals_the_local_run(client: Any, dataset: Path) -> None:
    import dask.dataframe as dd

    from losscli.dask import evaluate as dask_evaluate

    ddf = dd.read_parquet(str(dataset))
    ev = dask_evaluate(ddf, SPEC, sample_weight="sample_weight", nan_policy="raise")
    local = evaluate(str(dataset), SPEC)
    assert ddf.npartitions == 3
    assert [r.value for r in ev.results] == [r.value for r in local.results]
    assert ev.input.rows == local.input.rows


def test_what_partitions_cannot_do_is_refused(client: Any, dataset: Path) -> None:
    for spec in ("circle", "sklearn.median_absolute_error"):
        with pytest.raises(UsageError, match=rf"{spec} looks at every row"):
            evaluate_path(str(dataset), ReadSpec(f"mse,{spec}"), client=client)
    with pytest.raises(UsageError, match="--per-sample"):
        evaluate_path(str(dataset), ReadSpec("mse"), client=client, reduction="none")
    proc = losscli("eval", "mse", str(dataset), "--engine", "dask", "--labels", str(dataset))
    assert proc.returncode == 2 and "--labels" in proc.stderr


def test_scheduler_local_starts_its_own_cluster(tmp_path: Path) -> None:
    file = tmp_path / "small.csv"
    file.write_text("y_true,y_pred\n1,0.5\n0,0.25\n")
    proc = losscli(
        "eval", "mse", str(file), "--engine", "dask", "--scheduler", "local", "-f", "json"
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["value"] == (0.25 + 0.0625) / 2


def test_a_compacted_state_is_small_and_keeps_the_bound(tmp_path: Path) -> None:
    """Every partition but the last ships its unfinished block as one float (no cluster)."""
    import pickle

    from losscli.engine import finish_states
    from losscli.partition import Partition, accumulate_partition

    rng = np.random.default_rng(1)
    files = []
    for i, n in enumerate([BLOCK + 30_000, 50_000]):
        files.append(tmp_path / f"f{i}.parquet")
        pq.write_table(_table(n, rng), files[-1])
    spec = "mse,mae"
    first = accumulate_partition(Partition(0, str(files[0])), ReadSpec(spec), compact=True)
    full = accumulate_partition(Partition(0, str(files[0])), ReadSpec(spec))
    last = accumulate_partition(Partition(1, str(files[1])), ReadSpec(spec))
    assert len(pickle.dumps(first.states)) < 2_000 < 500_000 < len(pickle.dumps(full.states))
    local = evaluate(str(tmp_path), spec)
    merged = finish_states(spec, [first.states, last.states])
    for a, b in zip(merged, local.results, strict=True):
        assert a.value == pytest.approx(b.value, rel=1e-14, abs=0)
        assert a.weight_sum == pytest.approx(b.weight_sum, rel=1e-14, abs=0)


def test_text_labels_and_notes_as_locally(client: Any) -> None:
    """Class names read from the y_pred columns: the same value and the same notes."""
    sample = str(Path(__file__).resolve().parents[1] / "sample_data/sparse.csv")
    args = [
        "eval",
        "sparse_categorical_crossentropy",
        sample,
        "--y-true",
        "label",
        "--y-pred",
        "p_*",
    ]
    remote = losscli(
        *args, "--engine", "dask", "--scheduler", client.scheduler.address, "-f", "json"
    )
    local = losscli(*args, "-f", "json")
    assert remote.returncode == local.returncode == 0, remote.stderr
    assert _numbers(json.loads(remote.stdout)) == _numbers(json.loads(local.stdout))
    assert remote.stderr == local.stderr and "class names" in local.stderr

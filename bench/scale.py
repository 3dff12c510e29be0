"""The numbers behind BENCHMARKS.md "At scale": throughput of one worker, the cost of a merge,
and a Dask run against a local run. Prints a markdown table; not part of `make bench`.

    .venv/bin/python bench/scale.py            # ~1-2 minutes on 2 cores
"""

from __future__ import annotations

import os
import pickle
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from losscli.engine import finish_states
from losscli.partition import Partition, ReadSpec, accumulate_partition

ROWS = 4_000_000
FILES = 8
SPECS = ("mse", "mse,mae,binary_crossentropy")


def _write(path: Path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n).astype(np.float64)
    pq.write_table(
        pa.table(
            {
                "y_true": y_true,
                "y_pred": np.clip(y_true * 0.6 + rng.uniform(0, 0.4, n), 0.01, 0.99),
                "sample_weight": rng.uniform(0.5, 2.0, n),
            }
        ),
        path,
    )


def _best(fn, reps: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="losscli-scale-"))
    one = folder / "one.parquet"
    _write(one, ROWS, 0)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, shared with other jobs\n")
    print("| measurement | value |\n| --- | --- |")
    for spec in SPECS:
        part = Partition(0, str(one), "parquet")
        seconds = _best(lambda spec=spec, part=part: accumulate_partition(part, ReadSpec(spec)))
        print(f"| one worker, `{spec}`, {ROWS:,} rows of Parquet | {seconds:.2f} s = "
              f"{ROWS / seconds / 1e6:.1f} M rows/s |")  # fmt: skip

    spec = SPECS[1]
    part = Partition(0, str(one), "parquet")
    state = accumulate_partition(part, ReadSpec(spec), compact=True).states
    print(
        f"| pickled (compacted) state of one partition, `{spec}` | {len(pickle.dumps(state)):,} bytes |"
    )
    for count in (100, 1_000, 10_000):
        states = [pickle.loads(pickle.dumps(state)) for _ in range(count)]
        seconds = _best(lambda states=states: finish_states(spec, states), reps=3)
        print(f"| merge + reduce of {count:,} partitions' states | {seconds * 1e3:.1f} ms |")

    import distributed

    from losscli import evaluate
    from losscli.dask import evaluate_path

    dataset = folder / "ds"
    dataset.mkdir()
    for i in range(FILES):
        _write(dataset / f"part-{i}.parquet", ROWS // FILES, i + 1)
    local = _best(lambda: evaluate(str(dataset), spec), reps=2)
    print(f"| local run, `{spec}`, {FILES} files, {ROWS:,} rows | {local:.2f} s |")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        seconds = _best(lambda: evaluate_path(str(dataset), ReadSpec(spec), client=client), 2)
        tiny = folder / "tiny.parquet"
        _write(tiny, 10, 99)
        overhead = _best(lambda: evaluate_path(str(tiny), ReadSpec(spec), client=client), 5)
    print(f"| `--engine dask`, 2 worker processes, same dataset | {seconds:.2f} s |")
    print(f"| `--engine dask` round trip for a 10-row file (scheduling, pickling) | "
          f"{overhead * 1e3:.0f} ms |")  # fmt: skip


if __name__ == "__main__":
    main()

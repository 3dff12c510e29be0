"""Start-up stays light: the commands that need no data never import numpy, pyarrow or pandas.

Checked with `python -X importtime` in a real process (which modules load, not how long it
takes: no timed assertions). The numbers are in BENCHMARKS.md.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = ("numpy", "pyarrow", "pandas", "keras", "scipy")


def _imported(*args: str) -> set[str]:
    env = {**os.environ, "KERAS_BACKEND": "numpy", "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "losscli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip())
    assert modules, "python -X importtime printed nothing"
    return modules


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["list"],
        ["list", "--format", "json"],
        ["eval", "--help"],
        ["describe", "--help"],
    ],
)
def test_no_heavy_imports(args: list[str]) -> None:
    heavy = sorted(m for m in _imported(*args) if m.split(".")[0] in HEAVY)
    assert not heavy, (
        f"losscli {' '.join(args)} imported {heavy[:5]}; if a loss module or registry.py "
        "changed, regenerate the catalogue: python scripts/make_catalogue.py"
    )


def test_the_check_sees_heavy_imports() -> None:
    """The same check on a command that must read data: it does find numpy."""
    sample = os.path.join(os.path.dirname(__file__), "..", "sample_data", "regression.csv")
    assert "numpy" in _imported("eval", "mse", sample)


def test_parquet_of_floats_never_loads_pyarrow_compute() -> None:
    """pyarrow.compute costs ~30 ms of start-up; only text cells and key joins need it
    (pyarrow itself loads it for list arrays)."""
    sample = os.path.join(
        os.path.dirname(__file__), "..", "sample_data", "regression_weighted.parquet"
    )
    modules = _imported("eval", "mse", sample, "--format", "json")
    assert "pyarrow.parquet" in modules
    assert "pyarrow.compute" not in modules

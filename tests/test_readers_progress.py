"""The progress bar: stderr only, only on a terminal, and fed by the reading path."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from losscli import cli, evaluate


def test_progress_callback_sees_every_row(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"y_true": np.zeros(1000), "y_pred": np.ones(1000)}), path)
    calls: list[tuple[int, int | None]] = []
    evaluate(
        str(path), "mse", batch_size=300, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(300, 1000), (600, 1000), (900, 1000), (1000, 1000)]
    calls.clear()
    evaluate(
        str(path),
        "mse",
        batch_size=300,
        skip=100,
        limit=500,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[-1] == (500, 500)


def test_no_progress_bar_when_stderr_is_not_a_terminal() -> None:
    with cli._progress("x.csv") as progress:
        assert progress is None


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_goes_to_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _Terminal()
    monkeypatch.setattr("sys.stderr", fake)
    monkeypatch.setattr("time.monotonic", itertools.count().__next__)
    with cli._progress("big.csv") as progress:
        assert progress is not None
        progress(10, 100)
        progress(100, 100)
    assert "big.csv" in fake.getvalue()

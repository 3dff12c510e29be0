"""The default batch size shrinks under a tight memory limit (a container's cgroup, an rlimit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from losscli import memory


@pytest.mark.parametrize(
    ("text", "want"),
    [("157286400\n", 157286400), ("max\n", None), (str(2**63 - 4096), None), ("", None)],
)
def test_read_limit(tmp_path: Path, text: str, want: int | None) -> None:
    path = tmp_path / "memory.max"
    path.write_text(text)
    assert memory._read_limit(str(path)) == want


def test_missing_limit_file_is_no_limit(tmp_path: Path) -> None:
    assert memory._read_limit(str(tmp_path / "absent")) is None


@pytest.mark.parametrize(
    ("limit", "want"),
    [(None, 1 << 18), (150 << 20, memory.SMALL_BATCH), (8 << 30, 1 << 18)],
)
def test_default_batch_size(monkeypatch: pytest.MonkeyPatch, limit: int | None, want: int) -> None:
    monkeypatch.setattr(memory, "memory_limit", lambda: limit)
    assert memory.default_batch_size(1 << 18) == want


def test_smallest_limit_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_cgroup_limits", lambda: [300 << 20, 200 << 20])
    monkeypatch.setattr(memory, "_rlimits", lambda: [1 << 30])
    assert memory.memory_limit() == 200 << 20


def test_this_process_limit_is_readable() -> None:
    """Whatever this machine says, the answer is None or a positive number of bytes."""
    limit = memory.memory_limit()
    assert limit is None or limit > 0


def test_every_reading_path_asks_for_the_memory_aware_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One file, heads and cluster partitions share `readers.batch_rows`: under a tight limit
    none of them reads the full default batch."""
    from losscli.readers import batch_rows

    monkeypatch.setattr(memory, "memory_limit", lambda: 150 << 20)
    assert batch_rows(None) == memory.SMALL_BATCH
    assert batch_rows(1000) == 1000
    monkeypatch.setattr(memory, "memory_limit", lambda: None)
    assert batch_rows(None) == 1 << 18

"""Writing an output never changes the process umask, not even for a moment: another thread
that creates a file meanwhile would get it with the wrong permissions."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from losscli.atomic import atomic_path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc gives the umask")
def test_an_atomic_write_leaves_the_umask_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = os.umask

    def recording(mask: int) -> int:
        calls.append(mask)
        return real(mask)

    old = real(0o027)
    try:
        monkeypatch.setattr(os, "umask", recording)
        with atomic_path(tmp_path / "out.txt") as tmp:
            tmp.write_text("x")
    finally:
        real(old)
    assert calls == []
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o640

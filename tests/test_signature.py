"""The input hash in a result is the hash of the file as it was read by that run, also in a
long-lived process (a notebook, a test session) where an earlier run of the same path failed
before it collected its background hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from losscli.cli import app
from losscli.signature import file_sha256, hash_in_background

runner = CliRunner()


def test_a_failed_run_does_not_leave_its_hash_to_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("y_true,y_pred\n1,2\n")
    failed = runner.invoke(app, ["eval", "mse", str(path), "--y-pred", "nope"])
    assert failed.exit_code == 3  # the hash was started, the document never built
    path.write_text("y_true,y_pred\n1,3\n")  # the same size: only the content differs
    result = runner.invoke(app, ["eval", "mse", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)["reproducibility"]["inputs"]
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_background_hash_of_a_file_rewritten_since_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"old")
    hash_in_background([path])
    path.write_bytes(b"new content")
    assert file_sha256(path) == hashlib.sha256(b"new content").hexdigest()

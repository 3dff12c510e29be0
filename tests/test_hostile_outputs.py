"""Outputs respect what is there, and the environment's failures are exit 3, never 4 (#10).

Regular files are replaced atomically; descriptors (`-`, /dev/stdout, /dev/fd/N), devices
and FIFOs are written in place; symlinks are followed; a 255-byte name works. Full disks,
read-only folders, closed or full standard streams end in one line naming what failed.
Streams and descriptors are process-level, so those tests run real subprocesses.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from losscli import atomic
from losscli.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = str(ROOT / "sample_data" / "regression.csv")


def _run(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([sys.executable, "-m", "losscli", *args], check=False, **kwargs)


def _mse_csv() -> str:
    proc = _run("eval", "mse", SAMPLE, "-f", "csv")
    assert proc.returncode == 0
    return proc.stdout.decode()


def test_descriptors_devices_and_fifos_are_written_in_place() -> None:
    for target in ("-", "/dev/stdout", "/dev/stderr", "/dev/fd/1", "/proc/self/fd/1"):
        assert atomic.descriptor_of(target) is not None, target
        assert atomic.in_place(target)
    assert atomic.in_place("/dev/null")
    assert not atomic.in_place(SAMPLE) and not atomic.in_place("/no/such/file.json")


@pytest.mark.parametrize("target", ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_output_to_a_descriptor_goes_to_that_descriptor(tmp_path: Path, target: str) -> None:
    proc = _run("eval", "mse", SAMPLE, "-f", "csv", "-o", target, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == _mse_csv()
    assert list(tmp_path.iterdir()) == []  # no file called '-', no temporary file


def test_output_to_dev_stdout_appends_where_the_shell_appends(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text("earlier line\n")
    with log.open("ab") as stdout:
        proc = _run("eval", "mse", SAMPLE, "-f", "csv", "-o", "/dev/stdout", stdout=stdout)
    assert proc.returncode == 0, proc.stderr
    assert log.read_text() == "earlier line\n" + _mse_csv()


def test_a_fifo_stays_a_fifo(tmp_path: Path) -> None:
    for option, name in (("-o", "out.csv"), ("--per-sample", "rows.csv")):
        fifo = tmp_path / name
        os.mkfifo(fifo)
        received: list[bytes] = []
        reader = threading.Thread(target=lambda f=fifo, r=received: r.append(f.read_bytes()))
        reader.start()
        proc = _run("eval", "mse", SAMPLE, "-f", "csv", option, str(fifo))
        reader.join(timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        assert received and received[0].count(b"\n") > 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "rows.csv"]


def test_symlinks_are_followed_and_stay_links(tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    to_stdout = tmp_path / "to_stdout"
    to_stdout.symlink_to("/proc/self/fd/1")
    assert _run("eval", "mse", SAMPLE, "-f", "csv", "-o", str(link)).returncode == 0
    assert link.is_symlink() and real.read_text() == _mse_csv()
    proc = _run("eval", "mse", SAMPLE, "-f", "csv", "-o", str(to_stdout))
    assert proc.returncode == 0, proc.stderr
    assert to_stdout.is_symlink() and proc.stdout.decode() == _mse_csv()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "real.csv", "to_stdout"]


def test_a_255_byte_output_name_works(tmp_path: Path) -> None:
    name = "r" * 251 + ".csv"
    for option in ("-o", "--per-sample"):
        result = runner.invoke(
            app, ["eval", "mse", SAMPLE, "-f", "csv", option, str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.stderr
        assert [p.name for p in tmp_path.iterdir()] == [name]
        (tmp_path / name).unlink()


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (errno.ENOSPC, "cannot write: no space left on device (the disk is full"),
        (errno.EROFS, "cannot write: read-only file system"),
        (errno.EACCES, "cannot write: permission denied (check the permissions"),
    ],
)
@pytest.mark.parametrize("option", ["-o", "--per-sample", "--junit"])
def test_a_full_disk_or_read_only_folder_is_exit_3_naming_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: int, option: str, message: str
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError(failure, os.strerror(failure))

    target = tmp_path / "out.csv"
    if option == "--junit":
        args = ["check", str(ROOT / "sample_data" / "check.toml"), "--junit", str(target)]
    else:
        args = ["eval", "mse", SAMPLE, "-f", "csv", option, str(target)]
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = runner.invoke(app, args)
    assert result.exit_code == 3, result.stderr
    assert f"{target}: {message}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_disk_that_fills_while_writing_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: Path, data: bytes) -> int:
        self.open("wb").write(data[:10])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", full)
    target = tmp_path / "out.json"
    result = runner.invoke(app, ["eval", "mse", SAMPLE, "-f", "json", "-o", str(target)])
    assert result.exit_code == 3, result.stderr
    assert f"{target}: cannot write: no space left on device" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_stdout_on_a_full_device_is_exit_3_naming_standard_output() -> None:
    with open("/dev/full", "wb") as full:
        proc = _run("eval", "mse", SAMPLE, stdout=full)
    assert proc.returncode == 3, proc.stderr
    stderr = proc.stderr.decode()
    assert stderr.startswith("losscli: error: standard output: no space left on device")
    assert len(stderr.splitlines()) == 1


def test_closed_standard_streams_are_exit_3_not_a_crash(tmp_path: Path) -> None:
    no_stdout = _run("eval", "mse", SAMPLE, preexec_fn=lambda: os.close(1))
    assert no_stdout.returncode == 3, no_stdout.stderr
    assert b"standard output: is closed" in no_stdout.stderr
    target = tmp_path / "out.json"
    to_file = _run(
        "eval", "mse", SAMPLE, "-f", "json", "-o", str(target), preexec_fn=lambda: os.close(1)
    )
    assert to_file.returncode == 0, to_file.stderr
    assert json.loads(target.read_text())["results"][0]["count"] == 200
    no_stdin = _run("eval", "mse", "-", "--input-format", "csv", preexec_fn=lambda: os.close(0))
    assert no_stdin.returncode == 3, no_stdin.stderr
    assert b"standard input: is closed" in no_stdin.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["eval", "--help"],
        ["--version"],
        ["list"],
        ["describe", "huber"],
        ["eval", "mse", SAMPLE, "-r", "none", "-f", "json"],
        ["check", str(ROOT / "sample_data" / "check.toml")],
    ],
    ids=["help", "eval-help", "version", "list", "describe", "eval", "check"],
)
def test_a_closed_pipe_is_141_on_every_command(args: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before losscli writes: `losscli … | head -0`
    try:
        proc = _run(*args, stdout=write)
    finally:
        os.close(write)
    assert proc.returncode == 141, proc.stderr
    assert proc.stderr == b""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_temporary_folder_while_copying_stdin_names_tmpdir(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from losscli.readers import stdin

    def onto_dev_full(**kwargs: Any) -> tuple[int, str]:
        return os.open("/dev/full", os.O_WRONLY), "/no/such/copy.csv"

    monkeypatch.setattr(stdin.tempfile, "mkstemp", onto_dev_full)
    csv = Path(SAMPLE).read_text()
    result = runner.invoke(app, ["eval", "mse", "-", "--input-format", "csv"], input=csv)
    assert result.exit_code == 3, result.stderr
    assert (
        "(the copy of the input; TMPDIR sets the folder): cannot write: no space" in result.stderr
    )

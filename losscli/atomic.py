"""Write output files so that a failed run never leaves a half file behind, and never replace
what is not a file.

- A regular file (or a new name) is written to a temporary name in its own folder (so the
  final rename stays on one filesystem and is atomic) and renamed over the target only when
  the block succeeds. A symlink is followed: the file it names is replaced, the link stays.
- `-`, `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` and `/proc/self/fd/N` are written through
  that open descriptor, in place (`-o /dev/stdout >> log` appends, as the shell asked).
- Other existing targets that are not regular files (`/dev/null`, a FIFO, a terminal) are
  opened and written in place, never replaced by a file.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from losscli.errors import UsageError, output_error
from losscli.fs import is_uri

#: names of already-open descriptors: written through the descriptor, never replaced
_FD_NAMES = {"-": 1, "/dev/stdout": 1, "/dev/stderr": 2}
_FD_PATH = re.compile(r"^/(?:dev/fd|proc/self/fd|proc/thread-self/fd)/(\d+)$")
#: a temporary name is `.NAME.XXXXXXXX.tmp`; beyond this many bytes of NAME it would not
#: fit the file system's 255-byte limit, and a short `.losscli-XXXXXXXX.tmp` is used
_LONGEST_NAME_IN_TEMP = 200


def descriptor_of(target: str | os.PathLike[str]) -> int | None:
    """The open file descriptor a target names (`-` is stdout), or None for a path."""
    text = os.fspath(target)
    if text in _FD_NAMES:
        return _FD_NAMES[text]
    found = _FD_PATH.match(text) or re.match(rf"^/proc/{os.getpid()}/fd/(\d+)$", text)
    return int(found.group(1)) if found else None


def in_place(target: str | os.PathLike[str]) -> bool:
    """Whether a target is written where it is (a descriptor, a device, a FIFO…)."""
    if descriptor_of(target) is not None:
        return True
    try:
        mode = os.stat(target).st_mode  # follows symlinks (also to /proc/self/fd/1)
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def refuse_inputs(target: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]) -> None:
    """A UsageError if `target` is one of `inputs` (the input is never modified)."""
    out = Path(target)
    for item in inputs:
        if os.fspath(item) == "-" or descriptor_of(target) is not None:
            continue  # stdin was copied before anything is written; a descriptor is no input
        src = Path(item)
        same = out.resolve() == src.resolve()
        if not same and out.exists() and src.exists():
            same = os.path.samefile(out, src)
        if same:
            raise UsageError(
                f"refusing to write {str(target)!r}: it is an input of this run",
                hint="choose another output file",
            )


def check_targets(
    targets: Iterable[str | os.PathLike[str] | None], inputs: Iterable[str | os.PathLike[str]]
) -> None:
    """Before any work: every output can be written, none is an input, none is named twice."""
    inputs = list(inputs)
    seen: dict[Any, str] = {}
    for target in targets:
        if target is None:
            continue
        refuse_inputs(target, inputs)
        out = Path(target)
        fd = descriptor_of(target)
        if fd is None:
            if out.is_dir():
                raise UsageError(
                    f"cannot write {str(target)!r}: it is a folder", hint="name a file"
                )
            if not is_uri(target):  # the store says at upload whether it can be written
                _folder_of(target)
        key = ("fd", fd) if fd is not None else out.resolve()
        if key in seen:
            raise UsageError(
                f"{seen[key]!r} and {str(target)!r} are the same file",
                hint="give each output its own file",
            )
        seen[key] = str(target)


@contextlib.contextmanager
def output_sink(
    target: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[Path | IO[bytes]]:
    """A place to write `target`: a temporary Path renamed over the (symlink-resolved)
    target on success, or, for a descriptor, device or FIFO, an open binary file written
    in place. Writers (pyarrow, open()) accept either."""
    refuse_inputs(target, inputs)
    if in_place(target):
        with _open_in_place(target) as handle:
            yield handle
        return
    with atomic_path(target) as tmp:
        yield tmp


@contextlib.contextmanager
def writing(target: str | os.PathLike[str]) -> Iterator[None]:
    """OSErrors of the block (a full disk, a read-only folder) name `target`: exit 3."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise output_error(exc, os.fspath(target)) from exc


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[Path]:
    """Yield a temporary path beside `target` (symlinks followed); rename it over the file if
    the block succeeds, delete it if the block raises (also on Ctrl-C, SIGTERM, SIGHUP).
    A URI target is uploaded in one piece when the block succeeds (losscli/fs.py)."""
    refuse_inputs(target, inputs)
    if is_uri(target):
        from losscli.fs import atomic_upload

        with atomic_upload(os.fspath(target)) as upload:
            yield upload
        return
    out = Path(os.path.realpath(target))  # a symlink's file is replaced, the link stays
    folder = _folder_of(out)
    name = out.name if len(out.name.encode()) <= _LONGEST_NAME_IN_TEMP else "losscli"
    with writing(target):
        fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    tmp = Path(temp)
    try:
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        yield tmp
        with writing(target):
            os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_text(
    target: str | os.PathLike[str], text: str, *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> None:
    """Write a whole text file: atomically for files, in place for streams and devices."""
    data = text.encode("utf-8")
    with output_sink(target, inputs=inputs) as sink, writing(target):
        if isinstance(sink, Path):
            sink.write_bytes(data)
        else:
            sink.write(data)


@contextlib.contextmanager
def _open_in_place(target: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    fd = descriptor_of(target)
    with writing(target):
        if fd is None:
            handle = open(target, "wb")  # noqa: SIM115 - closed below
        else:
            if fd == 1 and sys.stdout is not None:
                sys.stdout.flush()  # what was printed before comes first
            handle = os.fdopen(os.dup(fd), "wb")
    try:
        yield handle
        with writing(target):
            handle.flush()
    finally:
        with contextlib.suppress(OSError):
            handle.close()


def _folder_of(target: str | os.PathLike[str]) -> Path:
    out = Path(target)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {str(target)!r}: folder {str(folder)!r} does not exist")
    return folder


def _umask() -> int:
    """The process umask, read without setting it where Linux tells it (/proc): `os.umask`
    is the only other way to read it, and it sets the mask to 0 for a moment, so a file
    another thread creates then (a Dask worker, the stdin copy) would be world-writable."""
    with (
        contextlib.suppress(OSError, ValueError),
        open("/proc/self/status", encoding="ascii", errors="replace") as status,
    ):
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o077)  # elsewhere: a strict mask for the moment it is read
    os.umask(mask)
    return mask

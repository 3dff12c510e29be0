"""Write output files so that a failed run never leaves a half file behind.

Everything goes to a temporary name in the target's own folder (so the final rename stays on
one filesystem and is atomic) and is renamed over the target only when the block succeeds.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from losscli.errors import UsageError
from losscli.fs import is_uri


def refuse_inputs(target: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]) -> None:
    """A UsageError if `target` is one of `inputs` (the input is never modified)."""
    out = Path(target)
    for item in inputs:
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
    seen: dict[Path, str] = {}
    for target in targets:
        if target is None:
            continue
        refuse_inputs(target, inputs)
        out = Path(target)
        if out.is_dir():
            raise UsageError(f"cannot write {str(target)!r}: it is a folder", hint="name a file")
        folder = out.parent if str(out.parent) else Path(".")
        if not folder.is_dir() and not is_uri(target):
            raise UsageError(f"cannot write {str(target)!r}: folder {str(folder)!r} does not exist")
        key = out.resolve()
        if key in seen:
            raise UsageError(
                f"{seen[key]!r} and {str(target)!r} are the same file",
                hint="give each output its own file",
            )
        seen[key] = str(target)


@contextlib.contextmanager
def atomic_path(
    target: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it to `target` if the block succeeds,
    delete it if the block raises. A URI target is uploaded in one piece (losscli/fs.py)."""
    out = Path(target)
    refuse_inputs(out, inputs)
    if is_uri(target):
        from losscli.fs import atomic_upload

        with atomic_upload(os.fspath(target)) as tmp:
            yield tmp
        return
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {str(target)!r}: folder {str(folder)!r} does not exist")
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
    try:
        yield tmp
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_text(
    target: str | os.PathLike[str], text: str, *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> None:
    """Write a whole text file atomically."""
    with atomic_path(target, inputs=inputs) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

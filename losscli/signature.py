"""What a result needs to be reproduced: version, resolved specs, options and input hashes.

Inputs are hashed with SHA-256 over the file's bytes, streamed in 8 MiB chunks (the hash is
of the file as stored, not of the parsed values, so a re-saved file gets a new hash).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from typing import Any

from losscli._version import __version__

_CHUNK = 8 << 20  # big reads: fewer GIL hand-overs when hashing beside the evaluation


#: hashes started early (path → result holder), so hashing overlaps the evaluation
_early: dict[str, dict[str, Any]] = {}


def hash_in_background(paths: Sequence[str | os.PathLike[str]]) -> None:
    """Start hashing input files in a thread while they are evaluated.

    hashlib releases the GIL, so on two cores the hash costs no extra wall time instead of
    a second full read at the end (0.2 s for a 250 MB file). `file_sha256` picks it up.
    """
    for path in paths:
        key = os.fspath(path)
        if not os.path.isfile(key):
            continue
        seen = _early.get(key)
        if seen is not None and seen["stat"] == _identity(key):
            continue
        holder: dict[str, Any] = {"done": threading.Event(), "stat": _identity(key)}

        def work(key: str = key, holder: dict[str, Any] = holder) -> None:
            try:
                holder["sha256"] = _sha256(key)
            except OSError:
                pass  # file_sha256 hashes it again and reports the error itself
            finally:
                holder["done"].set()

        _early[key] = holder
        threading.Thread(target=work, daemon=True, name=f"sha256 {key}").start()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The file's hash: the one hashed in the background if the file has not changed since
    (a run that failed before its document never collects its hash: in a long-lived process
    the next run of the same path must not get the old content's hash), else hashed now."""
    holder = _early.pop(os.fspath(path), None)
    if holder is not None and holder["stat"] == _identity(path):
        holder["done"].wait()
        if "sha256" in holder:
            return str(holder["sha256"])
    return _sha256(path)


def _identity(path: str | os.PathLike[str]) -> tuple[int, int, int, int] | None:
    """What changes when a file is rewritten or replaced: device, inode, size, mtime."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def input_record(path: str, rows: int, fmt: str | None = None) -> dict[str, Any]:
    """path, size, row count and content hash of one input file (size and hash are None for
    stdin, a directory or a glob, which have no single file to hash)."""
    single = os.path.isfile(path)
    record: dict[str, Any] = {
        "path": path,
        "size": os.path.getsize(path) if single else None,
        "rows": rows,
        "sha256": file_sha256(path) if single else None,
    }
    if fmt is not None:
        record["format"] = fmt
    return record


def input_records(info: Any) -> list[dict[str, Any]]:
    """The records of an evaluation's inputs: the file, and the labels file when there is one
    (both decide the numbers, so both are hashed)."""
    records = [input_record(info.path, info.rows, info.format)]
    if getattr(info, "labels", None):
        records.append(input_record(info.labels, info.rows))
    return records


def reproducibility(
    losses: Sequence[Any], reduction: str, dtype: str, inputs: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The JSON block: every loss with every parameter resolved (`BoundLoss.full()`)."""
    return {
        "losscli": __version__,
        "losses": [loss.full() for loss in losses],
        "reduction": reduction,
        "dtype": dtype,
        "inputs": list(inputs),
        "signature": signature(losses, reduction, dtype, inputs),
    }


def signature(
    losses: Sequence[Any], reduction: str, dtype: str, inputs: Sequence[dict[str, Any]]
) -> str:
    """`losscli:0.1.0|loss:huber(delta=0.5)|red:sum_over_batch_size|dtype:float64|sha:ab12cd`.

    The loss part uses the canonical (non-default) form to stay short; the JSON has full().
    With several inputs their short hashes are joined with '+'.
    """
    shas = "+".join((i["sha256"] or "-")[:6] for i in inputs)
    specs = "+".join(loss.canonical() for loss in losses)
    return f"losscli:{__version__}|loss:{specs}|red:{reduction}|dtype:{dtype}|sha:{shas}"

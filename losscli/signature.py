"""What a result needs to be reproduced: version, resolved specs, options and input hashes.

Inputs are hashed with SHA-256 over the file's bytes, streamed in 8 MiB chunks (the hash is
of the file as stored, not of the parsed values, so a re-saved file gets a new hash).
Standard input is hashed while it is copied (readers/stdin.py). A directory or glob dataset
records each file's hash and a combined digest: the SHA-256 of the `sha256sum`-style list
`<hash>  <path relative to the dataset's folder>` of its files in reading order, so
`cd DIR && sha256sum FILES | sha256sum` gives it too.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from typing import Any

from losscli._version import __version__
from losscli.fs import is_uri

_CHUNK = 8 << 20  # big reads: fewer GIL hand-overs when hashing beside the evaluation


#: hashes started early (path → result holder), so hashing overlaps the evaluation
_early: dict[str, dict[str, Any]] = {}
#: hashes taken while the bytes went by (stdin, hashed while copied): shown path → (sha, size)
_streamed: dict[str, tuple[str, int]] = {}


def remember(path: str, sha256: str, size: int) -> None:
    """Record the hash of an input that cannot be read again under its name (`-`)."""
    _streamed[path] = (sha256, size)


def _dataset_files(path: str) -> list[str] | None:
    """The files of a directory or glob dataset (None for anything else)."""
    from losscli.readers import is_pattern

    if not (os.path.isdir(path) or is_pattern(path)):
        return None
    from losscli.readers.dataset import dataset_files

    return dataset_files(path)


def hash_in_background(paths: Sequence[str | os.PathLike[str]]) -> None:
    """Start hashing input files in a thread while they are evaluated.

    hashlib releases the GIL, so on two cores the hash costs no extra wall time instead of
    a second full read at the end (0.2 s for a 250 MB file). `file_sha256` picks it up.
    """
    files: list[str] = []
    for path in map(os.fspath, paths):
        files.extend(_dataset_files(path) or [path])
    for key in files:
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


def input_record(path: str, rows: int | None, fmt: str | None = None) -> dict[str, Any]:
    """path, size, row count and content hash of one input: a file, stdin (hashed while it
    was copied), or a dataset (total size, combined digest and a record per file)."""
    if is_uri(path):  # the store's ETag and version: no second download to hash it
        from losscli.fs import uri_record

        return {"path": path, "rows": rows, "sha256": None, **uri_record(path), "format": fmt}
    record: dict[str, Any] = {"path": path, "size": None, "rows": rows, "sha256": None}
    files = _dataset_files(path)
    if path in _streamed:
        record["sha256"], record["size"] = _streamed[path]
    elif os.path.isfile(path):
        record["size"], record["sha256"] = os.path.getsize(path), file_sha256(path)
    elif files:
        root = (
            path
            if os.path.isdir(path)
            else os.path.commonpath([os.path.dirname(f) or "." for f in files])
        )
        each = [{"path": f, "size": os.path.getsize(f), "sha256": file_sha256(f)} for f in files]
        manifest = "".join(f"{e['sha256']}  {os.path.relpath(e['path'], root)}\n" for e in each)
        record["size"] = sum(e["size"] for e in each)
        record["sha256"] = hashlib.sha256(manifest.encode()).hexdigest()
        record["files"] = each
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
    """The JSON block: every loss with every parameter resolved (`BoundLoss.full()`); files a
    loss reads itself (Circle's `references`) are inputs too, hashed like the others."""
    inputs = [*inputs, *reference_records(losses)]
    return {
        "losscli": __version__,
        "losses": [loss.full() for loss in losses],
        "reduction": reduction,
        "dtype": dtype,
        "inputs": inputs,
        "signature": signature(losses, reduction, dtype, inputs),
    }


def reference_records(losses: Sequence[Any]) -> list[dict[str, Any]]:
    """Records of the files named by loss parameters (`circle(references="refs.parquet")`)."""
    paths = {loss.params.get("references") for loss in losses if hasattr(loss, "params")}
    return [
        {**input_record(path, rows=None), "role": "references"}
        for path in sorted(p for p in paths if isinstance(p, str))
    ]


def signature(
    losses: Sequence[Any], reduction: str, dtype: str, inputs: Sequence[dict[str, Any]]
) -> str:
    """`losscli:0.1.0|loss:huber(delta=0.5)|red:sum_over_batch_size|dtype:float64|sha:ab12cd`.

    The loss part uses the canonical (non-default) form to stay short; the JSON has full().
    With several inputs their short hashes are joined with '+'.
    """
    shas = "+".join((i["sha256"] or i.get("etag") or "-")[:6] for i in inputs)
    specs = "+".join(loss.canonical() for loss in losses)
    return f"losscli:{__version__}|loss:{specs}|red:{reduction}|dtype:{dtype}|sha:{shas}"

"""What a result needs to be reproduced: version, resolved specs, options and input hashes.

Inputs are hashed with SHA-256 over the file's bytes, streamed in 1 MiB chunks (the hash is
of the file as stored, not of the parsed values, so a re-saved file gets a new hash).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any

from losscli._version import __version__

_CHUNK = 1 << 20


def file_sha256(path: str | os.PathLike[str]) -> str:
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

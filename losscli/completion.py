"""Shell completion (`losscli --install-completion`): loss names and column names.

Runs on every TAB, so it stays cheap: loss names come from the static catalogue (no numpy,
no loss modules), column names from the header of the file already on the command line
(a CSV/TSV first line, a JSON Lines first record, a Parquet or Arrow schema) — never the data.
Completion must never fail loudly: any problem completes nothing.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

#: the column formats read for completion; others (compressed, directories, globs) complete nothing
_TEXT = {".csv": ",", ".tsv": "\t", ".txt": ","}
_SUFFIXES = {*_TEXT, ".jsonl", ".ndjson", ".parquet", ".pq", ".arrow", ".feather", ".ipc"}


def complete_loss(incomplete: str) -> list[str]:
    """Loss names and aliases that start with the last comma-separated part."""
    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    return [prefix + name for name in loss_names() if name.startswith(last)]


def loss_names() -> list[str]:
    from losscli.static_catalogue import PATH

    try:
        losses = json.loads(PATH.read_text(encoding="utf-8"))["losses"]
    except (OSError, ValueError, KeyError):
        return []
    return sorted({n for info in losses for n in [info["name"], *info.get("aliases", [])]})


def complete_column(ctx: Any, incomplete: str) -> list[str]:
    """Column names of the first input file on the command line (comma lists too)."""
    params = ctx.params or {}
    # while completing, the arguments typed so far are still unparsed in ctx.args
    words = [*(params.get("files") or []), *getattr(ctx, "args", [])]
    files = [w for w in words if Path(w).suffix.lower() in _SUFFIXES and Path(w).is_file()]
    if not files:
        return []
    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    try:
        names = header(files[0], params.get("delimiter"))
    except Exception:  # a completion never raises into the shell
        return []
    return [prefix + name for name in names if name.startswith(last)]


def header(path: str, delimiter: str | None = None) -> list[str]:
    """The column names of a file, read from its header or schema only."""
    suffix = Path(path).suffix.lower()
    if suffix in _TEXT:
        with open(path, encoding="utf-8", newline="") as handle:
            return next(csv.reader(handle, delimiter=delimiter or _TEXT[suffix]), [])
    if suffix in (".jsonl", ".ndjson"):
        with open(path, encoding="utf-8") as handle:
            record = json.loads(handle.readline())
        return list(record) if isinstance(record, dict) else []
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if suffix in (".arrow", ".feather", ".ipc"):
        import pyarrow as pa

        try:
            with pa.ipc.open_file(path) as reader:
                return list(reader.schema.names)
        except pa.ArrowInvalid:
            with pa.ipc.open_stream(path) as stream:
                return list(stream.schema.names)
    return []

"""Circle's reference set from a second file (Keras's `ref_labels` / `ref_embeddings`).

Read through the same reading path as any input (formats, compression, text cells), so a
loss never opens files itself; read once per process and shared read-only.
"""

from __future__ import annotations

import functools

import numpy as np

from losscli.errors import InputDataError


@functools.lru_cache(maxsize=8)
def read_references(path: str, labels: str, embeddings: str) -> tuple[np.ndarray, np.ndarray]:
    """(labels (M, 1), embeddings (M, D)) of every row of `path`, in file order."""
    from losscli.columns import to_numpy
    from losscli.inputs import open_input

    source = open_input(path, y_true=labels, y_pred=embeddings, sample_weight="none")
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for first, batch in source.batches():
        t = to_numpy(batch, source.choice.y_true, path=path, first_row=first)
        p = to_numpy(batch, source.choice.y_pred, path=path, first_row=first)
        found.append((np.asarray(t, dtype=np.float64), np.asarray(p, dtype=np.float64)))
    if not found:
        raise InputDataError("has no data rows", path=path, hint="circle's references need rows")
    ref_labels = np.concatenate([t for t, _ in found])
    ref_embeddings = np.concatenate([p for _, p in found])
    ref_labels.flags.writeable = ref_embeddings.flags.writeable = False
    return ref_labels, ref_embeddings

"""How much memory this process may use, so the default batch size fits a container's limit.

A run inside a 150 MiB container (a CI runner, a Kubernetes pod) must finish without the user
guessing `--batch-size`: the default shrinks when a cgroup or rlimit says memory is tight.
"""

from __future__ import annotations

import os
import resource

#: batches this size or smaller keep a float64 loss run near 100 MiB beyond the imports
SMALL_BATCH = 1 << 16
#: below this limit the default batch size drops to SMALL_BATCH
TIGHT_LIMIT = 512 << 20


def memory_limit() -> int | None:
    """The tightest memory limit on this process in bytes (cgroup v1/v2, RLIMIT_AS/DATA),
    or None when nothing limits it below the machine's memory."""
    limits = [*_cgroup_limits(), *_rlimits()]
    return min(limits) if limits else None


def default_batch_size(normal: int) -> int:
    """`normal` rows, or SMALL_BATCH under a tight memory limit."""
    limit = memory_limit()
    return min(normal, SMALL_BATCH) if limit is not None and limit < TIGHT_LIMIT else normal


def _rlimits() -> list[int]:
    found = []
    for which in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
        soft, _ = resource.getrlimit(which)
        if soft != resource.RLIM_INFINITY:
            found.append(soft)
    return found


def _cgroup_limits() -> list[int]:
    """The memory limits of this process's cgroup and its ancestors (the effective one is the
    smallest); an unreadable or unlimited file counts as no limit."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2
            root, name = "/sys/fs/cgroup", "memory.max"
        elif "memory" in controllers.split(","):  # cgroup v1
            root, name = "/sys/fs/cgroup/memory", "memory.limit_in_bytes"
        else:
            continue
        parts = [p for p in path.split("/") if p]
        for depth in range(len(parts), -1, -1):
            value = _read_limit(os.path.join(root, *parts[:depth], name))
            if value is not None:
                found.append(value)
    return found


def _read_limit(path: str) -> int | None:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    if not text.isdigit():  # "max": no limit
        return None
    value = int(text)
    return value if value < (1 << 60) else None  # v1 writes ~2**63 for "unlimited"

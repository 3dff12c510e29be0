"""Run whole processes and measure wall time, peak RSS and CPU use (from the kernel's rusage)."""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Run:
    wall: float  # seconds
    rss_mb: float  # peak resident set size of the process, MiB
    cpu: float  # user + system seconds: cpu / wall is how many cores were busy
    stdout: str


@dataclass
class Case:
    """One command measured several times; repetitions are interleaved with other cases."""

    key: str
    group: str
    label: str
    argv: list[str]
    parse: Callable[[str], float | None] | None = None  # stdout → the loss value
    runs: list[Run] = field(default_factory=list)
    value: float | None = None  # the loss value printed, for a same-result check
    skip: str = ""  # why this case did not run (e.g. a loss not in this version)
    cap_mb: int | None = None  # run inside a memory cgroup of this size (Linux, as root)

    def stat(self, name: str) -> dict[str, float] | None:
        values = [getattr(r, name) for r in self.runs]
        if not values:
            return None
        return {
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
        }

    def summary(self) -> dict[str, object]:
        cores = [r.cpu / r.wall for r in self.runs if r.wall > 0]
        return {
            "key": self.key,
            "group": self.group,
            "label": self.label,
            "command": " ".join(self.argv),
            "reps": len(self.runs),
            "wall_s": self.stat("wall"),
            "peak_rss_mb": self.stat("rss_mb"),
            "cores_busy": statistics.median(cores) if cores else None,
            "value": self.value,
            "skipped": self.skip or None,
        }


def bench_env() -> dict[str, str]:
    """The environment every measured command gets (the same for losscli, floor and peers).

    OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set on some machines here to work around old
    OpenBLAS builds; they slow a current numpy, so benchmarks unset both together.
    """
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users run from compiled .pyc files
    env["KERAS_BACKEND"] = "numpy"
    env["COLUMNS"] = "100"
    return env


def memory_cgroup(cap_mb: int) -> str:
    """A fresh cgroup (v2 or v1 memory controller) limited to cap_mb MiB; its cgroup.procs path.

    Raises OSError where cgroups cannot be made (not root, no controller): the case is skipped.
    """
    name = f"losscli-bench-{os.getpid()}-{cap_mb}"
    limit = str(cap_mb * 2**20)
    if os.path.exists("/sys/fs/cgroup/memory/memory.limit_in_bytes"):  # cgroup v1
        folder = f"/sys/fs/cgroup/memory/{name}"
        files = ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes")
    elif "memory" in _read("/sys/fs/cgroup/cgroup.controllers"):  # cgroup v2
        folder, files = f"/sys/fs/cgroup/{name}", ("memory.max", "memory.swap.max")
    else:
        raise OSError("no memory cgroup controller")
    os.makedirs(folder, exist_ok=True)
    for file in files:
        if os.path.exists(os.path.join(folder, file)):
            with open(os.path.join(folder, file), "w") as f:
                f.write(limit if "swap." not in file else "0")
    return os.path.join(folder, "cgroup.procs")


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def run_measured(
    argv: list[str], env: dict[str, str], timeout: float = 600, cap_mb: int | None = None
) -> Run:
    """Start, wait with os.wait4 for this child's own rusage, and time the whole process."""
    procs = memory_cgroup(cap_mb) if cap_mb else None

    def enter_cgroup() -> None:
        if procs:
            with open(procs, "w") as f:
                f.write(str(os.getpid()))

    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, preexec_fn=enter_cgroup
    )
    chunks: dict[str, bytes] = {}

    def drain(name: str, stream) -> None:  # type: ignore[no-untyped-def]
        chunks[name] = stream.read()

    readers = [
        threading.Thread(target=drain, args=("out", proc.stdout)),
        threading.Thread(target=drain, args=("err", proc.stderr)),
    ]
    for t in readers:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    for t in readers:
        t.join(timeout)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = chunks.get("err", b"").decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err}")
    return Run(
        wall=wall,
        rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        cpu=usage.ru_utime + usage.ru_stime,
        stdout=chunks.get("out", b"").decode(errors="replace"),
    )


def as_dict(run: Run) -> dict[str, float]:
    d = asdict(run)
    d.pop("stdout")
    return d

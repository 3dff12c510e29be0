"""`make bench`: losscli against the floor and the peers, whole processes, in one run.

Generates its data in a temporary folder, runs every case several times with repetitions
interleaved (so drift on a shared machine hits every case alike), and writes a table of
medians, min–max and ratios as markdown and JSON (bench/results.md, bench/results.json).

    .venv/bin/python bench/run.py            # the full suite (~5-10 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # small files, 2 repetitions: a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cases import Suite, build_cases  # noqa: E402
from measure import bench_env, run_measured  # noqa: E402
from report import machine_info, render_markdown, summarise  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small files, 2 repetitions")
    parser.add_argument("--rows", type=int, default=10_000_000, help="regression rows")
    parser.add_argument("--class-rows", type=int, default=1_000_000, help="classification rows")
    parser.add_argument("--scaling", default="1000000,10000000,50000000", help="rows for RSS")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each big case")
    parser.add_argument("--peer-reps", type=int, default=3, help="repetitions of each peer")
    parser.add_argument("--startup-reps", type=int, default=15, help="repetitions of start-up")
    parser.add_argument("--only", default="", help="comma list of groups to run")
    parser.add_argument("--out", default=str(HERE / "results"), help="output path stem")
    parser.add_argument("--keep-data", default="", help="reuse/keep data in this folder")
    parser.add_argument("--peers", action="store_true", help="also pandas + sklearn and Keras")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.class_rows, args.scaling = 200_000, 50_000, "50000,200000,400000"
        args.reps, args.peer_reps, args.startup_reps = 2, 2, 3
    scaling = [int(n) for n in args.scaling.split(",") if n]

    env = bench_env()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    folder = (
        Path(args.keep_data) if args.keep_data else Path(tempfile.mkdtemp(prefix="losscli-bench-"))
    )
    folder.mkdir(parents=True, exist_ok=True)
    try:
        print(f"generating data in {folder} …", file=sys.stderr, flush=True)
        files = _generate(folder, args.rows, args.class_rows, scaling, env)
        generated = time.perf_counter() - started
        print(f"  done in {generated:.0f} s", file=sys.stderr, flush=True)
        suite = build_cases(files, scaling=scaling, env=env, peers=args.peers)
        if args.only:
            wanted = set(args.only.split(","))
            suite.cases = [c for c in suite.cases if c.group in wanted]
        _run(suite, env, reps=args.reps, peer_reps=args.peer_reps, startup_reps=args.startup_reps)
    finally:
        if not args.keep_data:
            shutil.rmtree(folder, ignore_errors=True)

    result = summarise(suite, machine=machine_info(env), rows=args.rows, class_rows=args.class_rows)
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    # other work on the machine skews every number: say how busy it was
    result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    # a child's peak RSS can never read below its launcher's (Linux carries it over at exec)
    result["launcher_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    markdown = render_markdown(result)
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown)
    _update_benchmarks(markdown)
    print(markdown)
    print(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}", file=sys.stderr)
    return 0


def _update_benchmarks(markdown: str) -> None:
    """BENCHMARKS.md keeps the latest results (and their machine) between two markers."""
    path = HERE.parent / "BENCHMARKS.md"
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    if not path.exists():
        return
    text = path.read_text(encoding="utf-8")
    if start not in text or end not in text:
        return
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{markdown}{end}{tail}", encoding="utf-8")


def _generate(
    folder: Path, rows: int, class_rows: int, scaling: list[int], env: dict[str, str]
) -> dict[str, Path]:
    """Write the inputs in a child process: numpy and pyarrow never load in the launcher."""
    argv = [sys.executable, str(HERE / "data.py"), str(folder), str(rows), str(class_rows)]
    out = subprocess.run(
        [*argv, ",".join(map(str, scaling))], env=env, check=True, capture_output=True, text=True
    ).stdout
    return {name: Path(path) for name, path in json.loads(out).items()}


def _run(
    suite: Suite, env: dict[str, str], *, reps: int, peer_reps: int, startup_reps: int
) -> None:
    """Round-robin: repetition r of every case, then repetition r + 1."""
    for case in suite.cases:  # one warm-up each: page cache and .pyc files, not measured
        _attempt(case, env, warm=True)
    most = max(reps, startup_reps)
    for r in range(most):
        for case in suite.cases:
            if case.group == "startup":
                wanted = startup_reps
            elif case.group == "memory cap":
                wanted = 1
            elif case.key.endswith((".sklearn", ".keras")):
                wanted = min(reps, peer_reps)  # the slow peers: fewer repetitions
            else:
                wanted = reps
            if case.skip or r >= wanted:
                continue
            _attempt(case, env, warm=False)
        print(f"  repetition {r + 1}/{most} done", file=sys.stderr, flush=True)


def _attempt(case, env: dict[str, str], *, warm: bool) -> None:  # type: ignore[no-untyped-def]
    if case.skip:
        return
    try:
        run = run_measured(case.argv, env, cap_mb=case.cap_mb)
    except (RuntimeError, OSError) as exc:
        case.skip = str(exc).strip().splitlines()[-1][:300]
        print(f"  skipped {case.key}: {case.skip}", file=sys.stderr)
        return
    if warm:
        case.value = case.parse(run.stdout) if case.parse else None
        return
    case.runs.append(run)


if __name__ == "__main__":
    sys.exit(main())

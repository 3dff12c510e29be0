"""What the suite measures: every command line, grouped, with how to read its answer."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from measure import Case

HERE = Path(__file__).resolve().parent
PY = sys.executable
LOSSCLI = str(Path(sys.executable).with_name("losscli"))

#: ten losses in one spec, all single-pass, on the binary file (probabilities in (0, 1))
TEN = (
    "binary_crossentropy,binary_crossentropy(label_smoothing=0.1),binary_focal_crossentropy,"
    "poisson,kl_divergence,mean_squared_error,mean_absolute_error,"
    "mean_squared_logarithmic_error,log_cosh,huber"
)


@dataclass
class Suite:
    cases: list[Case] = field(default_factory=list)

    def get(self, key: str) -> Case | None:
        return next((c for c in self.cases if c.key == key), None)


def _first_value(stdout: str) -> float | None:
    results = json.loads(stdout)["results"]
    return results[0]["value"]


def _printed(stdout: str) -> float | None:
    return float(stdout.strip().splitlines()[-1])


def _losscli(key, group, label, spec, path, *extra) -> Case:  # type: ignore[no-untyped-def]
    argv = [LOSSCLI, "eval", spec, str(path), "--format", "json", *extra]
    return Case(key, group, label, argv, parse=_first_value)


def _anchor(key, group, engine, task, path) -> Case:  # type: ignore[no-untyped-def]
    label = {
        "floor": "floor: lean pyarrow + numpy",
        "duckdb": "DuckDB (SQL, fsum)",
        "polars": "polars (lazy scan)",
    }[engine]
    argv = [PY, str(HERE / "anchors.py"), engine, task, str(path)]
    return Case(f"{key}.{engine}", group, label, argv, parse=_printed)


def _peer(key, group, peer, task, path) -> Case:  # type: ignore[no-untyped-def]
    label = {"sklearn": "pandas + sklearn.metrics", "keras": "Keras (numpy) on pyarrow arrays"}
    return Case(
        f"{key}.{peer}",
        group,
        label[peer],
        [PY, str(HERE / "peers.py"), peer, task, str(path)],
        parse=_printed,
    )


def _unavailable(specs: list[str], env: dict[str, str]) -> dict[str, str]:
    """spec → why it cannot run in this version (an unknown loss), checked in a child process."""
    probe = (
        "import json, sys\n"
        "from losscli.errors import LossCliError\n"
        "from losscli.spec import parse_specs\n"
        "out = {}\n"
        "for spec in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        parse_specs(spec)\n"
        "    except LossCliError as exc:\n"
        "        out[spec] = str(exc)\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [PY, "-c", probe, json.dumps(specs)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


#: (key, group, spec, file, losscli column options, anchor task, peer task or "")
GROUPS = (
    ("mse", "Parquet mse", "mse", "reg.parquet", ("--sample-weight", "none"), "mse", "mse"),
    ("wmse", "Parquet weighted mse", "mse", "reg.parquet", (), "wmse", "wmse"),
    ("bce", "Parquet bce", "binary_crossentropy", "bin.parquet", (), "bce", "bce"),
    ("ten", "ten-loss spec", TEN, "bin.parquet", (), "ten", ""),
    (
        "cce",
        "categorical CE, list column",
        "categorical_crossentropy",
        "cls.parquet",
        (),
        "cce",
        "cce",
    ),
    (
        "scce",
        "sparse CE, list column",
        "sparse_categorical_crossentropy",
        "cls.parquet",
        ("--y-true", "label"),
        "scce",
        "scce",
    ),
    (
        "scce_cols",
        "sparse CE, ten p_* columns",
        "sparse_categorical_crossentropy",
        "cls_cols.parquet",
        ("--y-true", "label", "--y-pred", "p*"),
        "scce_cols",
        "",
    ),
    ("csv", "CSV mse", "mse", "reg.csv", ("--sample-weight", "none"), "mse", "mse"),
)
ANCHORS = ("floor", "duckdb", "polars")
MEMORY_CAP_MB = 150


def build_cases(
    files: dict[str, Path], *, scaling: list[int], env: dict[str, str], peers: bool
) -> Suite:
    s = Suite()
    add = s.cases.append
    for key, group, spec, name, cols, task, peer_task in GROUPS:
        path = files[name]
        add(_losscli(f"{key}.json", group, "losscli --format json", spec, path, *cols))
        table = Case(
            f"{key}.table",
            group,
            "losscli, default output",
            [LOSSCLI, "eval", spec, str(path), *cols],
        )
        add(table)
        for engine in ANCHORS:
            add(_anchor(key, group, engine, task, path))
        if peers and peer_task:
            for peer in ("sklearn", "keras"):
                add(_peer(key, group, peer, peer_task, path))

    g = "startup"
    tiny = str(files["tiny.parquet"])
    add(Case("startup.eval", g, "losscli eval mse, 10-row file", [LOSSCLI, "eval", "mse", tiny]))
    add(_anchor("startup", g, "floor", "mse", tiny))
    add(_anchor("startup", g, "duckdb", "mse", tiny))
    add(Case("startup.typer", g, 'python -c "import typer"', [PY, "-c", "import typer"]))
    add(Case("startup.help", g, "losscli --help", [LOSSCLI, "--help"]))
    add(Case("startup.version", g, "losscli --version", [LOSSCLI, "--version"]))
    add(Case("startup.list", g, "losscli list", [LOSSCLI, "list"]))

    g = "memory cap"  # a container's memory limit: does a run with no options finish?
    for key, argv in (
        ("memcap.losscli", [LOSSCLI, "eval", "mse", str(files["reg.parquet"])]),
        (
            "memcap.duckdb",
            [PY, str(HERE / "anchors.py"), "duckdb", "mse", str(files["reg.parquet"])],
        ),
    ):
        label = f"{argv[0].rsplit('/', 1)[-1]} {' '.join(argv[1:3])}, {MEMORY_CAP_MB} MiB cap"
        add(Case(key, g, label, argv, cap_mb=MEMORY_CAP_MB))

    g = "scaling"
    for n in scaling:
        path = files[f"reg_{n}.parquet"]
        nw = ("--sample-weight", "none")
        add(_losscli(f"scale_{n}.losscli", g, f"losscli mse, {n:,} rows", "mse", path, *nw))
        add(_anchor(f"scale_{n}", g, "floor", "mse", path))

    evals = [c for c in s.cases if c.argv[0] == LOSSCLI and c.argv[1] == "eval"]
    missing = _unavailable(sorted({c.argv[2] for c in evals}), env)
    for case in evals:
        case.skip = missing.get(case.argv[2], "")
    return s

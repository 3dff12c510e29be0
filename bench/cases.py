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


def _floor(key, group, task, path, whole=False) -> Case:  # type: ignore[no-untyped-def]
    argv = [PY, str(HERE / "floor.py"), task, str(path), *(["--whole"] if whole else [])]
    label = "floor: pyarrow + numpy" + (", whole columns" if whole else ", 1M-row batches")
    return Case(key, group, label, argv, parse=_printed)


def _peer(key, group, peer, task, path) -> Case:  # type: ignore[no-untyped-def]
    label = {"sklearn": "pandas + sklearn.metrics", "keras": "Keras (numpy) on pyarrow arrays"}
    return Case(
        key, group, label[peer], [PY, str(HERE / "peers.py"), peer, task, str(path)], parse=_printed
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


def build_cases(
    files: dict[str, Path], *, rows: int, scaling: list[int], env: dict[str, str]
) -> Suite:
    reg, reg_csv, binary = files["reg.parquet"], files["reg.csv"], files["bin.parquet"]
    cls, cls_csv = files["cls.parquet"], files["cls.csv"]
    nw = ("--sample-weight", "none")
    s = Suite()
    add = s.cases.append

    for task, spec in (("mse", "mse"), ("wmse", "mse"), ("mae", "mae")):
        g = f"parquet {task}"
        extra = () if task == "wmse" else nw
        add(_losscli(f"{task}.losscli", g, "losscli", spec, reg, *extra))
        if task == "mse":  # the default table output also summarises the per-sample spread
            table = _losscli("mse.table", g, "losscli, default table output", spec, reg, *extra)
            table.argv = table.argv[:4] + table.argv[6:]
            table.parse = None
            add(table)
        add(_floor(f"{task}.floor", g, task, reg))
        add(_floor(f"{task}.floor_whole", g, task, reg, whole=True))
        add(_peer(f"{task}.sklearn", g, "sklearn", task, reg))
        add(_peer(f"{task}.keras", g, "keras", task, reg))

    g = "csv mse"
    add(_losscli("csv.losscli", g, "losscli", "mse", reg_csv, *nw))
    add(_floor("csv.floor", g, "mse", reg_csv))
    add(_peer("csv.sklearn", g, "sklearn", "mse", reg_csv))
    add(_peer("csv.keras", g, "keras", "mse", reg_csv))

    g = "parquet bce"
    add(_losscli("bce.losscli", g, "losscli", "binary_crossentropy", binary))
    add(_floor("bce.floor", g, "bce", binary))
    add(_peer("bce.sklearn", g, "sklearn", "bce", binary))
    add(_peer("bce.keras", g, "keras", "bce", binary))

    g = "ten losses"
    add(
        _losscli(
            "ten.one", g, "losscli, one loss (binary_crossentropy)", "binary_crossentropy", binary
        )
    )
    add(_losscli("ten.ten", g, "losscli, ten losses in one spec", TEN, binary))

    for fmt, path in (("parquet", cls), ("csv", cls_csv)):
        g = f"{fmt} cce"
        cols = ("--y-true", "t*", "--y-pred", "p*") if fmt == "csv" else ()
        add(_losscli(f"cce_{fmt}.losscli", g, "losscli", "categorical_crossentropy", path, *cols))
        add(_floor(f"cce_{fmt}.floor", g, "cce" if fmt == "parquet" else "cce_csv", path))
        add(_peer(f"cce_{fmt}.sklearn", g, "sklearn", "cce", path))
        add(_peer(f"cce_{fmt}.keras", g, "keras", "cce", path))
        g = f"{fmt} sparse cce"
        cols = ("--y-true", "label", "--y-pred", "p*" if fmt == "csv" else "y_pred")
        add(
            _losscli(
                f"scce_{fmt}.losscli", g, "losscli", "sparse_categorical_crossentropy", path, *cols
            )
        )
        add(_floor(f"scce_{fmt}.floor", g, "scce" if fmt == "parquet" else "scce_csv", path))
        add(_peer(f"scce_{fmt}.sklearn", g, "sklearn", "scce", path))
        add(_peer(f"scce_{fmt}.keras", g, "keras", "scce", path))

    g = "startup"
    add(Case("startup.typer", g, 'python -c "import typer"', [PY, "-c", "import typer"]))
    add(Case("startup.help", g, "losscli --help", [LOSSCLI, "--help"]))
    add(Case("startup.version", g, "losscli --version", [LOSSCLI, "--version"]))
    add(Case("startup.list", g, "losscli list", [LOSSCLI, "list"]))

    g = "scaling"
    for n in scaling:
        path = files[f"reg_{n}.parquet"]
        add(_losscli(f"scale_{n}.losscli", g, f"losscli mse, {n:,} rows", "mse", path, *nw))
        add(_floor(f"scale_{n}.floor", g, "mse", path))

    evals = [c for c in s.cases if c.argv[0] == LOSSCLI and c.argv[1] == "eval"]
    missing = _unavailable(sorted({c.argv[2] for c in evals}), env)
    for case in evals:
        case.skip = missing.get(case.argv[2], "")
    return s

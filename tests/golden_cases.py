"""What people see, pinned: every command and format at 80 and 120 columns and piped.

`make golden` (python tests/golden_cases.py) writes tests/golden/<variant>/<case>.txt;
tests/test_golden.py compares and checks every file (widths, markup, cut names). Each case
runs in-process (CliRunner: stdout is not a terminal) in a scratch copy of sample_data/,
with the environment pinned and what changes between machines and releases normalised:
the version, file hashes and sizes.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
#: variant name → COLUMNS (None: piped without COLUMNS, which is 80 as well)
VARIANTS = {"80": "80", "120": "120", "piped": None}

#: configs written beside the sample data for the failing and erroring checks
CONFIGS = {
    "check_fail.toml": """
[[check]]
name = "regression mse"
file = "regression.csv"
loss = "mse"
fail_above = 0.4

[[check]]
name = "regression mae"
file = "regression.csv"
loss = "mae"
fail_above = 1.0
""",
    "check_error.toml": """
[[check]]
name = "regression mse"
file = "regression.csv"
loss = "mse"
fail_above = 0.6

[[check]]
name = "a column that is not there"
file = "regression.csv"
loss = "mse"
y_pred = "prediction"
fail_above = 0.6
""",
}

E = "sample_data/epochs/"
M = "sample_data/models/"
#: case name → arguments (after `losscli`); a trailing ("file", PATH) prints an output file
CASES: dict[str, list[str]] = {
    "eval_one": ["eval", "mse", "sample_data/regression.csv"],
    "eval_several_weighted": [
        "eval",
        "huber(delta=0.5),mae,mse",
        "sample_data/regression_weighted.parquet",
    ],
    "eval_quiet": ["eval", "mse,mae", "sample_data/regression.csv", "-q"],
    "eval_json": ["eval", "huber(delta=0.5),mae", "sample_data/regression.csv", "-f", "json"],
    "eval_csv": ["eval", "mse,mae", "sample_data/regression.csv", "-f", "csv"],
    "eval_markdown": ["eval", "mse,mae", "sample_data/regression.csv", "-f", "markdown"],
    "eval_github_failed": [
        "eval",
        "mse,mae",
        "sample_data/regression.csv",
        "-f",
        "github",
        "--fail-above",
        "mse=0.4",
    ],
    "eval_gate_failed": ["eval", "mse", "sample_data/regression.csv", "--fail-above", "0.4"],
    "eval_output_json": ["eval", "mse", "sample_data/regression.csv", "-o", "out/r.json"],
    "eval_group_by": ["eval", "bce", "sample_data/binary.csv", "--group-by", "split"],
    "eval_top": ["eval", "mae", "sample_data/regression.csv", "--top", "3", "--keep", "id"],
    "eval_distribution": [
        "eval",
        "mse,mean_squared_logarithmic_error",
        "sample_data/regression.csv",
        "--dist",
    ],
    "eval_reduction_none": ["eval", "mse", "sample_data/regression.csv", "--reduction", "none"],
    "eval_many_files": ["eval", "mse,mae", *(f"{E}epoch_0{i}.parquet" for i in range(1, 5))],
    "eval_heads": [
        "eval",
        "mse",
        "sample_data/regression_weighted.parquet",
        "--head",
        "name=out1,loss=mse,weight=0.5",
        "--head",
        "name=out2,loss=mae",
    ],
    "eval_sequences": [
        "eval",
        "sparse_categorical_crossentropy(ignore_class=-1)",
        "sample_data/sequences.parquet",
        "--y-true",
        "tokens",
        "--y-pred",
        "probs",
    ],
    "eval_class_names": [
        "eval",
        "sparse_categorical_crossentropy",
        "sample_data/sparse.csv",
        "--y-true",
        "label",
        "--y-pred",
        "p_*",
    ],
    "eval_warning": ["eval", "bce", "sample_data/logits.parquet"],
    "eval_plot": ["eval", "mse", *(f"{E}epoch_0{i}.parquet" for i in range(1, 5)), "--plot=-"],
    "compare_plot": ["compare", "mae", f"{M}baseline.csv", f"{M}candidate.csv", "--plot=-"],
    "eval_ci": ["eval", "mse,mae", "sample_data/regression.csv", "--ci", "0.95"],
    "compare": ["compare", "mse,mae", f"{M}baseline.csv", f"{M}candidate.csv"],
    "compare_json": ["compare", "mse", f"{M}baseline.csv", f"{M}candidate.csv", "-f", "json"],
    "compare_gate_failed": [
        "compare",
        "mse",
        f"{M}candidate.csv",
        f"{M}baseline.csv",
        "--fail-if-worse",
        "--margin",
        "1%",
    ],
    "check_pass": ["check", "sample_data/check.toml"],
    "check_baseline": ["check", "sample_data/check_baseline.toml"],
    "check_fail": ["check", "sample_data/check_fail.toml"],
    "check_error": ["check", "sample_data/check_error.toml"],
    "check_json": ["check", "sample_data/check_fail.toml", "-f", "json"],
    "check_github": ["check", "sample_data/check_fail.toml", "-f", "github"],
    "check_junit": ["check", "sample_data/check_fail.toml", "--junit", "out/junit.xml"],
    "list": ["list"],
    "list_category": ["list", "--category", "probabilistic"],
    "list_long": ["list", "--long", "--category", "regression"],
    "describe": ["describe", "huber"],
    "error_unknown_loss": ["eval", "msee", "sample_data/regression.csv"],
    "error_missing_column": ["eval", "mse", "sample_data/regression.csv", "--y-pred", "pred"],
    "error_missing_file": ["eval", "mse", "sample_data/nothing.csv"],
    "error_format_conflict": [
        "eval",
        "mse",
        "sample_data/regression.csv",
        "-o",
        "r.json",
        "-f",
        "csv",
    ],
}
#: files a case writes, shown after its streams
WRITES = {"eval_output_json": "out/r.json", "check_junit": "out/junit.xml"}
#: cases whose stdout is laid out for a terminal (the width and cut checks apply)
SCREENS = {
    name
    for name, args in CASES.items()
    if not {"-f", "-q", "-o"} & set(args) and not name.startswith("error")
}


@contextmanager
def scratch(base: Path) -> Iterator[Path]:
    """A copy of sample_data/ (and the check configs) to run in: outputs land there."""
    work = base / "golden-work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(ROOT / "sample_data", work / "sample_data")
    for name, text in CONFIGS.items():
        (work / "sample_data" / name).write_text(text.lstrip(), encoding="utf-8")
    (work / "out").mkdir()
    old = Path.cwd()
    os.chdir(work)
    try:
        yield work
    finally:
        os.chdir(old)


def environment(variant: str) -> dict[str, str | None]:
    """Pinned: the width, no colour requested or refused, no CI summary file."""
    return {
        "COLUMNS": VARIANTS[variant],
        "LINES": None,
        "NO_COLOR": None,
        "FORCE_COLOR": None,
        "TERM": "dumb",
        "GITHUB_STEP_SUMMARY": None,
        "KERAS_BACKEND": "numpy",
    }


def run(name: str, variant: str, work: Path) -> str:
    """One case as its golden text: the command, exit code, stdout, stderr, written file."""
    from typer.testing import CliRunner

    from losscli.cli import app

    args = CASES[name]
    written = work / WRITES[name] if name in WRITES else None
    if written is not None and written.exists():
        written.unlink()
    result = CliRunner().invoke(app, args, env=environment(variant))
    parts = [
        "$ losscli " + " ".join(_quote(a) for a in args),
        f"# exit {result.exit_code}",
        "--- stdout",
        result.stdout.rstrip("\n"),
        "--- stderr",
        result.stderr.rstrip("\n"),
    ]
    if written is not None:
        parts += [f"--- file {WRITES[name]}", written.read_text(encoding="utf-8").rstrip("\n")]
    return normalise("\n".join(parts) + "\n")


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[\w./=,#:-]+", arg) else f"'{arg}'"


def normalise(text: str) -> str:
    """Version, hashes and file sizes change between releases and machines, not the layout."""
    from losscli._version import __version__

    text = text.replace(f"losscli:{__version__}", "losscli:<version>")
    text = text.replace(f'"losscli": "{__version__}"', '"losscli": "<version>"')
    text = re.sub(r"\b[0-9a-f]{64}\b", "<sha256>", text)
    text = re.sub(r"(sha256:|sha:)[0-9a-f+]{6,}", r"\1<sha>", text)
    return re.sub(r'"size": \d+', '"size": "<size>"', text)


def path(name: str, variant: str) -> Path:
    return GOLDEN / variant / f"{name}.txt"


def write_all(base: Path) -> int:
    with scratch(base) as work:
        for variant in VARIANTS:
            (GOLDEN / variant).mkdir(parents=True, exist_ok=True)
            for name in CASES:
                path(name, variant).write_text(run(name, variant, work), encoding="utf-8")
    print(f"wrote {len(CASES) * len(VARIANTS)} golden files under {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        sys.exit(write_all(Path(tmp)))

"""Behaviours a review found missing: user data never read as markup, key columns keep their
type, overflowing sums, non-finite bounds, output targets checked first, broken pipes, and
`--reduction none` only where a per-sample value fits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from losscli.cli import app

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"


def _file(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_group_keys_that_look_like_markup_are_shown_verbatim(tmp_path: Path) -> None:
    path = _file(tmp_path, 'y_true,y_pred,tags\n1,2,"[cat, dog]"\n1,3,[bird]\n2,2,[/]\n')
    result = runner.invoke(app, ["eval", "mse", path, "--group-by", "tags"])
    assert result.exit_code == 0, result.stderr
    for key in ("[cat, dog]", "[bird]", "[/]"):
        assert key in result.stdout


def test_large_integer_keys_stay_distinct_groups(tmp_path: Path) -> None:
    path = _file(tmp_path, "uid,y_true,y_pred\n9007199254740992,0,1\n9007199254740993,0,3\n")
    result = runner.invoke(app, ["eval", "mse", path, "--group-by", "uid", "--format", "csv"])
    assert "9007199254740992," in result.stdout and "9007199254740993," in result.stdout


def test_a_loss_sum_past_float64_is_inf_with_a_warning(tmp_path: Path) -> None:
    path = _file(tmp_path, "y_true,y_pred\n0,1.2e154\n0,1.2e154\n")
    result = runner.invoke(app, ["eval", "mse", path, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["value"] is None
    assert "is inf" in result.stderr


def test_infinite_bounds_are_usage_errors_and_inf_values_leave_the_gate_undecided(
    tmp_path: Path,
) -> None:
    sample = str(SAMPLES / "regression.csv")
    assert runner.invoke(app, ["eval", "mse", sample, "--fail-above", "inf"]).exit_code == 2
    path = _file(tmp_path, "y_true,y_pred\n0,1e20\n0,1\n")
    args = ["eval", "mse", path, "--dtype", "float32", "--format", "json", "--fail-above", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 3  # an infinite value can be judged by no bound: no pass
    assert "the gate cannot be decided: mean_squared_error is inf" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "extra",
    [
        ["-o", "{tmp}"],
        ["-o", "{tmp}/missing/out.json"],
        ["-o", "{tmp}/a.csv", "--per-sample", "{tmp}/../{name}/a.csv"],
    ],
)
def test_output_targets_are_checked_before_reading(extra: list[str], tmp_path: Path) -> None:
    args = [a.format(tmp=tmp_path, name=tmp_path.name) for a in extra]
    result = runner.invoke(app, ["eval", "mse", str(SAMPLES / "regression.csv"), *args])
    assert result.exit_code == 2
    assert result.stdout == ""


def test_check_refuses_the_same_file_for_output_and_junit(tmp_path: Path) -> None:
    target = str(tmp_path / "r.xml")
    args = ["check", str(SAMPLES / "check.toml"), "-o", target, "--junit", target]
    assert runner.invoke(app, args).exit_code == 2


def test_a_closed_stdout_is_a_quiet_exit_141() -> None:
    """`head -0` exits at once, long before losscli has a result to write."""
    command = (
        f"{sys.executable} -m losscli eval mse {SAMPLES / 'regression.csv'} --format csv"
        " | head -0; echo ${PIPESTATUS[0]}"
    )
    proc = subprocess.run(
        command, shell=True, capture_output=True, text=True, check=False, executable="/bin/bash"
    )
    assert proc.stdout.strip() == "141"
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


def test_reduction_none_fits_only_json_and_per_sample_files() -> None:
    sample = str(SAMPLES / "regression.csv")
    for fmt in ("csv", "markdown"):
        result = runner.invoke(app, ["eval", "mse", sample, "-r", "none", "--format", fmt])
        assert result.exit_code == 2
    data = json.loads(
        runner.invoke(app, ["eval", "mse", sample, "-r", "none", "-f", "json"]).stdout
    )
    assert data["results"][0]["value"] is None and len(data["results"][0]["values"]) == 200


def test_top_is_refused_where_rows_cannot_be_shown() -> None:
    args = ["eval", "bce", str(SAMPLES / "binary.csv"), "--top", "3", "--format", "csv"]
    assert runner.invoke(app, args).exit_code == 2


def test_a_bad_head_is_quoted_as_typed() -> None:
    args = ["eval", "mse", str(SAMPLES / "regression.csv"), "--head", "name=a,weight=x"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "'name=a,weight=x'" in result.stderr and "loss=_" not in result.stderr


def test_a_labels_file_is_part_of_the_reproducibility_record() -> None:
    args = ["eval", "mse", str(SAMPLES / "predictions.csv"), "--labels"]
    args += [str(SAMPLES / "labels.csv"), "--on", "id", "--format", "json"]
    repro = json.loads(runner.invoke(app, args).stdout)["reproducibility"]
    assert [Path(i["path"]).name for i in repro["inputs"]] == ["predictions.csv", "labels.csv"]
    assert all(i["sha256"] for i in repro["inputs"])
    assert repro["signature"].count("+") == 1  # both short hashes


@pytest.mark.parametrize("option", [["--skip", "10"], ["--limit", "5"], ["--delimiter", ";"]])
def test_head_refuses_input_options_it_would_ignore(option: list[str]) -> None:
    args = ["eval", "mse", str(SAMPLES / "regression.csv"), "--head", "name=o", *option]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert option[0] in result.stderr


def test_a_labels_file_is_never_overwritten(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_bytes((SAMPLES / "labels.csv").read_bytes())
    args = ["eval", "mse", str(SAMPLES / "predictions.csv"), "--labels", str(labels)]
    result = runner.invoke(app, [*args, "--on", "id", "-o", str(labels)])
    assert result.exit_code == 2
    assert labels.read_bytes() == (SAMPLES / "labels.csv").read_bytes()

"""The renderers and the output options around them: layout that never cuts names, one
number format per column, -q, -o's format from the extension, --format github, JUnit
pointing at the config, notes about what was inferred."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from losscli.cli import app
from losscli.report.layout import Column, plain, table, wrap
from losscli.report.numbers import format_column

ROOT = Path(__file__).resolve().parent.parent
REGRESSION = str(ROOT / "sample_data" / "regression.csv")
CHECK = str(ROOT / "sample_data" / "check.toml")
runner = CliRunner()

words = st.text(alphabet="abcdefghij_.0123456789", min_size=1, max_size=14)


@given(st.lists(words, min_size=1, max_size=12), st.integers(min_value=1, max_value=40))
def test_wrap_never_breaks_a_word(parts: list[str], width: int) -> None:
    lines = wrap(" ".join(parts), width)
    assert " ".join(lines).split() == parts
    assert all(len(line) <= width or " " not in line for line in lines)


@given(
    st.lists(st.tuples(words, st.lists(words, min_size=1, max_size=4), words), min_size=1),
    st.integers(min_value=30, max_value=120),
)
def test_tables_keep_names_whole_and_fit_when_they_can(rows: list, width: int) -> None:
    columns = [Column("name"), Column("prose", kind="wrap"), Column("value", "right")]
    cells = [[name, " ".join(prose), value] for name, prose, value in rows]
    text = plain(table(columns, cells, width))
    for name, _, value in rows:
        assert name in text and value in text  # never cut
    longest = max(len(n) for n, _, _ in rows) + max(len(v) for _, _, v in rows) + 4
    if longest + 16 <= width:  # room for the prose column's longest word
        assert all(len(line) <= width for line in text.splitlines())


def test_a_table_too_wide_stacks_its_first_column() -> None:
    columns = [Column("loss"), Column("value", "right"), Column("count", "right")]
    name = "sparse_categorical_crossentropy(ignore_class=-1)"
    text = plain(table(columns, [[name, "0.7332841962", "240"]], 40))
    assert name in text.splitlines()
    assert all(len(line) <= 40 for line in text.splitlines() if line != name)


def test_one_number_format_per_column() -> None:
    assert format_column([0.4727096506, 0.5677475]) == ["0.4727096506", "0.5677475000"]
    assert format_column([217.373, 1.5]) == ["217.3730000", "1.5000000"]
    assert format_column([3e-6, 2e-5]) == ["3.000000e-06", "2.000000e-05"]
    assert format_column([None, float("nan")]) == ["—", "nan"]


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    full = {**os.environ, "KERAS_BACKEND": "numpy", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
    )


def test_quiet_prints_a_bare_number_for_the_shell() -> None:
    expected = json.loads(runner.invoke(app, ["eval", "mse", REGRESSION, "-f", "json"]).stdout)
    done = subprocess.run(
        ["bash", "-c", f'v=$("{sys.executable}" -m losscli eval mse {REGRESSION} -q); echo "[$v]"'],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": "numpy"},
    )
    assert done.stdout == f"[{expected['results'][0]['value']!r}]\n", done.stderr
    assert done.stderr == ""


def test_quiet_prints_one_value_per_line_and_silences_notes() -> None:
    weighted = str(ROOT / "sample_data" / "regression_weighted.parquet")
    loud = runner.invoke(app, ["eval", "mse", weighted])
    assert "note: weighting by the 'sample_weight' column" in loud.stderr
    quiet = runner.invoke(app, ["eval", "mse,mae", weighted, "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert [float(v) for v in quiet.stdout.split()] == pytest.approx([0.5433831, 0.6293372])
    none = runner.invoke(app, ["eval", "mse", weighted, "--sample-weight", "none"])
    assert "note:" not in none.stderr


def test_quiet_and_a_format_for_stdout_conflict() -> None:
    out = runner.invoke(app, ["eval", "mse", REGRESSION, "-q", "-f", "json"])
    assert out.exit_code == 2


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("r.json", lambda t: json.loads(t)["results"][0]["loss"] == "mean_squared_error"),
        ("r.csv", lambda t: t.startswith("loss,spec,reduction,value")),
        ("r.md", lambda t: t.startswith("**")),
        ("r.txt", lambda t: "mean_squared_error" in t and "─" in t),
    ],
)
def test_output_format_from_the_extension(tmp_path: Path, name: str, check) -> None:
    target = tmp_path / name
    out = runner.invoke(app, ["eval", "mse", REGRESSION, "-o", str(target)])
    assert out.exit_code == 0, out.stderr
    assert out.stdout == ""
    assert check(target.read_text(encoding="utf-8"))


def test_a_format_contradicting_the_extension_exits_2(tmp_path: Path) -> None:
    out = runner.invoke(
        app, ["eval", "mse", REGRESSION, "-o", str(tmp_path / "r.json"), "-f", "csv"]
    )
    assert out.exit_code == 2 and "json" in out.stderr
    assert not (tmp_path / "r.json").exists()
    same = runner.invoke(
        app, ["eval", "mse", REGRESSION, "-o", str(tmp_path / "r.json"), "-f", "json"]
    )
    assert same.exit_code == 0
    xml = runner.invoke(app, ["eval", "mse", REGRESSION, "-o", str(tmp_path / "r.xml")])
    assert xml.exit_code == 2 and "check" in xml.stderr


def test_dash_output_is_stdout() -> None:
    out = runner.invoke(app, ["eval", "mse", REGRESSION, "-o", "-", "-f", "json"])
    assert out.exit_code == 0
    assert json.loads(out.stdout)["results"][0]["spec"] == "mean_squared_error"


def test_github_annotations_and_job_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    args = ["eval", "mse,mae", REGRESSION, "-f", "github", "--fail-above", "mse=0.4"]
    out = runner.invoke(app, args, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert out.exit_code == 1
    errors = [line for line in out.stdout.splitlines() if line.startswith("::error")]
    assert errors == [
        "::error title=losscli%3A check failed::mean_squared_error = 0.4727096506 > 0.4 "
        "(--fail-above)"
    ]
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "| mean_squared_error |" in text
    assert "check failed: mean_squared_error" in text


def test_github_warning_annotations() -> None:
    logits = str(ROOT / "sample_data" / "logits.parquet")
    out = runner.invoke(app, ["eval", "bce", logits, "-f", "github"])
    assert any(line.startswith("::warning title=losscli") for line in out.stdout.splitlines())


def test_check_annotations_point_at_the_config_line(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("y_true,y_pred\n0,1\n1,1\n")
    (tmp_path / "gates.toml").write_text(
        '[[check]]\nname = "ok"\nfile = "data.csv"\nloss = "mse"\nfail_above = 1\n\n'
        '[[check]]\nname = "tight"\nfile = "data.csv"\nloss = "mse"\nfail_above = 0.1\n'
    )
    done = _run("check", "gates.toml", "-f", "github", "--junit", "junit.xml", cwd=tmp_path)
    assert done.returncode == 1
    (error,) = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert error.startswith("::error title=losscli check failed%3A tight,file=gates.toml,line=7::")
    junit = (tmp_path / "junit.xml").read_text()
    assert 'file="gates.toml" line="7"' in junit and 'file="gates.toml" line="1"' in junit
    assert "data.csv" in junit  # the data file is named in the details, not as file=


def test_check_status_is_plain_when_piped_and_xml_output_is_junit(tmp_path: Path) -> None:
    out = runner.invoke(app, ["check", CHECK, "-o", str(tmp_path / "report.xml")])
    assert out.exit_code == 0, out.stderr
    assert (tmp_path / "report.xml").read_text().startswith("<?xml")
    table = runner.invoke(app, ["check", CHECK])
    assert "PASS" in table.stdout and "[green]" not in table.stdout and "\x1b" not in table.stdout


def test_list_long_and_one_line_per_loss() -> None:
    short = runner.invoke(app, ["list"], env={"COLUMNS": "80"})
    lines = short.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    names = {
        i["name"] for i in json.loads(runner.invoke(app, ["list", "-f", "json"]).stdout)["losses"]
    }
    rows = [line for line in lines if line.split(" ")[0] in names]
    assert len(rows) == len(names)  # one line per loss
    long = runner.invoke(app, ["list", "--long", "--category", "regression"], env={"COLUMNS": "80"})
    assert "parameters: delta=1.0" in long.stdout and "formula:" in long.stdout


def test_list_groups_by_source_when_there_are_several() -> None:
    from losscli.report.listing import list_lines

    infos = [
        {
            "name": "mean_squared_error",
            "category": "regression",
            "aliases": ["mse"],
            "summary": "s",
            "source": "keras",
        },
        {
            "name": "torch.mse_loss",
            "category": "regression",
            "aliases": [],
            "summary": "t",
            "source": "torch",
        },
    ]
    text = plain(list_lines(infos, 80))
    assert "keras (1)" in text and "torch (1)" in text
    assert "torch.mse_loss" in text and all(len(line) <= 80 for line in text.splitlines())


def test_format_inferred_from_a_folder_is_announced() -> None:
    out = runner.invoke(app, ["eval", "mse", str(ROOT / "sample_data" / "epochs")])
    assert out.exit_code == 0, out.stderr
    assert "note: read" in out.stderr and "as parquet" in out.stderr


def test_inferred_class_names_are_announced_only_when_used() -> None:
    sparse = str(ROOT / "sample_data" / "sparse.csv")
    args = ["eval", "sparse_categorical_crossentropy", sparse, "--y-pred", "p_*"]
    named = runner.invoke(app, [*args, "--y-true", "label"])
    assert named.exit_code == 0, named.stderr
    assert "note: class names from the y_pred columns: 0=cat, 1=dog, 2=bird" in named.stderr
    assert "class names" not in runner.invoke(app, args).stderr  # integer labels: no mapping
    given = runner.invoke(app, [*args, "--y-true", "label", "--classes", "cat,dog,bird"])
    assert "class names" not in given.stderr
    assert runner.invoke(app, [*args, "--y-true", "label", "-q"]).stderr == ""


@pytest.mark.parametrize(
    ("text", "width", "want"),
    [
        ("replicates, seed 0", 17, ["replicates,", "seed 0"]),
        ("first at row 12 of the file", 14, ["first at", "row 12 of the", "file"]),
        ("a value -0.25 here", 12, ["a", "value -0.25", "here"]),
        ("words only here", 10, ["words only", "here"]),
        ("or zero, +1 opposite", 12, ["or zero, +1", "opposite"]),
        ("seed 0 · 95% percentile", 10, ["seed 0 ·", "95%", "percentile"]),
    ],
)
def test_wrap_keeps_a_number_with_its_label(text: str, width: int, want: list[str]) -> None:
    from losscli.report.layout import wrap

    assert wrap(text, width) == want

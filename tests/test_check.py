"""`losscli check`: exit codes, one read per file, line-numbered config errors, JUnit XML."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from losscli import check as check_module
from losscli.check import load_config, run_checks
from losscli.cli import app
from losscli.errors import UsageError

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    for name in ("regression.csv", "binary.csv", "regression_weighted.parquet"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path


def _config(folder: Path, text: str) -> Path:
    path = folder / "checks.toml"
    path.write_text(text)
    return path


PASSING = """
[[check]]
name = "mse"
file = "regression.csv"
loss = "mse"
fail_above = 10

[[check]]
name = "mae"
file = "regression.csv"
loss = "mae"
fail_below = 0.0
"""

FAILING = (
    PASSING
    + """
[[check]]
name = "too strict"
file = "binary.csv"
loss = "bce"
fail_above = 0.01
"""
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KERAS_BACKEND": "numpy"}
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args], capture_output=True, text=True, env=env
    )


def test_exit_codes_through_a_real_process(workdir: Path) -> None:
    assert _run("check", str(_config(workdir, PASSING))).returncode == 0
    failed = _run("check", str(_config(workdir, FAILING)))
    assert failed.returncode == 1 and "too strict" in failed.stderr and "FAIL" in failed.stdout
    usage = _run("check", str(_config(workdir, PASSING.replace("fail_above", "fial_above"))))
    assert usage.returncode == 2 and "line 6" in usage.stderr and "fial_above" in usage.stderr
    data = _run(
        "check",
        str(_config(workdir, PASSING.replace('loss = "mae"', 'loss = "mae"\ny_pred = "nope"'))),
    )
    assert data.returncode == 3 and "nope" in data.stderr


def test_sample_config_passes() -> None:
    out = runner.invoke(app, ["check", str(SAMPLES / "check.toml"), "-f", "json"])
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["passed"] and data["counts"]["fail"] == 0
    heads = next(c for c in data["checks"] if c["heads"])
    assert len(heads["heads"]) == 2


def test_config_errors_name_the_line(workdir: Path) -> None:
    path = _config(workdir, PASSING.replace('loss = "mse"', 'loss = "msee"'))
    with pytest.raises(UsageError, match=r"line 5.*msee"):
        load_config(str(path))
    path = _config(workdir, PASSING.replace('name = "mse"', 'name = "mse'))
    with pytest.raises(UsageError, match="line 3"):
        load_config(str(path))
    path = _config(
        workdir, PASSING.replace('file = "regression.csv"\nloss = "mae"', 'file = "regression.csv"')
    )
    with pytest.raises(UsageError, match=r"line 8.*loss"):
        load_config(str(path))
    path = _config(workdir, PASSING.replace('name = "mae"', 'name = "mse"'))
    with pytest.raises(UsageError, match="named 'mse'"):
        load_config(str(path))


def test_each_file_is_read_once(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = check_module.evaluate_heads

    def counting(path: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(Path(path).name)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(check_module, "evaluate_heads", counting)
    results = run_checks(load_config(str(_config(workdir, FAILING))))
    assert sorted(calls) == ["binary.csv", "regression.csv"]
    assert [r.status for r in results] == ["pass", "pass", "fail"]


def test_junit_xml(workdir: Path) -> None:
    config = _config(
        workdir,
        FAILING
        + '\n[[check]]\nname = "broken"\nfile = "binary.csv"\nloss = "mse"\ny_true = "nope"\n'
        "report_only = true\n",
    )
    junit = workdir / "junit.xml"
    out = runner.invoke(app, ["check", str(config), "--junit", str(junit)])
    assert out.exit_code == 3
    root = ET.parse(junit).getroot()
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["mse", "mae", "too strict", "broken"]
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    errored = [c.get("name") for c in cases if c.find("error") is not None]
    assert failed == ["too strict"] and errored == ["broken"]
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "1")


def test_formats_and_output(workdir: Path) -> None:
    config = _config(workdir, PASSING)
    out = runner.invoke(app, ["check", str(config), "-f", "csv"])
    assert out.stdout.splitlines()[0].startswith("check,file,loss,reduction,value")
    target = workdir / "report.md"
    out = runner.invoke(app, ["check", str(config), "-f", "markdown", "-o", str(target)])
    assert out.exit_code == 0 and "| check |" in target.read_text()
    out = runner.invoke(app, ["check", str(config), "-o", str(config)])
    assert out.exit_code == 2

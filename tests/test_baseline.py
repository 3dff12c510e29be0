"""Baselines in `losscli check`: `baseline = FILE` and `max_regression` (absolute or %)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from losscli import evaluate
from losscli.check import load_config, run_checks

MODELS = Path("sample_data/models").resolve()
BASE, CAND = MODELS / "baseline.csv", MODELS / "candidate.csv"


def losscli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args], capture_output=True, text=True, timeout=120
    )


def _config(tmp_path: Path, body: str) -> str:
    path = tmp_path / "checks.toml"
    path.write_text(body, encoding="utf-8")
    return str(path)


def _check(file: Path, baseline: Path, extra: str = "", loss: str = "mse") -> str:
    return (
        f'[[check]]\nname = "{file.stem} vs {baseline.stem}"\nfile = "{file}"\n'
        f'loss = "{loss}"\nbaseline = "{baseline}"\n{extra}\n'
    )


def _mse(path: Path) -> float:
    return evaluate(str(path), "mse").results[0].value


@pytest.mark.parametrize(
    ("file", "baseline", "limit", "passed"),
    [
        (CAND, BASE, 'max_regression = "1%"', True),  # better than the baseline
        (BASE, CAND, 'max_regression = "1%"', False),  # about 8% worse
        (BASE, CAND, 'max_regression = "10%"', True),  # worse, but within 10%
        (BASE, CAND, "max_regression = 0.01", False),  # Δ ≈ 0.026 > 0.01
        (BASE, CAND, "max_regression = 0.05", True),
        (BASE, BASE, "max_regression = 0", True),  # no change passes a zero margin
        (BASE, CAND, "", True),  # no max_regression: the baseline is only reported
    ],
)
def test_gate_passes_and_fails_where_it_should(tmp_path, file, baseline, limit, passed) -> None:
    config = load_config(_config(tmp_path, _check(file, baseline, limit)))
    (result,) = run_checks(config)
    assert result.status == ("pass" if passed else "fail"), result.message
    outcome = result.baseline
    assert outcome.value == _mse(baseline)
    assert outcome.difference == _mse(file) - _mse(baseline)
    assert outcome.relative == pytest.approx(outcome.difference / _mse(baseline))
    if not passed:
        assert "baseline" in result.message and limit.split("=")[1].strip(' "') in result.message


def test_bounds_and_baseline_both_apply(tmp_path) -> None:
    body = _check(CAND, BASE, 'max_regression = "1%"\nfail_above = 0.1')
    (result,) = run_checks(load_config(_config(tmp_path, body)))
    assert result.status == "fail"
    assert result.baseline.ok  # the baseline gate passed; the absolute bound did not
    assert "> 0.1" in result.message


def test_heads_and_labels_checks_evaluate_the_baseline_the_same_way(tmp_path) -> None:
    body = (
        f'[[check]]\nname = "heads"\nfile = "{BASE}"\nbaseline = "{CAND}"\n'
        'max_regression = "1%"\n'
        '  [[check.head]]\n  name = "a"\n  loss = "mse"\n  weight = 0.5\n'
        '  [[check.head]]\n  name = "b"\n  loss = "mae"\n'
    )
    (result,) = run_checks(load_config(_config(tmp_path, body)))
    want = 0.5 * _mse(CAND) + evaluate(str(CAND), "mae").results[0].value
    assert result.baseline.value == pytest.approx(want, rel=1e-15)
    assert result.status == "fail"
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "id,y_true\n" + "".join(f"{i},{v}\n" for i, v in enumerate(_column(BASE, "y_true"))),
        encoding="utf-8",
    )
    body = (
        f'[[check]]\nname = "labels"\nfile = "{CAND}"\nlabels = "{labels}"\non = "id"\n'
        f'loss = "mse"\ny_true = "y_true"\nbaseline = "{BASE}"\nmax_regression = "1%"\n'
    )
    (result,) = run_checks(load_config(_config(tmp_path, body)))
    assert result.status == "pass", result.message
    assert result.baseline.relative < 0


def _column(path: Path, name: str) -> list[str]:
    import pyarrow.csv as pacsv

    return [str(v) for v in pacsv.read_csv(path).column(name).to_pylist()]


def test_cli_outputs_show_both_models_and_the_difference(tmp_path) -> None:
    config = _config(
        tmp_path,
        _check(CAND, BASE, 'max_regression = "1%"') + _check(BASE, CAND, 'max_regression = "1%"'),
    )
    junit = tmp_path / "junit.xml"
    result = losscli("check", config, "--format", "json", "--junit", str(junit))
    assert result.returncode == 1
    data = json.loads(result.stdout)
    good, bad = data["checks"]
    assert good["status"] == "pass" and bad["status"] == "fail"
    assert good["baseline"]["path"] == str(BASE)
    assert good["baseline"]["value"] == _mse(BASE) and good["value"] == _mse(CAND)
    assert good["baseline"]["max_regression"] == {"value": 0.01, "relative": True}
    assert bad["baseline"]["passed"] is False and bad["baseline"]["relative"] > 0.01
    cases = ET.parse(junit).getroot().iter("testcase")
    texts = [case.find("system-out").text for case in cases]
    assert all("baseline" in t and "Δ" in t for t in texts)
    assert "check failed" in result.stderr and "> 1%" in result.stderr
    md = losscli("check", config, "--format", "markdown")
    assert "| baseline |" in md.stdout.splitlines()[2] or "baseline" in md.stdout.splitlines()[2]
    assert "(+" in md.stdout and "(-" in md.stdout
    table = losscli("check", config)
    assert "vs baseline" in table.stdout
    csv = losscli("check", config, "--format", "csv").stdout.splitlines()
    columns = csv[0].split(",")
    first = dict(zip(columns, csv[1].split(","), strict=False))
    assert float(first["baseline"]) == _mse(BASE)
    github = losscli("check", config, "--format", "github")
    errors = [line for line in github.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "baseline" in errors[0] and "> 1%25" in errors[0]


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ('max_regression = "lots"', 2, "max_regression 'lots' is not a number"),
        ("max_regression = -1", 2, "must be a finite number"),
        ("max_regression = true", 2, "max_regression must be a number"),
    ],
)
def test_config_errors_name_the_line(tmp_path, extra, code, message) -> None:
    result = losscli("check", _config(tmp_path, _check(CAND, BASE, extra)))
    assert result.returncode == code
    assert message in result.stderr and "line" in result.stderr


def test_max_regression_without_baseline_and_missing_baseline(tmp_path) -> None:
    body = f'[[check]]\nname = "x"\nfile = "{CAND}"\nloss = "mse"\nmax_regression = 0.1\n'
    result = losscli("check", _config(tmp_path, body))
    assert result.returncode == 2 and "add baseline" in result.stderr
    result = losscli("check", _config(tmp_path, _check(CAND, tmp_path / "missing.csv")))
    assert result.returncode == 3
    assert "missing.csv" in result.stderr

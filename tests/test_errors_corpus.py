"""Every bad file in tests/bad_inputs/ ends in its documented exit code and message, never a
traceback; the corpus and its expectations are written by tests/bad_inputs/make_bad_inputs.py."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from losscli.cli import app

runner = CliRunner()
CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES: list[dict[str, Any]] = json.loads((CORPUS / "cases.json").read_text())


def _id(case: dict[str, Any]) -> str:
    return f"{case['file']}:{' '.join(case['args'])}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_bad_input_gives_its_exit_code_and_message(case: dict[str, Any]) -> None:
    loss, *options = case["args"]
    result = runner.invoke(app, ["eval", loss, str(CORPUS / case["file"]), *options])
    assert result.exit_code == case["exit"], result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr
    if case["exit"] == 3:  # losscli's own errors: one line, the place first, stdout untouched
        assert result.stdout == ""
        assert case["message"] in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("losscli: error: ")
    else:  # usage errors may come from Click's parser, drawn as a panel by the runner
        assert case["message"] in " ".join(result.stderr.replace("│", " ").split())


def test_corpus_expectations_match_the_generator(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_bad_inputs", CORPUS / "make_bad_inputs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = [
        {"file": name, "args": args, "exit": code, "message": message}
        for name, _, args, code, message in module.CASES
    ]
    assert expected == CASES
    for case in CASES:
        assert (CORPUS / case["file"]).is_file(), f"run {CORPUS / 'make_bad_inputs.py'}"

"""JUnit XML stays well-formed whatever the user's text holds: a control character in a
check name (TOML allows "\\u0001") is written as its escape, not as a byte no parser takes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from losscli.cli import app

runner = CliRunner()


def test_a_control_character_in_a_check_name_keeps_the_xml_well_formed(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("y_true,y_pred\n0,1\n")
    config = tmp_path / "checks.toml"
    config.write_text(
        '[[check]]\nname = "bell\\u0007 and \\u001b[31m"\nfile = "d.csv"\nloss = "mse"\n'
        "fail_above = 0.5\n"
    )
    junit = tmp_path / "junit.xml"
    result = runner.invoke(app, ["check", str(config), "--junit", str(junit), "-q"])
    assert result.exit_code == 1, result.stderr
    case = ET.parse(junit).find(".//testcase")
    assert case is not None
    assert case.get("name") == "bell\\x07 and \\x1b[31m"
    failure = case.find("failure")
    assert failure is not None and "1 > 0.5" in (failure.get("message") or "")

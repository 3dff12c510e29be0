"""JUnit XML for `losscli check --junit`: one <testcase> per check, which GitHub Actions
(via a test-report action), GitLab (`artifacts:reports:junit`) and Jenkins display natively.

`file` and `line` name the check in the config file (where a reviewer fixes it), not the
data file; paths are relative to the working directory, with forward slashes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from losscli.report.github import normalise


def junit_xml(doc: dict[str, Any], suite: str = "losscli check") -> str:
    """<testsuites><testsuite><testcase …><failure|error …/></testcase>…"""
    checks = doc["checks"]
    failures = sum(c["status"] == "fail" for c in checks)
    errors = sum(c["status"] == "error" for c in checks)
    root = ET.Element(
        "testsuites", tests=str(len(checks)), failures=str(failures), errors=str(errors)
    )
    suite_el = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(checks)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
    )
    config = _xml_text(normalise(doc["config"]))
    for c in checks:
        case = ET.SubElement(
            suite_el,
            "testcase",
            name=_xml_text(c["name"]),
            classname="losscli.check",
            file=config,
            line=str(c["line"]),
        )
        value = "n/a" if c["value"] is None else repr(c["value"])
        details = f"{c['spec']} ({c['reduction']}) on {normalise(c['file'])}: {value}"
        if c.get("baseline"):
            details += f"; {c['baseline']['summary']} ({normalise(c['baseline']['path'])})"
        details = _xml_text(details)
        message = _xml_text(c["message"] or "")
        if c["status"] == "fail":
            failure = ET.SubElement(case, "failure", message=message, type="threshold")
            failure.text = details
        elif c["status"] == "error":
            error = ET.SubElement(case, "error", message=message, type="input data")
            error.text = details
        out = ET.SubElement(case, "system-out")
        out.text = details
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


#: characters XML 1.0 cannot hold at all, not even escaped (ElementTree writes them anyway
#: and every CI parser then rejects the whole report)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """Names and messages hold user data (a check name, a column name): a control character
    is shown as its escape (`\\x01`) so the report stays well-formed XML."""
    return _NOT_XML.sub(lambda m: repr(m.group())[1:-1], text)

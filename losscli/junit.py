"""JUnit XML for `losscli check --junit`: one <testcase> per check, which GitHub Actions
(via a test-report action), GitLab (`artifacts:reports:junit`) and Jenkins display natively."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any


def junit_xml(results: Sequence[Any], suite: str = "losscli check") -> str:
    """<testsuites><testsuite><testcase …><failure|error …/></testcase>…"""
    failures = sum(r.status == "fail" for r in results)
    errors = sum(r.status == "error" for r in results)
    root = ET.Element(
        "testsuites", tests=str(len(results)), failures=str(failures), errors=str(errors)
    )
    suite_el = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
    )
    for r in results:
        case = ET.SubElement(
            suite_el,
            "testcase",
            name=r.check.name,
            classname="losscli.check",
            file=r.check.path,
            line=str(r.check.line),
        )
        value = "n/a" if r.value is None else repr(r.value)
        details = f"{r.check.spec} ({r.check.reduction}) on {r.check.path}: {value}"
        if getattr(r, "baseline", None) is not None:
            details += f"; {r.baseline.describe()} ({r.check.baseline.path})"
        if r.status == "fail":
            failure = ET.SubElement(case, "failure", message=r.message, type="threshold")
            failure.text = details
        elif r.status == "error":
            error = ET.SubElement(case, "error", message=r.message, type="input data")
            error.text = details
        out = ET.SubElement(case, "system-out")
        out.text = details
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

"""`--plot`: charts of a loss over many files and of two models' per-sample losses."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from losscli.compare_cli import bare_plot_flag
from losscli.report.plot import line_chart_text, ticks

EPOCHS = [f"sample_data/epochs/epoch_0{i}.parquet" for i in range(1, 7)]
BASE = "sample_data/models/baseline.csv"
CAND = "sample_data/models/candidate.csv"
SVG = "{http://www.w3.org/2000/svg}"


def losscli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args], capture_output=True, text=True, timeout=120
    )


def _values() -> dict[str, list[float]]:
    out = losscli("eval", "mse,mae", *EPOCHS, "--format", "json")
    files = json.loads(out.stdout)["files"]
    return {
        spec: [f["results"][i]["value"] for f in files]
        for i, spec in enumerate(["mean_squared_error", "mean_absolute_error"])
    }


def test_svg_chart_parses_and_holds_every_point(tmp_path: Path) -> None:
    target = tmp_path / "losses.svg"
    result = losscli("eval", "mse,mae", *EPOCHS, "--plot", str(target))
    assert result.returncode == 0, result.stderr
    root = ET.parse(target).getroot()
    assert root.tag == f"{SVG}svg"
    points = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"]
    want = _values()
    for spec, values in want.items():
        got = [p for p in points if p.get("data-series") == spec]
        assert [p.get("data-file") for p in got] == EPOCHS
        assert [float(p.get("data-value")) for p in got] == values  # repr: exact round trip
        assert all(p.find(f"{SVG}title") is not None for p in got)  # readable on hover
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "file (in the order given)" in texts  # the x axis is labelled
    assert "mean_squared_error" in texts  # and the y axis
    assert b"http" not in target.read_bytes().replace(b"http://www.w3.org/2000/svg", b"")


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_cell = tag == "td"

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.cells.append(data)
            self._in_cell = False


def test_html_chart_parses_and_holds_every_point(tmp_path: Path) -> None:
    target = tmp_path / "losses.html"
    result = losscli("eval", "mse,mae", *EPOCHS, "--plot", str(target), "--format", "json")
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)  # stdout stays the requested output
    parser = _Collect()
    parser.feed(target.read_text(encoding="utf-8"))
    points = [a for tag, a in parser.tags if tag == "circle" and a.get("class") == "point"]
    want = _values()
    assert len(points) == sum(len(v) for v in want.values())
    for spec, values in want.items():
        assert [float(a["data-value"]) for a in points if a["data-series"] == spec] == values
    assert not [a for tag, a in parser.tags if tag in ("script", "link")]  # opens offline
    assert set(EPOCHS) <= set(parser.cells)


def test_terminal_line_chart_over_files() -> None:
    result = losscli("eval", "mse", *EPOCHS, "--plot")
    assert result.returncode == 0, result.stderr
    chart = result.stdout.split("mean_squared_error over the files", 1)[1]
    assert chart.count("●") == len(EPOCHS)
    assert "(file number)" in chart


def test_line_chart_text_places_the_extremes_on_the_axis_labels() -> None:
    lines = line_chart_text([3.0, 1.0, 2.0], height=5)
    assert lines[0].startswith("3 ┤●")
    assert lines[4].startswith("1 ┤") and "●" in lines[4]
    assert ticks(0.0, 1.0) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_compare_plot_svg_holds_both_distributions(tmp_path: Path) -> None:
    target = tmp_path / "compare.svg"
    result = losscli("compare", "mse", BASE, CAND, "--bootstrap", "50", "--plot", str(target))
    assert result.returncode == 0, result.stderr
    root = ET.parse(target).getroot()
    bins = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bin"]
    for model in ("baseline", "candidate"):
        counts = [int(r.get("data-count")) for r in bins if r.get("data-model") == model]
        assert sum(counts) == 1000  # every sample is in a bin


def test_compare_plot_terminal_and_html(tmp_path: Path) -> None:
    result = losscli("compare", "mse", BASE, CAND, "--bootstrap", "50", "--plot")
    assert result.returncode == 0, result.stderr
    assert "per-sample mean_squared_error" in result.stdout
    target = tmp_path / "compare.html"
    result = losscli("compare", "mse", BASE, CAND, "--bootstrap", "50", "--plot", str(target))
    assert result.returncode == 0, result.stderr
    parser = _Collect()
    parser.feed(target.read_text(encoding="utf-8"))
    assert sum(1 for tag, a in parser.tags if tag == "rect" and a.get("class") == "bin") == 60


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "mse", EPOCHS[0], "--plot"], "several files"),
        (["eval", "mse", *EPOCHS, "--plot", "--format", "json"], "--format json"),
        (["eval", "mse", *EPOCHS, "--plot=chart.png"], ".svg or .html"),
    ],
)
def test_plot_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = losscli(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert result.stdout == ""


def test_bare_plot_flag() -> None:
    assert bare_plot_flag(["eval", "mse", "a", "b", "--plot"]) == [
        "eval",
        "mse",
        "a",
        "b",
        "--plot=-",
    ]
    assert bare_plot_flag(["--plot", "x.svg"]) == ["--plot", "x.svg"]
    assert bare_plot_flag(["--plot", "X.HTML"]) == ["--plot", "X.HTML"]
    assert bare_plot_flag(["--plot", "-f", "json"]) == ["--plot=-", "-f", "json"]
    assert bare_plot_flag(["--", "--plot"]) == ["--", "--plot"]

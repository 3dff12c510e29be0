"""Each common input mistake is refused with a hint that states the fix as a command (and
the offending value), and the fix it states works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from losscli.cli import app
from losscli.hints import number_text

runner = CliRunner()


def _error(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 3, (result.exit_code, result.stderr)
    assert result.stdout == ""
    return result.stderr


def _csv(tmp_path: Path, text: str, name: str = "p.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_integer_labels_with_categorical_crossentropy_suggest_the_sparse_loss(
    tmp_path: Path,
) -> None:
    path = _csv(tmp_path, "y_true,p_0,p_1,p_2\n0,0.7,0.2,0.1\n2,0.1,0.1,0.8\n")
    err = _error("eval", "categorical_crossentropy", path, "--y-pred", "p_*")
    assert "use 'sparse_categorical_crossentropy'" in err
    err = _error("eval", "categorical_crossentropy(from_logits=true)", path, "--y-pred", "p_*")
    assert "use 'sparse_categorical_crossentropy(from_logits=true)'" in err
    fixed = runner.invoke(app, ["eval", "sparse_categorical_crossentropy", path, "--y-pred", "p_*"])
    assert fixed.exit_code == 0, fixed.stderr


def test_one_based_labels_are_named_as_such(tmp_path: Path) -> None:
    path = _csv(tmp_path, "y_true,p_0,p_1,p_2\n1,0.7,0.2,0.1\n3,0.1,0.1,0.8\n2,0.2,0.6,0.2\n")
    err = _error("eval", "sparse_categorical_crossentropy", path, "--y-pred", "p_*")
    assert "row 1: class index 3 is out of range" in err
    assert "labels look 1-based (1 to 3)" in err and "subtract 1" in err
    # a label beyond the classes that is not a 1-based set keeps the general hint
    path = _csv(tmp_path, "y_true,p_0,p_1\n0,0.7,0.3\n2,0.1,0.9\n", "q.csv")
    err = _error("eval", "sparse_categorical_crossentropy", path, "--y-pred", "p_*")
    assert "1-based" not in err and "select one y_pred column per class" in err


def _runs(command: str, cwd: Path) -> None:
    """Run the python -c command a hint gives (it must work as written)."""
    code = command.split('python -c "', 1)[1].split('"', 1)[0]
    subprocess.run([sys.executable, "-c", code], cwd=cwd, check=True)


def test_semicolon_csv_with_decimal_commas(tmp_path: Path) -> None:
    path = _csv(tmp_path, "y_true;y_pred\n1;0,5\n0;0,25\n")
    err = _error("eval", "mse", path)
    assert "pass --delimiter ';'" in err and "'0,5' has a decimal comma" in err
    err = _error("eval", "mse", path, "--delimiter", ";")
    assert "column 'y_pred', row 0: '0,5' is not a number" in err
    assert "decimal comma" in err
    _runs(err.replace(path, "p.csv"), tmp_path)
    fixed = runner.invoke(app, ["eval", "mse", str(tmp_path / "fixed.csv"), "-f", "csv"])
    assert fixed.exit_code == 0, fixed.stderr
    assert pd.read_csv(tmp_path / "fixed.csv")["y_pred"].tolist() == [0.5, 0.25]


@pytest.mark.parametrize(("cell", "plain"), [("1,000", "1000"), ("0,5", "0.5")])
def test_labels_written_for_people_show_the_value_and_the_fix(
    tmp_path: Path, cell: str, plain: str
) -> None:
    sep = ";" if cell == "0,5" else ","
    quoted = cell if sep == ";" else f'"{cell}"'
    path = _csv(tmp_path, f"y_true{sep}y_pred\n{quoted}{sep}3\n")
    args = ["--delimiter", sep] if sep == ";" else []
    err = _error("eval", "mse", path, *args)
    assert f"column 'y_true', row 0: holds {cell!r}, not a number" in err
    assert "class names" not in err
    _runs(err.replace(path, "p.csv"), tmp_path)
    assert float(pd.read_csv(tmp_path / "fixed.csv")["y_true"][0]) == float(plain)


def test_numpy2_repr_list_cells_name_the_cause(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y_true": [0, 1]})
    frame["y_pred"] = [str([np.float64(0.1), np.float64(0.9)]), str([np.float64(0.8), 0.2])]
    assert "np.float64(" in frame["y_pred"][0]  # numpy 2's repr, as losscli's numpy writes it
    frame.to_csv(tmp_path / "np.csv", index=False)
    err = _error("eval", "sparse_categorical_crossentropy", str(tmp_path / "np.csv"))
    assert "numpy 2's repr" in err and "[float(x) for x in v]" in err


def test_class_names_keep_their_hint(tmp_path: Path) -> None:
    path = _csv(tmp_path, "y_true,y_pred\ncat,0.3\n")
    err = _error("eval", "mse", path)
    assert "holds text ('cat': class names?)" in err and "--classes" in err


def test_number_text_knows_only_numbers_written_for_people() -> None:
    assert number_text("cat", None) is None
    assert number_text("0.5", None) is None
    assert "thousands separator" in (number_text("12,345,678", None) or "")
    assert "decimal comma" in (number_text("-0,25", None) or "")

"""CSV float columns are declared float64 (readers/csv.py `_float_types`) instead of left
to pyarrow's per-block inference: the same numbers, the same errors, less parsing."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.inputs import open_input
from losscli.readers import ReadOptions
from losscli.readers import csv as csv_reader

#: how floats are written in real files: repr, fixed, exponents, specials, empty cells
cell = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(-1e6, 1e6).map(lambda x: f"{x:.3f}"),
    st.floats(-1e300, 1e300).map(lambda x: f"{x:.17e}"),
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1", "-0", "0.1", "1E5", "+2.5"]),
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(cell, cell), min_size=1, max_size=40))
def test_declared_float_columns_read_as_inferred_ones(rows: list[tuple[str, str]]) -> None:
    text = "y_true,y_pred\n0.5,0.25\n" + "".join(f"{a},{b}\n" for a, b in rows)
    data = text.encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(data)
        source = open_input(str(path), sample_weight="none")
        assert list(source.choice.y_true) == ["y_true"]
        got = pa.Table.from_batches([b for _, b in source.batches(None)])
    plain = pacsv.read_csv(pa.py_buffer(data))  # pyarrow's own inference, whole file
    for name in ("y_true", "y_pred"):
        want = plain.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False)
        have = got.column(name).to_numpy(zero_copy_only=False)
        assert have.tobytes() == want.tobytes()


def test_declaring_floats_is_what_the_reader_does() -> None:
    """The fast path is taken: a float column is in the declared types."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_text("y_true,y_pred,name\n0.5,0.25,a\n")
        types = csv_reader.open(str(path), ReadOptions())._float_types(["y_true", "y_pred", "name"])
    assert types == {"y_true": pa.float64(), "y_pred": pa.float64()}


def test_a_bad_cell_after_the_first_block_still_names_its_row(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    good = "".join(f"{i / 7!r},{i / 3!r}\n" for i in range(200_000))  # > one 1 MiB block
    path.write_text("y_true,y_pred\n" + good + "0.5,oops\n")
    done = subprocess.run(
        [sys.executable, "-m", "losscli", "eval", "mse", str(path), "--format", "csv"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    # data rows count from 0, as every losscli message counts them
    assert "column 'y_pred', row 200000: 'oops' is not a number" in done.stderr, done.stderr

"""Circle against a reference set from a second file, as keras.losses.circle computes it
with ref_labels / ref_embeddings (and remove_diagonal, which Keras applies by position)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_process import losscli as run_losscli
from keras_oracle import _configure

import losscli
from losscli.errors import InputDataError


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rng = np.random.default_rng(4)
    anchors, refs = _unit(rng.normal(size=(9, 3))), _unit(rng.normal(size=(6, 3)))
    labels = rng.integers(0, 3, 9).astype(float)
    ref_labels = rng.integers(0, 3, 6).astype(float)
    ref_labels[:4] = labels[:4]  # same labels on the diagonal: remove_diagonal matters
    d = tmp_path_factory.mktemp("circle")
    pq.write_table(pa.table({"y_true": labels, "y_pred": anchors.tolist()}), d / "q.parquet")
    pq.write_table(
        pa.table({"label": ref_labels, **{f"e{i}": refs[:, i] for i in range(3)}}),
        d / "refs.parquet",
    )
    return {"dir": d, "q": anchors, "t": labels, "r": refs, "rt": ref_labels}


def _keras(files: dict[str, Any], remove_diagonal: bool) -> np.ndarray:
    k = _configure("float64")
    return np.asarray(
        k.losses.circle(
            files["t"].astype("int32"),
            files["q"],
            ref_labels=files["rt"].astype("int32"),
            ref_embeddings=files["r"],
            remove_diagonal=remove_diagonal,
        )
    )


def _spec(files: dict[str, Any], remove_diagonal: bool) -> str:
    refs = files["dir"] / "refs.parquet"
    flag = str(remove_diagonal).lower()
    return (
        f'circle(references="{refs}", ref_labels="label", ref_embeddings="e*", '
        f"remove_diagonal={flag})"
    )


@pytest.mark.parametrize("remove_diagonal", [True, False])
@pytest.mark.parametrize("batch_size", ["2", "100"])
def test_per_sample_values_match_keras(
    files: dict[str, Any], remove_diagonal: bool, batch_size: str
) -> None:
    done = run_losscli(
        "eval",
        _spec(files, remove_diagonal),
        str(files["dir"] / "q.parquet"),
        "-r",
        "none",
        "-f",
        "json",
        "--batch-size",
        batch_size,
    )
    assert done.returncode == 0, done.stderr
    ours = np.array(json.loads(done.stdout)["results"][0]["values"])
    np.testing.assert_allclose(ours, _keras(files, remove_diagonal), rtol=1e-12, atol=1e-12)


def test_remove_diagonal_counts_by_position(files: dict[str, Any]) -> None:
    assert not np.allclose(_keras(files, True), _keras(files, False))  # the test can tell


def test_the_reduced_value_masks_zero_losses_as_keras_does(files: dict[str, Any]) -> None:
    from keras.src.losses.loss import reduce_weighted_values

    values = _keras(files, True)
    expected = float(reduce_weighted_values(values, mask=values > 0, dtype="float64"))
    got = losscli.evaluate(str(files["dir"] / "q.parquet"), _spec(files, True)).results[0]
    assert got.value == pytest.approx(expected, rel=1e-12)


def test_the_api_takes_references_too(files: dict[str, Any]) -> None:
    params = {
        "references": str(files["dir"] / "refs.parquet"),
        "ref_labels": "label",
        "ref_embeddings": "e*",
    }
    values = losscli.get("circle")(files["t"][:, None], files["q"], **params)
    np.testing.assert_allclose(values, _keras(files, True), rtol=1e-12, atol=1e-12)


def test_references_of_another_size_are_refused(files: dict[str, Any], tmp_path: Path) -> None:
    wide = tmp_path / "wide.parquet"
    pq.write_table(pa.table({"y_true": [0.0], "y_pred": [[1.0, 0.0, 0.0, 0.0]]}), wide)
    with pytest.raises(InputDataError, match="references 4"):
        losscli.evaluate(str(files["dir"] / "q.parquet"), f'circle(references="{wide}")')


def test_the_references_file_is_hashed_as_an_input(files: dict[str, Any]) -> None:
    import hashlib

    refs = files["dir"] / "refs.parquet"
    done = run_losscli("eval", _spec(files, True), str(files["dir"] / "q.parquet"), "-f", "json")
    assert done.returncode == 0, done.stderr
    inputs = json.loads(done.stdout)["reproducibility"]["inputs"]
    assert inputs[1]["path"] == str(refs) and inputs[1]["role"] == "references"
    assert inputs[1]["sha256"] == hashlib.sha256(refs.read_bytes()).hexdigest()

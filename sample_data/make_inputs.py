"""Make the sample files for the input features (labels files, many files, header-less TSV,
JSON-array cells), derived from the files make_samples.py writes.

Run `python sample_data/make_samples.py && python sample_data/make_inputs.py`; the output is
identical on every run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
EPOCHS = 6


def main() -> None:
    rng = np.random.default_rng(20261125)
    regression = pacsv.read_csv(HERE / "regression.csv")
    ids = regression["id"].to_numpy()
    y_true = regression["y_true"].to_numpy()
    y_pred = regression["y_pred"].to_numpy()

    # labels in a second file: predictions by id, labels shuffled (join with --on id)
    pacsv.write_csv(pa.table({"id": ids, "y_pred": y_pred}), HERE / "predictions.csv")
    order = rng.permutation(len(ids))
    pacsv.write_csv(pa.table({"id": ids[order], "y_true": y_true[order]}), HERE / "labels.csv")

    # one file per epoch, predictions closing in on the labels: a loss curve
    (HERE / "epochs").mkdir(exist_ok=True)
    noise = rng.normal(0.0, 1.0, len(ids))
    for epoch in range(1, EPOCHS + 1):
        pred = np.round(y_true + noise * 2.0 / epoch, 4)
        pq.write_table(
            pa.table({"id": ids, "y_true": y_true, "y_pred": pred}),
            HERE / "epochs" / f"epoch_{epoch:02d}.parquet",
        )

    # header-less TSV: y_true, y_pred by position
    lines = [f"{t}\t{p}" for t, p in zip(y_true, y_pred, strict=True)]
    (HERE / "regression_noheader.tsv").write_text("\n".join(lines) + "\n")

    # vectors as JSON-array cells, what pandas writes for list columns
    multiclass = pq.read_table(HERE / "multiclass.parquet")
    rows = [
        {"id": i, "y_true": json.dumps(t), "y_pred": json.dumps(p)}
        for i, t, p in zip(
            multiclass["id"].to_pylist(),
            multiclass["y_true"].to_pylist(),
            multiclass["y_pred"].to_pylist(),
            strict=True,
        )
    ]
    pacsv.write_csv(pa.Table.from_pylist(rows), HERE / "multiclass_cells.csv")


if __name__ == "__main__":
    main()

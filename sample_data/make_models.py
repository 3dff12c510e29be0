"""Make two sample models of the same rows, for `losscli compare` and a baseline gate.

`models/baseline.csv` is "the model on main", `models/candidate.csv` a retrained one whose
errors are smaller on most rows; both hold the same ids, labels and weights in the same
order. Run `python sample_data/make_models.py` (or `make sample-data`): the output is
identical on every run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent / "models"
ROWS = 1000


def main() -> None:
    rng = np.random.default_rng(20261201)
    ids = np.arange(ROWS)
    y_true = np.round(rng.normal(3.0, 1.5, ROWS), 4)
    weight = np.round(rng.uniform(0.5, 1.5, ROWS), 3)
    noise = rng.normal(0.0, 0.6, ROWS)
    baseline = np.round(y_true + noise, 4)
    candidate = np.round(y_true + 0.93 * noise + rng.normal(0.0, 0.12, ROWS), 4)
    HERE.mkdir(exist_ok=True)
    for name, y_pred in (("baseline", baseline), ("candidate", candidate)):
        table = pa.table({"id": ids, "y_true": y_true, "y_pred": y_pred, "sample_weight": weight})
        pacsv.write_csv(table, HERE / f"{name}.csv")


if __name__ == "__main__":
    main()

"""Make sample_data/sequences.parquet: sequence outputs, one loss value per row and timestep.

Each of the 40 rows is a sequence of 6 timesteps:
- `tokens` (list<int64>): the true token of each timestep, -1 after the sequence ends
  (padding, for `ignore_class=-1`);
- `probs` (list<list<double>>, 6 × 4): predicted probabilities over 4 tokens per timestep;
- `target` and `forecast` (list<list<double>>, 6 × 2): a two-value regression per timestep;
- `sample_weight`: one weight per row, which losscli spreads over the row's timesteps.

Run `python sample_data/make_sequences.py`; the output is identical on every run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROWS, STEPS, TOKENS, TARGETS = 40, 6, 4, 2


def main() -> None:
    rng = np.random.default_rng(20261126)
    tokens = rng.integers(0, TOKENS, (ROWS, STEPS))
    lengths = rng.integers(2, STEPS + 1, ROWS)
    tokens[np.arange(STEPS)[None, :] >= lengths[:, None]] = -1
    logits = rng.normal(0.0, 1.0, (ROWS, STEPS, TOKENS))
    logits += 2.0 * (tokens[..., None] == np.arange(TOKENS))  # mostly right
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    target = rng.normal(0.0, 1.0, (ROWS, STEPS, TARGETS))
    forecast = target + rng.normal(0.0, 0.3, target.shape)
    table = pa.table(
        {
            "id": np.arange(ROWS),
            "tokens": tokens.tolist(),
            "probs": np.round(probs, 6).tolist(),
            "target": np.round(target, 4).tolist(),
            "forecast": np.round(forecast, 4).tolist(),
            "sample_weight": np.round(rng.uniform(0.5, 2.0, ROWS), 2),
        }
    )
    pq.write_table(table, HERE / "sequences.parquet")


if __name__ == "__main__":
    main()

"""The anchors: what a user would pick instead of losscli, each a whole process printing the loss.

    python bench/anchors.py ENGINE TASK FILE      ENGINE: floor | duckdb | polars

- floor: the lean pyarrow + numpy script a careful engineer would write: no pandas import,
  `pre_buffer=False`, numpy views on the Arrow buffers (`np.frombuffer`), streamed batches.
- duckdb: one SQL query; sums with `fsum` (exact, like losscli's) so the numbers agree.
- polars: a lazy scan with the loss as an expression.
Every engine computes Keras's float64 formula; the suite checks they all print the same value.
The ten-loss task computes all ten losses of `cases.TEN` and prints the first (bce).
"""

from __future__ import annotations

import math
import sys

EPS = 1e-7
CLASSES = 10
BATCH = 1 << 20
LOG2 = math.log(2.0)

COLUMNS = {
    "mse": ["y_true", "y_pred"],
    "wmse": ["y_true", "y_pred", "sample_weight"],
    "bce": ["y_true", "y_pred"],
    "ten": ["y_true", "y_pred"],
    "cce": ["y_true", "y_pred"],
    "scce": ["label", "y_pred"],
    "scce_cols": ["label", *(f"p{i}" for i in range(CLASSES))],
}


# ---------------------------------------------------------------- floor: pyarrow + numpy


def _view(array):  # type: ignore[no-untyped-def]
    """A numpy view on a float64/int64 Arrow array without nulls (no copy, no pandas)."""
    import numpy as np

    dtype = np.int64 if str(array.type) == "int64" else np.float64
    data = array.buffers()[1]
    return np.frombuffer(data, dtype=dtype, count=len(array) + array.offset)[array.offset :]


def _matrix(array):  # type: ignore[no-untyped-def]
    import numpy as np

    values = array.values
    start = array.offset * CLASSES
    flat = np.frombuffer(values.buffers()[1], dtype=np.float64)
    return flat[start : start + len(array) * CLASSES].reshape(-1, CLASSES)


def _batches(path: str, columns: list[str]):  # type: ignore[no-untyped-def]
    if path.endswith(".csv"):
        import pyarrow.csv as pacsv

        convert = pacsv.ConvertOptions(include_columns=columns)
        yield from pacsv.open_csv(path, convert_options=convert)
        return
    import pyarrow.parquet as pq

    yield from pq.ParquetFile(path, pre_buffer=False).iter_batches(
        batch_size=BATCH, columns=columns
    )


def _floor_ten(t, p):  # type: ignore[no-untyped-def]
    import numpy as np

    pc = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    ts = t * 0.9 + 0.05
    bce_ls = -(ts * np.log(pc) + (1 - ts) * np.log(1 - pc))
    p_t = t * p + (1 - t) * (1 - p)
    focal = (1 - p_t) ** 2.0 * bce
    poisson = p - t * np.log(p + EPS)
    tc, pk = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    kld = tc * np.log(tc / pk)
    d = p - t
    msle = np.square(np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1))
    logcosh = d + np.logaddexp(0.0, -2.0 * d) - LOG2
    a = np.abs(d)
    huber = np.where(a <= 1.0, 0.5 * d * d, a - 0.5)
    losses = (bce, bce_ls, focal, poisson, kld, d * d, a, msle, logcosh, huber)
    return [float(np.sum(v)) for v in losses]


def floor(task: str, path: str) -> float:
    import numpy as np

    totals: list[float] | None = None
    count = 0
    for batch in _batches(path, COLUMNS[task]):
        col = {name: batch.column(name) for name in COLUMNS[task]}
        if task in ("mse", "wmse", "bce", "ten"):
            t, p = _view(col["y_true"]), _view(col["y_pred"])
            if task == "ten":
                sums = _floor_ten(t, p)
            elif task == "bce":
                pc = np.clip(p, EPS, 1 - EPS)
                sums = [float(np.sum(-(t * np.log(pc) + (1 - t) * np.log(1 - pc))))]
            else:
                v = np.square(t - p)
                if task == "wmse":
                    v *= _view(col["sample_weight"])
                sums = [float(np.sum(v))]
        else:
            if task == "scce_cols":
                p = np.column_stack([_view(col[f"p{i}"]) for i in range(CLASSES)])
            else:
                p = _matrix(col["y_pred"])
            total = p.sum(axis=-1)
            if task == "cce":
                t = _matrix(col["y_true"])
                pc = np.clip(p / total[:, None], EPS, 1 - EPS)
                sums = [float(-np.sum(t * np.log(pc)))]
            else:
                label = _view(col["label"])
                picked = np.take_along_axis(p, label[:, None], axis=-1)[:, 0] / total
                sums = [float(-np.sum(np.log(np.clip(picked, EPS, 1 - EPS))))]
        totals = sums if totals is None else [a + b for a, b in zip(totals, sums, strict=True)]
        count += batch.num_rows
    assert totals is not None
    return totals[0] / count


# ---------------------------------------------------------------- duckdb: SQL


def _sql_clip(x: str, lo: str, hi: str) -> str:
    return f"least(greatest({x}, {lo}), {hi})"


def _sql_ten() -> list[str]:
    pc = _sql_clip("y_pred", "1e-7", "1 - 1e-7")
    bce = f"-(y_true * ln({pc}) + (1 - y_true) * ln(1 - {pc}))"
    ts = "(y_true * 0.9 + 0.05)"
    bce_ls = f"-({ts} * ln({pc}) + (1 - {ts}) * ln(1 - {pc}))"
    p_t = "(y_true * y_pred + (1 - y_true) * (1 - y_pred))"
    focal = f"pow(1 - {p_t}, 2.0) * {bce}"
    poisson = "y_pred - y_true * ln(y_pred + 1e-7)"
    tc, pk = _sql_clip("y_true", "1e-7", "1"), _sql_clip("y_pred", "1e-7", "1")
    kld = f"{tc} * ln({tc} / {pk})"
    d = "(y_pred - y_true)"
    msle = "pow(ln(greatest(y_pred, 1e-7) + 1) - ln(greatest(y_true, 1e-7) + 1), 2)"
    softplus = f"(greatest(-2 * {d}, 0) + ln(1 + exp(-abs(-2 * {d}))))"
    logcosh = f"{d} + {softplus} - {LOG2!r}"
    huber = f"CASE WHEN abs({d}) <= 1 THEN 0.5 * {d} * {d} ELSE abs({d}) - 0.5 END"
    return [bce, bce_ls, focal, poisson, kld, f"{d} * {d}", f"abs({d})", msle, logcosh, huber]


def _sql_expr(task: str) -> list[str]:
    if task == "mse":
        return ["(y_true - y_pred) * (y_true - y_pred)"]
    if task == "wmse":
        return ["(y_true - y_pred) * (y_true - y_pred) * sample_weight"]
    if task == "ten":
        return _sql_ten()
    if task == "bce":
        return _sql_ten()[:1]
    if task == "cce":
        p = _sql_clip("y_pred[i] / list_sum(y_pred)", "1e-7", "1 - 1e-7")
        return [
            f"-list_sum(list_transform(range(1, {CLASSES + 1}), lambda i: y_true[i] * ln({p})))"
        ]
    if task == "scce":
        return [f"-ln({_sql_clip('y_pred[label + 1] / list_sum(y_pred)', '1e-7', '1 - 1e-7')})"]
    columns = [f"p{i}" for i in range(CLASSES)]
    picked = "CASE label " + " ".join(f"WHEN {i} THEN p{i}" for i in range(CLASSES)) + " END"
    ratio = f"({picked}) / ({' + '.join(columns)})"
    return [f"-ln({_sql_clip(ratio, '1e-7', '1 - 1e-7')})"]


def duckdb_(task: str, path: str) -> float:
    import duckdb

    source = "read_csv" if path.endswith(".csv") else "read_parquet"
    sums = ", ".join(f"fsum({e})" for e in _sql_expr(task))
    row = duckdb.execute(f"SELECT {sums}, count(*) FROM {source}('{path}')").fetchone()
    assert row is not None
    return row[0] / row[-1]


# ---------------------------------------------------------------- polars: lazy expressions


def _pl_ten(pl):  # type: ignore[no-untyped-def]
    t, p = pl.col("y_true"), pl.col("y_pred")
    pc = p.clip(EPS, 1 - EPS)
    bce = -(t * pc.log() + (1 - t) * (1 - pc).log())
    ts = t * 0.9 + 0.05
    bce_ls = -(ts * pc.log() + (1 - ts) * (1 - pc).log())
    p_t = t * p + (1 - t) * (1 - p)
    focal = (1 - p_t).pow(2.0) * bce
    poisson = p - t * (p + EPS).log()
    tc, pk = t.clip(EPS, 1), p.clip(EPS, 1)
    kld = tc * (tc / pk).log()
    d = p - t
    msle = ((pl.max_horizontal(p, EPS) + 1).log() - (pl.max_horizontal(t, EPS) + 1).log()).pow(2)
    x = -2 * d
    logcosh = d + (pl.max_horizontal(x, 0) + (1 + (-x.abs()).exp()).log()) - LOG2
    huber = pl.when(d.abs() <= 1).then(0.5 * d * d).otherwise(d.abs() - 0.5)
    return [bce, bce_ls, focal, poisson, kld, d * d, d.abs(), msle, logcosh, huber]


def polars_(task: str, path: str) -> float:
    import polars as pl

    frame = pl.scan_csv(path) if path.endswith(".csv") else pl.scan_parquet(path)
    t, p = pl.col("y_true"), pl.col("y_pred")
    if task in ("mse", "wmse"):
        exprs = [(t - p).pow(2) * (pl.col("sample_weight") if task == "wmse" else 1)]
    elif task in ("bce", "ten"):
        exprs = _pl_ten(pl)[: 1 if task == "bce" else 10]
    elif task == "scce_cols":
        total = pl.sum_horizontal(*(pl.col(f"p{i}") for i in range(CLASSES)))
        picked = pl.coalesce(
            *(pl.when(pl.col("label") == i).then(pl.col(f"p{i}")) for i in range(CLASSES))
        )
        exprs = [-(picked / total).clip(EPS, 1 - EPS).log()]
    elif task == "scce":
        picked = p.arr.get(pl.col("label")) / p.arr.sum()
        exprs = [-picked.clip(EPS, 1 - EPS).log()]
    else:  # cce: explode the lists, keep a row id to renormalise by the row's sum
        frame = frame.with_row_index("row").explode("y_true", "y_pred")
        total = p.sum().over("row")
        exprs = [-(t * (p / total).clip(EPS, 1 - EPS).log())]
        out = frame.select(exprs[0].sum(), pl.col("row").n_unique()).collect()
        return out.item(0, 0) / out.item(0, 1)
    out = frame.select(
        *(e.sum().alias(f"loss{i}") for i, e in enumerate(exprs)), pl.len()
    ).collect()
    return out.item(0, 0) / out.item(0, len(exprs))


ENGINES = {"floor": floor, "duckdb": duckdb_, "polars": polars_}


def main(argv: list[str]) -> None:
    engine, task, path = argv
    print(repr(ENGINES[engine](task, path)))


if __name__ == "__main__":
    main(sys.argv[1:])

"""`eval --ci`: the streaming Poisson bootstrap (losscli.bootstrap).

Each replicate must be the loss Keras computes on the resampled rows (row i repeated c_ij
times); the intervals must cover a known true value at about the nominal rate; and the
weights must not depend on batch sizes or on the order rows are read in.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from losscli.bootstrap import Bootstrap, bootstrap_arrays, poisson_weights
from losscli.cli import app
from losscli.engine import Batch, evaluate_batches
from losscli.errors import UsageError
from losscli.spec import parse_specs
from tests.keras_oracle import keras_loss

runner = CliRunner()


def _replicates(spec, y_true, y_pred, w, reduction, replicates=6, seed=11, batch=None):
    """Run the engine with a Bootstrap hook; return the result and its replicate values."""
    losses = parse_specs(spec)
    n = len(y_pred)
    step = batch or n

    def batches():
        for s in range(0, n, step):
            yield Batch(
                y_true[s : s + step],
                y_pred[s : s + step],
                None if w is None else w[s : s + step],
                s,
            )

    boot = Bootstrap(losses, replicates=replicates, seed=seed)
    results = evaluate_batches(
        losses, batches, weighted=w is not None, reduction=reduction, on_batch=boot
    )
    return results, [boot.replicate_values(i, r) for i, r in enumerate(results)]


def _resampled(counts, *arrays):
    reps = counts.astype(int)
    return [None if a is None else np.repeat(a, reps, axis=0) for a in arrays]


@pytest.mark.parametrize(
    ("spec", "class_name", "params", "reduction", "weighted"),
    [
        ("mse", "MeanSquaredError", {}, "sum_over_batch_size", False),
        ("mae", "MeanAbsoluteError", {}, "mean_with_sample_weight", True),
        ("huber(delta=0.5)", "Huber", {"delta": 0.5}, "sum_over_batch_size", True),
        ("log_cosh", "LogCosh", {}, "sum", True),
    ],
)
def test_each_replicate_is_keras_on_the_resampled_rows(
    spec, class_name, params, reduction, weighted
):
    rng = np.random.default_rng(3)
    n = 60
    t, p = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    w = rng.uniform(0.2, 2.0, n) if weighted else None
    _, (reps,) = _replicates(spec, t, p, w, reduction, batch=17)
    counts = poisson_weights(np.arange(n), 6, 11)
    for j in range(6):
        rt, rp, rw = _resampled(counts[:, j], t, p, w)
        want = float(keras_loss(class_name, rt, rp, rw, reduction=reduction, **params))
        if reduction == "sum":  # a Poisson replicate is rescaled to the file's row count
            want *= n / len(rt)
        assert reps[j] == pytest.approx(want, rel=1e-12)


def test_dice_with_axis_none_is_recomputed_from_each_replicates_sums() -> None:
    rng = np.random.default_rng(4)
    n = 50
    t = (rng.uniform(size=(n, 3)) > 0.5).astype(float)
    p = rng.uniform(size=(n, 3))
    for w, reduction in (
        (None, "sum_over_batch_size"),
        (rng.uniform(0.5, 1.5, n), "sum_over_batch_size"),
    ):
        _, (reps,) = _replicates("dice", t, p, w, reduction, batch=9)
        counts = poisson_weights(np.arange(n), 6, 11)
        for j in range(6):
            rt, rp, rw = _resampled(counts[:, j], t, p, w)
            want = float(keras_loss("Dice", rt, rp, rw, reduction=reduction))
            assert reps[j] == pytest.approx(want, rel=1e-9)


def test_hinge_keeps_the_files_label_conversion() -> None:
    rng = np.random.default_rng(5)
    n = 40
    t = (rng.uniform(size=(n, 1)) > 0.5).astype(float)  # {0, 1}: Keras converts to {-1, 1}
    p = rng.normal(size=(n, 1))
    _, (reps,) = _replicates("hinge", t, p, None, "sum_over_batch_size")
    counts = poisson_weights(np.arange(n), 6, 11)
    for j in range(6):
        rt, rp, _ = _resampled(counts[:, j], t, p, None)
        assert reps[j] == pytest.approx(float(keras_loss("Hinge", rt, rp)), rel=1e-12)


def test_circle_is_re_evaluated_on_each_replicates_rows() -> None:
    rng = np.random.default_rng(13)
    n = 40
    t = rng.integers(0, 3, size=(n, 1)).astype(float)
    p = rng.normal(size=(n, 4))
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    w = rng.uniform(0.5, 1.5, n)
    for weights, reduction in ((None, "sum_over_batch_size"), (w, "mean_with_sample_weight")):
        _, (reps,) = _replicates("circle(gamma=2.0)", t, p, weights, reduction, batch=16)
        counts = poisson_weights(np.arange(n), 6, 11)
        for j in range(6):
            rt, rp, rw = _resampled(counts[:, j], t, p, weights)
            want = float(keras_loss("Circle", rt, rp, rw, reduction=reduction, gamma=2.0))
            assert reps[j] == pytest.approx(want, rel=1e-9)


# Keras's numpy backend divides the ignored rows' zeroed predictions by their zero sum
@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
def test_masked_losses_divide_by_the_replicates_valid_count() -> None:
    rng = np.random.default_rng(6)
    n, classes = 40, 3
    t = rng.integers(-1, classes, size=(n, 1)).astype(float)
    p = rng.dirichlet(np.ones(classes), size=n)
    w = rng.uniform(0.5, 1.5, n)
    spec = "sparse_categorical_crossentropy(ignore_class=-1)"
    for reduction in ("sum_over_batch_size", "mean_with_sample_weight"):
        _, (reps,) = _replicates(spec, t, p, w, reduction, batch=7)
        counts = poisson_weights(np.arange(n), 6, 11)
        for j in range(6):
            rt, rp, rw = _resampled(counts[:, j], t, p, w)
            want = float(
                keras_loss(
                    "SparseCategoricalCrossentropy",
                    rt,
                    rp,
                    rw,
                    reduction=reduction,
                    ignore_class=-1,
                )
            )
            assert reps[j] == pytest.approx(want, rel=1e-12)


def test_sequence_losses_resample_whole_rows() -> None:
    rng = np.random.default_rng(7)
    n, steps = 30, 5
    t, p = rng.normal(size=(n, steps, 2)), rng.normal(size=(n, steps, 2))
    w = rng.uniform(0.5, 1.5, n)
    for reduction in ("sum_over_batch_size", "mean_with_sample_weight"):
        _, (reps,) = _replicates("mse", t, p, w, reduction, batch=8)
        counts = poisson_weights(np.arange(n), 6, 11)
        for j in range(6):
            rt, rp, rw = _resampled(counts[:, j], t, p, w)
            want = float(keras_loss("MeanSquaredError", rt, rp, rw[:, None], reduction=reduction))
            assert reps[j] == pytest.approx(want, rel=1e-12)


def _coverage(
    spec: str, reduction: str, truth, *, weighted: bool, datasets: int = 200, n: int = 150
):
    """How often the 90% interval holds the true value over seeded simulated datasets."""
    rng = np.random.default_rng(2026)
    hits = 0
    for k in range(datasets):
        y = rng.normal(size=n)
        e = rng.normal(size=n)
        w = rng.uniform(0.5, 1.5, n) if weighted else None
        ((_, ci),) = bootstrap_arrays(
            spec, y, y + e, w, level=0.9, replicates=300, seed=k, reduction=reduction
        )
        hits += ci.low <= truth(n) <= ci.high
    return hits / datasets


@pytest.mark.parametrize(
    ("spec", "reduction", "truth", "weighted"),
    [
        ("mse", "sum_over_batch_size", lambda n: 1.0, False),  # E[e²] = 1
        ("mae", "mean_with_sample_weight", lambda n: math.sqrt(2 / math.pi), True),  # E|e|
        ("mse", "sum", lambda n: float(n), False),  # E[Σ e²] = n
    ],
)
def test_intervals_cover_the_true_value_at_about_the_nominal_rate(spec, reduction, truth, weighted):
    coverage = _coverage(spec, reduction, truth, weighted=weighted)
    # 200 datasets at a 90% level: the binomial sd is 0.021; allow about 3 sd either side.
    # The seeds are fixed, so this is deterministic, not flaky.
    assert 0.83 <= coverage <= 0.97, coverage


def test_interval_agrees_with_scipy_percentile_bootstrap() -> None:
    from scipy import stats

    rng = np.random.default_rng(8)
    y, p = rng.normal(size=400), rng.normal(size=400)
    ((result, ci),) = bootstrap_arrays("mae", y, p, level=0.95, replicates=4000, seed=1)
    ref = stats.bootstrap(
        (np.abs(y - p),),
        np.mean,
        confidence_level=0.95,
        n_resamples=4000,
        method="percentile",
        random_state=1,
    ).confidence_interval
    width = ref.high - ref.low
    assert abs(ci.low - ref.low) < 0.08 * width
    assert abs(ci.high - ref.high) < 0.08 * width
    assert ci.low < result.value < ci.high


def test_intervals_do_not_depend_on_the_batch_size() -> None:
    rng = np.random.default_rng(9)
    y, p, w = rng.normal(size=500), rng.normal(size=500), rng.uniform(size=500)
    whole = bootstrap_arrays("mse,mae", y, p, w, replicates=200)
    cut = bootstrap_arrays("mse,mae", y, p, w, replicates=200, batch_size=37)
    for (r1, c1), (r2, c2) in zip(whole, cut, strict=True):
        assert r1.value == r2.value
        assert c1.low == pytest.approx(c2.low, rel=1e-12)
        assert c1.high == pytest.approx(c2.high, rel=1e-12)


def test_poisson_weights_are_a_pure_function_of_seed_key_and_replicate() -> None:
    keys = np.arange(20000)
    w = poisson_weights(keys, 64, seed=5)
    assert w.mean() == pytest.approx(1.0, abs=0.01)
    assert w.var() == pytest.approx(1.0, abs=0.02)
    assert (w[:, 0] == 0).mean() == pytest.approx(math.exp(-1), abs=0.01)
    shuffled = np.random.default_rng(0).permutation(keys)
    np.testing.assert_array_equal(poisson_weights(shuffled, 64, seed=5), w[shuffled])
    assert not np.array_equal(poisson_weights(keys, 64, seed=6), w)


def test_refuses_what_a_row_bootstrap_cannot_do() -> None:
    with pytest.raises(UsageError, match="use --bootstrap 2222 or fewer rows"):
        bootstrap_arrays("circle", np.zeros(300), np.ones((300, 2)), replicates=5000)
    with pytest.raises(UsageError, match="one value per loss"):
        bootstrap_arrays("mse", np.zeros(4), np.zeros(4), reduction="none")
    with pytest.raises(UsageError, match="between 0 and 1"):
        bootstrap_arrays("mse", np.zeros(4), np.zeros(4), level=95)


def test_eval_ci_in_json_csv_and_table(tmp_path) -> None:
    path = "sample_data/models/baseline.csv"
    out = runner.invoke(
        app, ["eval", "mse,mae", path, "--ci", "0.9", "--bootstrap", "300", "-f", "json"]
    )
    assert out.exit_code == 0, out.stderr
    results = json.loads(out.stdout)["results"]
    for r in results:
        assert r["ci"]["level"] == 0.9 and r["ci"]["replicates"] == 300
        assert r["ci"]["low"] < r["value"] < r["ci"]["high"]
    again = runner.invoke(
        app, ["eval", "mse,mae", path, "--ci", "0.9", "--bootstrap", "300", "-f", "json"]
    )
    assert again.stdout == out.stdout  # seeded: the same interval every run
    other = runner.invoke(
        app, ["eval", "mse", path, "--ci", "0.9", "--bootstrap", "300", "--seed", "1", "-f", "json"]
    )
    assert json.loads(other.stdout)["results"][0]["ci"] != results[0]["ci"]
    negative = runner.invoke(
        app,
        ["eval", "mse", path, "--ci", "0.9", "--bootstrap", "300", "--seed", "-1", "-f", "json"],
    )
    assert negative.exit_code == 0, negative.stderr  # any whole number seeds, as in compare
    csv = runner.invoke(
        app, ["eval", "mse", path, "--ci", "0.9", "--bootstrap", "300", "-f", "csv"]
    )
    assert csv.stdout.splitlines()[0].endswith("ci_low,ci_high")
    csv_row = csv.stdout.splitlines()[1].split(",")
    assert [float(v) for v in csv_row[-2:]] == [results[0]["ci"]["low"], results[0]["ci"]["high"]]
    table = runner.invoke(app, ["eval", "mse", path, "--ci", "0.9", "--bootstrap", "300"])
    assert "90% confidence intervals" in table.stdout
    low, high = results[0]["ci"]["low"], results[0]["ci"]["high"]
    assert f"[{low:.4g}, {high:.4g}]" in table.stdout  # the interval beside the value
    md = runner.invoke(
        app, ["eval", "mse", path, "--ci", "0.9", "--bootstrap", "300", "-f", "markdown"]
    )
    assert "| ci_low | ci_high |" in md.stdout
    github = runner.invoke(
        app, ["eval", "mse", path, "--ci", "0.9", "--bootstrap", "300", "-f", "github"]
    )
    assert f"[{low:.4g}, {high:.4g}]" in github.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["eval", "circle", "sample_data/models/baseline.csv", "--ci", "0.9"],
            "1.0e+09 row pairs",
        ),
        (["eval", "mse", "sample_data/models/baseline.csv", "--ci", "1.5"], "between 0 and 1"),
        (
            ["eval", "mse", "sample_data/models/baseline.csv", "--ci", "0.9", "-r", "none"],
            "one value per loss",
        ),
        (
            [
                "eval",
                "mse",
                "sample_data/models/baseline.csv",
                "sample_data/models/candidate.csv",
                "--ci",
                "0.9",
            ],
            "one file",
        ),
    ],
)
def test_ci_usage_errors_exit_2(args, message) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_memory_is_per_replicate_not_per_row() -> None:
    """The state after many batches is as large as after one: B sums per loss, no rows."""
    losses = parse_specs("mse,dice")
    boot = Bootstrap(losses, replicates=50)
    rng = np.random.default_rng(10)

    def size() -> int:
        return sum(
            s.sums.nbytes + (0 if s.totals is None else s.totals.nbytes) for s in boot.states
        )

    sizes = []
    for start in range(0, 5000, 500):
        t, p = rng.uniform(size=(500, 2)), rng.uniform(size=(500, 2))
        batch = Batch(t, p, None, start)
        boot(batch, [(np.mean((t - p) ** 2, axis=1), None), (np.asarray(0.5), None)])
        sizes.append(size())
    assert len(set(sizes)) == 1
    assert sizes[0] == 50 * 4 * 8 + 50 * 7 * 8  # mse: 4 sums; dice: 4 + its 3 term sums
    assert all(not s.kept for s in boot.states)  # only whole-file losses (Circle) keep rows


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(1, 60),
    batch=st.integers(1, 70),
    seed=st.integers(0, 2**63),
    weighted=st.booleans(),
    reduction=st.sampled_from(["sum_over_batch_size", "sum", "mean_with_sample_weight"]),
)
def test_replicates_do_not_depend_on_how_rows_are_batched(rows, batch, seed, weighted, reduction):
    rng = np.random.default_rng(rows)
    t, p = rng.normal(size=(rows, 2)), rng.normal(size=(rows, 2))
    w = rng.uniform(0, 2, rows) if weighted else None
    _, one = _replicates("mae,dice", t, p, w, reduction, replicates=8, seed=seed)
    _, cut = _replicates("mae,dice", t, p, w, reduction, replicates=8, seed=seed, batch=batch)
    for a, b in zip(one, cut, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)

"""`losscli compare`: a paired comparison of two models on the same samples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from losscli.compare import Margin, compare_models, p_paired, paired, parse_margin
from losscli.errors import InputDataError, UsageError
from losscli.registry import get

BASE = "sample_data/models/baseline.csv"
CAND = "sample_data/models/candidate.csv"


def losscli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args], capture_output=True, text=True, timeout=120
    )


def _write(path: Path, **columns: np.ndarray) -> str:
    pacsv.write_csv(pa.table(columns), path)
    return str(path)


def test_identical_files_differ_by_zero_with_p_one() -> None:
    c = compare_models("mse,mae", BASE, BASE, replicates=300)
    for x in c.losses:
        assert x.difference == 0.0
        assert x.difference_ci.low == x.difference_ci.high == 0.0
        assert x.p_value == 1.0
        assert x.verdict == "no clear difference"
    assert not c.failed


def test_a_clearly_better_model_has_p_near_zero() -> None:
    c = compare_models("mse,mae", BASE, CAND, replicates=500)
    for x in c.losses:
        assert x.candidate < x.baseline
        assert x.difference_ci.high < 0
        assert x.p_value <= 2 / 501
        assert x.verdict == "better"
        assert x.sentence().startswith("candidate is better on ")
    reverse = compare_models("mse", CAND, BASE, replicates=500)
    assert reverse.losses[0].verdict == "worse" and reverse.failed


def test_values_are_the_single_file_evaluations() -> None:
    from losscli import evaluate

    c = compare_models("mse", BASE, CAND, replicates=100, reduction="mean_with_sample_weight")
    base = evaluate(BASE, "mse", reduction="mean_with_sample_weight").results[0].value
    cand = evaluate(CAND, "mse", reduction="mean_with_sample_weight").results[0].value
    x = c.losses[0]
    assert (x.baseline, x.candidate) == (base, cand)
    assert x.difference == cand - base
    assert x.relative == pytest.approx((cand - base) / base)


def _model(y, pred, seed):
    """One model's point value and replicates, through the engine and the bootstrap hook."""
    from losscli.bootstrap import Bootstrap
    from losscli.engine import Batch, evaluate_batches
    from losscli.spec import parse_specs

    losses = parse_specs("mse")
    boot = Bootstrap(losses, replicates=200, seed=seed)
    t, p = y[:, None], pred[:, None]
    (result,) = evaluate_batches(
        losses, lambda: [Batch(t, p, None, 0)], weighted=False, on_batch=boot
    )
    return result.value, boot.replicate_values(0, result)


def test_p_values_under_the_null_are_about_uniform() -> None:
    """Two models with equally good (independent) errors: p < 0.05 about 5% of the time."""
    rng = np.random.default_rng(12)
    p_values = []
    for k in range(100):
        y = rng.normal(size=200)
        b, b_reps = _model(y, y + rng.normal(size=200), k)
        c, c_reps = _model(y, y + rng.normal(size=200), k)
        p_values.append(
            paired("mse", "sum_over_batch_size", b, c, b_reps, c_reps, level=0.95, seed=k).p_value
        )
    p_values = np.asarray(p_values)
    assert (p_values < 0.05).sum() <= 12  # binomial(100, 0.05): 12 or more has p < 0.001
    assert (p_values > 0.5).sum() >= 35  # not all piled up near 0
    assert p_paired(0.0, np.zeros(10)) == 1.0


def test_pairing_by_key_ignores_row_order(tmp_path: Path) -> None:
    table = pacsv.read_csv(CAND)
    order = np.random.default_rng(0).permutation(table.num_rows)
    shuffled = tmp_path / "shuffled.csv"
    pacsv.write_csv(table.take(order), shuffled)
    by_rows = compare_models("mse", BASE, CAND, replicates=200, seed=4, on="id")
    by_key = compare_models("mse", BASE, str(shuffled), replicates=200, seed=4, on="id")
    a, b = by_rows.losses[0], by_key.losses[0]
    assert a.candidate == pytest.approx(b.candidate, rel=1e-12)
    assert a.difference_ci.low == pytest.approx(b.difference_ci.low, rel=1e-9)
    assert a.p_value == b.p_value
    assert by_key.paired_on == "key id"
    with pytest.raises(InputDataError, match="not predictions of the same samples"):
        compare_models("mse", BASE, str(shuffled), replicates=50)  # rows in another order


def test_two_columns_of_one_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=400)
    path = _write(
        tmp_path / "both.csv",
        y_true=y,
        old=y + rng.normal(0, 1.0, 400),
        new=y + rng.normal(0, 0.5, 400),
    )
    c = compare_models("mae", path, y_pred="new", y_pred_baseline="old", replicates=300)
    assert c.losses[0].verdict == "better"
    assert (c.baseline.y_pred, c.candidate.y_pred) == ("old", "new")
    with pytest.raises(UsageError, match="--y-pred-baseline"):
        compare_models("mae", path)


def test_shared_labels_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    ids = np.arange(300)
    y = rng.normal(size=300)
    labels = _write(tmp_path / "labels.csv", id=ids, y_true=y)
    a = _write(tmp_path / "a.csv", id=ids, y_pred=y + rng.normal(0, 1, 300))
    b = _write(tmp_path / "b.csv", id=ids[::-1], y_pred=(y + rng.normal(0, 0.3, 300))[::-1])
    c = compare_models("mse", a, b, labels=labels, on="id", replicates=300)
    assert c.losses[0].verdict == "better"
    assert c.baseline.labels == labels


def test_different_labels_or_samples_are_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(size=50)
    a = _write(tmp_path / "a.csv", id=np.arange(50), y_true=y, y_pred=y)
    b = _write(tmp_path / "b.csv", id=np.arange(50), y_true=y + 1, y_pred=y)
    short = _write(tmp_path / "c.csv", id=np.arange(40), y_true=y[:40], y_pred=y[:40])
    other = _write(tmp_path / "d.csv", id=np.arange(50) + 1, y_true=y, y_pred=y)
    with pytest.raises(InputDataError, match=r"y_true .* differs"):
        compare_models("mse", a, b, replicates=20)
    with pytest.raises(InputDataError, match="50 rows and the candidate 40"):
        compare_models("mse", a, short, replicates=20)
    with pytest.raises(InputDataError, match="same values of key 'id'"):
        compare_models("mse", a, other, on="id", replicates=20)


def test_margins() -> None:
    assert parse_margin("1%") == Margin(0.01, True)
    assert parse_margin("0.01") == Margin(0.01, False)
    assert str(parse_margin("2.5%")) == "2.5%"
    for bad in ("x", "-1", "nan%"):
        with pytest.raises(UsageError):
            parse_margin(bad)
    worse = compare_models("mse", CAND, BASE, replicates=300)  # about 8% worse
    x = worse.losses[0]
    assert x.relative_ci is not None and x.relative_ci.low > 0.03
    big = compare_models("mse", CAND, BASE, replicates=300, margin=parse_margin("50%"))
    small = compare_models("mse", CAND, BASE, replicates=300, margin=parse_margin("1%"))
    assert not big.failed and small.failed
    absolute = compare_models("mse", CAND, BASE, replicates=300, margin=parse_margin("1"))
    assert not absolute.failed


def test_cli_verdict_json_and_gate_exit_codes() -> None:
    ok = losscli("compare", "mse", BASE, CAND, "--bootstrap", "300")
    assert ok.returncode == 0, ok.stderr
    assert "candidate is better on mean_squared_error" in ok.stdout
    gate = losscli(
        "compare", "mse", CAND, BASE, "--fail-if-worse", "--margin", "1%", "--bootstrap", "300"
    )
    assert gate.returncode == 1
    assert "beyond the 1% margin" in gate.stdout
    assert gate.stderr.startswith("losscli: check failed: candidate is worse on mean_squared_error")
    lenient = losscli(
        "compare", "mse", CAND, BASE, "--fail-if-worse", "--margin", "50%", "--bootstrap", "300"
    )
    assert lenient.returncode == 0
    no_gate = losscli("compare", "mse", CAND, BASE, "--bootstrap", "300")
    assert no_gate.returncode == 0  # worse, but nobody asked for a gate
    js = losscli("compare", "mse,mae", BASE, CAND, "--bootstrap", "300", "--format", "json")
    data = json.loads(js.stdout)
    assert set(data) == {
        "losscli",
        "baseline",
        "candidate",
        "labels",
        "paired_on",
        "bootstrap",
        "margin",
        "failed",
        "losses",
    }
    entry = data["losses"][0]
    assert set(entry) == {
        "loss",
        "reduction",
        "baseline",
        "candidate",
        "difference",
        "relative",
        "p_value",
        "verdict",
        "worse_beyond_margin",
        "summary",
    }
    assert (
        entry["difference"]["ci"]["low"]
        < entry["difference"]["value"]
        < entry["difference"]["ci"]["high"]
    )
    assert data["bootstrap"]["p_value"] == "paired bootstrap, two-sided, null-centred"
    md = losscli("compare", "mse", BASE, CAND, "--bootstrap", "100", "--format", "markdown")
    assert md.stdout.count("|") > 10


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["compare", "mse", BASE], 2, "--y-pred-baseline"),
        (["compare", "mse", BASE, CAND, "--margin", "lots"], 2, "not a number"),
        (["compare", "mse", BASE, CAND, "--format", "yaml"], 2, "is not one of"),
        (["compare", "circle", BASE, CAND], 2, "1.0e+09 row pairs"),
        (
            ["compare", "mse", BASE, "sample_data/regression.csv"],
            3,
            "1000 rows and the candidate 200",
        ),
        (["compare", "mse", BASE, CAND, "-o", CAND], 2, ""),
        (
            ["compare", "mse", "-", "--y-pred-baseline", "y_pred", "--input-format", "csv"],
            2,
            "once",
        ),
    ],
)
def test_cli_errors(args: list[str], code: int, message: str) -> None:
    result = losscli(*args)
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    assert message in result.stderr


def test_compare_is_registered_and_documented() -> None:
    result = losscli("compare", "--help")
    assert result.returncode == 0
    assert "--fail-if-worse" in result.stdout and "Examples" in result.stdout
    assert get("mse")  # the registry still resolves after the CLI import


def test_whole_file_losses_compare_too(tmp_path: Path) -> None:
    """Circle and Dice (axis=None) depend on the whole file; the paired bootstrap recomputes them."""
    rng = np.random.default_rng(21)
    n = 60
    labels = rng.integers(0, 3, n).astype(float)
    emb = rng.normal(size=(n, 3))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    a = _write(tmp_path / "a.csv", y_true=labels, **{f"e{i}": emb[:, i] for i in range(3)})
    c = compare_models("circle(gamma=4.0)", a, a, y_pred="e*", replicates=100)
    assert c.losses[0].difference == 0.0 and c.losses[0].p_value == 1.0
    mask = (rng.uniform(size=n) > 0.5).astype(float)
    b = _write(tmp_path / "b.csv", y_true=mask, good=mask * 0.9 + 0.05, bad=rng.uniform(size=n))
    d = compare_models("dice", b, y_pred_baseline="bad", y_pred="good", replicates=200)
    assert d.losses[0].verdict == "better" and d.losses[0].p_value < 0.01


def test_nan_is_not_comparable_and_fails_a_gate() -> None:
    x = paired(
        "mse",
        "sum_over_batch_size",
        1.0,
        float("nan"),
        np.ones(10),
        np.full(10, np.nan),
        level=0.95,
        seed=0,
        margin=Margin(0.5, True),
    )
    assert x.verdict.startswith("not comparable")
    assert x.worse_beyond_margin  # a gate never passes a NaN
    assert np.isnan(x.p_value)


def test_csv_markdown_github_and_extension_read_the_same_document(tmp_path: Path) -> None:
    args = ["compare", "mse,mae", BASE, CAND, "--bootstrap", "200"]
    data = json.loads(losscli(*args, "--format", "json").stdout)
    csv = losscli(*args, "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    header, *rows = csv.stdout.splitlines()
    assert header.split(",")[:4] == ["loss", "baseline", "candidate", "difference"]
    for row, entry in zip(rows, data["losses"], strict=True):
        cells = row.split(",")
        assert float(cells[1]) == entry["baseline"]["value"]
        assert float(cells[3]) == entry["difference"]["value"]
        assert float(cells[5]) == entry["difference"]["ci"]["low"]
    target = tmp_path / "compare.md"
    assert losscli(*args, "-o", str(target)).returncode == 0
    assert target.read_text(encoding="utf-8").startswith("**losscli compare**")
    gate = losscli("compare", "mse", CAND, BASE, "--bootstrap", "200", "--format", "github")
    assert "::warning title=losscli compare%3A worse::candidate is worse" in gate.stdout
    better = losscli(*args, "--format", "github")
    assert "::" not in better.stdout


def test_chart_counts_are_in_the_json_with_a_chart_file(tmp_path: Path) -> None:
    target = tmp_path / "c.svg"
    args = ["compare", "mse", BASE, CAND, "--bootstrap", "50", "--format", "json"]
    plain = json.loads(losscli(*args).stdout)
    assert "histogram" not in plain["losses"][0]
    charted = json.loads(losscli(*args, "--plot", str(target)).stdout)
    histogram = charted["losses"][0]["histogram"]
    assert len(histogram["edges"]) == len(histogram["baseline"]) + 1
    assert sum(histogram["baseline"]) == sum(histogram["candidate"]) == 1000

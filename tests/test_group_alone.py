"""--group-by: every registered loss gives each group exactly what evaluating that group's rows
alone gives (bit for bit), however the file is cut into batches; and the number of groups is
bounded, failing early instead of building every group."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_process import losscli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_keras_fuzz import BUILTINS, STRATEGIES

from losscli.breakdown import Groups
from losscli.engine import Batch, evaluate_arrays, evaluate_batches
from losscli.errors import InputDataError, UsageError
from losscli.registry import BoundLoss, get, list_losses

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REDUCTIONS = ("sum_over_batch_size", "sum", "mean_with_sample_weight")


def _same(a: float, b: float) -> bool:
    return a == b or (np.isnan(a) and np.isnan(b))


@pytest.mark.parametrize("name", BUILTINS)
@SETTINGS
@given(data=st.data())
def test_each_group_equals_the_group_alone(name: str, data: st.DataObject) -> None:
    """Hinge decides its {0, 1} conversion per group, Dice/Tversky (axis=None) sum per
    group, Circle compares the rows of a group only: each group is its own batch."""
    case = STRATEGIES[name](data.draw)
    n = len(case.y_pred)
    keys = np.asarray(data.draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n)))
    w = data.draw(
        st.one_of(
            st.none(),
            st.lists(st.floats(0, 3), min_size=n, max_size=n).map(np.asarray),
        )
    )
    step = data.draw(st.integers(1, max(n, 1)))
    reduction = data.draw(st.sampled_from(REDUCTIONS))
    info = get(name)
    loss = BoundLoss(info, info.resolve_params(case.params))
    t, p = case.y_true.astype(np.float64), case.y_pred.astype(np.float64)
    groups = Groups("g", [loss])

    def batches() -> Iterator[Batch]:
        for start in range(0, n, step):
            rows = slice(start, start + step)
            weights = None if w is None else w[rows]
            yield Batch(t[rows], p[rows], weights, start, {"g": pa.array(keys[rows])})

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            evaluate_batches(
                [loss],
                batches,
                weighted=w is not None,
                reduction=reduction,
                on_batch=groups,
                on_prepass=groups.prepass,
            )
        except InputDataError:
            return  # the whole file is refused (e.g. bad shapes): no groups to compare
        for key, (result,) in groups.results(reduction):
            rows = keys == key
            (alone,) = evaluate_arrays(
                [loss], t[rows], p[rows], None if w is None else w[rows], reduction=reduction
            )
            assert _same(result.value, alone.value), (name, key, result.value, alone.value)
            assert result.count == alone.count


def _hinge_file(tmp_path: Path) -> Path:
    # group "a" holds only 0/1 labels (converted to -1/+1), group "b" holds -1/1 and 0
    path = tmp_path / "hinge.parquet"
    pq.write_table(
        pa.table(
            {
                "g": ["a", "a", "b", "b", "b"],
                "y_true": [0.0, 1.0, -1.0, 1.0, 0.0],
                "y_pred": [0.3, -0.2, 0.5, 0.9, -0.4],
            }
        ),
        path,
    )
    return path


def test_hinge_groups_convert_their_own_labels(tmp_path: Path) -> None:
    from losscli.api import evaluate
    from losscli.spec import parse_specs

    groups = Groups("g", parse_specs("hinge"))
    path = _hinge_file(tmp_path)
    evaluate(str(path), "hinge", keep=["g"], on_batch=groups, on_prepass=groups.prepass)
    found = {key: results[0].value for key, results in groups.results("sum_over_batch_size")}
    # "a" alone: every label is 0 or 1, so Keras converts: max(1 - [-1, 1] * [0.3, -0.2], 0)
    assert found["a"] == evaluate_arrays("hinge", [-1.0, 1.0], [0.3, -0.2])[0].value
    assert found["a"] == pytest.approx((1.3 + 1.2) / 2)


def _many_groups(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "ids.parquet"
    pq.write_table(
        pa.table({"id": np.arange(n), "y_true": np.zeros(n), "y_pred": np.ones(n)}), path
    )
    return path


def test_too_many_groups_is_exit_3_with_the_count_and_the_fix(tmp_path: Path) -> None:
    path = _many_groups(tmp_path, 5000)
    done = losscli("eval", "mse", str(path), "--group-by", "id", "--batch-size", "1000")
    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    assert "more than 1000 groups" in done.stderr and "--max-groups" in done.stderr
    # it stopped at the first batch that crossed the bound, not at the end of the file
    assert "at least 2000 by row 1999" in done.stderr


def test_max_groups_raises_the_bound(tmp_path: Path) -> None:
    path = _many_groups(tmp_path, 1500)
    done = losscli(
        "eval", "mse", str(path), "--group-by", "id", "--max-groups", "2000", "-f", "csv"
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1 + 1 + 1500
    done = losscli("eval", "mse", str(path), "--group-by", "id", "--max-groups", "10")
    assert done.returncode == 3 and "more than 10 groups" in done.stderr


def test_the_bound_is_checked_before_groups_are_made(tmp_path: Path) -> None:
    """One batch of 200k distinct values: refused before a single state is built."""
    from losscli.api import evaluate
    from losscli.spec import parse_specs

    groups = Groups("id", parse_specs("mse"), max_groups=100)
    with pytest.raises(InputDataError, match="more than 100 groups"):
        evaluate(str(_many_groups(tmp_path, 200_000)), "mse", keep=["id"], on_batch=groups)
    assert groups.states == {}


def _kinds(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Inputs of the shapes losses take (regression, binary, signed, classes, embeddings,
    pairs, boxes…); every group of `_KEYS` holds every class."""
    rng = np.random.default_rng(3)
    idx = (np.arange(n) % 3).astype(float)[:, None]
    probs = rng.uniform(0.05, 1, (n, 3))
    probs /= probs.sum(axis=1, keepdims=True)
    unit = rng.normal(size=(n, 4))
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    low = rng.uniform(0, 1, (n, 2))
    boxes = np.hstack([low, low + rng.uniform(0.5, 1, (n, 2))])
    signed = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)[:, None]
    return [
        (rng.uniform(0.5, 2, (n, 1)), rng.uniform(0.5, 2, (n, 1))),
        ((np.arange(n) % 2).astype(float)[:, None], rng.uniform(0.05, 0.95, (n, 1))),
        (signed, rng.normal(size=(n, 1))),
        (idx, probs),
        (idx, np.log(probs)),
        (np.eye(3)[(np.arange(n) % 3)], rng.normal(size=(n, 3))),
        (idx, unit),
        (signed, rng.normal(size=(n, 2))),
        (boxes, boxes + rng.uniform(-0.1, 0.1, (n, 4))),
        (rng.normal(size=(n, 2)), rng.normal(size=(n, 4))),
        (
            rng.normal(size=(n, 1)),
            np.hstack([rng.normal(size=(n, 1)), rng.uniform(0.5, 1, (n, 1))]),
        ),
        (np.hstack([idx, np.full((n, 2), -1.0)]), rng.normal(size=(n, 3))),
        (1 + (np.arange(2 * n) % 2).reshape(n, 2).astype(float), rng.normal(size=(n, 5, 3))),
    ]


_KEYS = np.array(["a", "b", "c"])[(np.arange(48) // 3) % 3]  # each group: every class


def _grouped(loss: BoundLoss, t: np.ndarray, p: np.ndarray) -> list[tuple[str, float, float]]:
    """(group, value with --group-by, value of the group's rows alone), batches of 5 rows."""
    groups = Groups("g", [loss])

    def batches() -> Iterator[Batch]:
        for start in range(0, len(p), 5):
            rows = slice(start, start + 5)
            yield Batch(t[rows], p[rows], None, start, {"g": pa.array(_KEYS[rows])})

    evaluate_batches([loss], batches, weighted=False, on_batch=groups, on_prepass=groups.prepass)
    out = []
    for key, (result,) in groups.results("sum_over_batch_size"):
        rows = key == _KEYS
        (alone,) = evaluate_arrays([loss], t[rows], p[rows])
        out.append((key, result.value, alone.value))
    return out


@pytest.mark.parametrize("name", sorted(i.name for i in list_losses() if i.origin == "built-in"))
def test_every_registered_loss_gives_each_group_its_value_alone(name: str) -> None:
    """Every family (keras, torch, sklearn, tfa): on the first input shape the loss takes,
    each group's value equals the group's rows evaluated alone, to the last bit."""
    info = get(name)
    loss = BoundLoss(info, info.resolve_params({}))
    for t, p in _kinds(len(_KEYS)):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                evaluate_arrays([loss], t, p)
            except (InputDataError, UsageError):
                continue  # not an input this loss takes
            found = _grouped(loss, t, p)
        assert len(found) == 3
        for key, grouped, alone in found:
            assert _same(grouped, alone), (name, key, grouped, alone)
        return
    pytest.fail(f"{name}: none of the test's input shapes suits it; add one to _kinds")


def test_circle_rows_do_not_depend_on_their_batch() -> None:
    """Each anchor's distances come from its own matrix-vector product: a matrix product of
    8 rows can round a row differently from one of 1 row (it did, by one bit)."""
    rng = np.random.default_rng(12)
    labels = rng.integers(0, 2, (40, 1)).astype(float)
    embeddings = rng.normal(size=(40, 7))
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    whole = evaluate_arrays("circle", labels, embeddings, reduction="none")[0].values
    for size in (1, 3, 8):
        batched = evaluate_arrays("circle", labels, embeddings, reduction="none", batch_size=size)
        assert np.array_equal(batched[0].values, whole)

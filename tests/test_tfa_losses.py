"""tfa.* losses: TensorFlow Addons no longer installs, so these tests hold the values and the
numpy oracles of TFA's own tests and docstrings (tensorflow_addons/losses/tests/*.py), plus
closed forms written independently here."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from family_files import cli, cli_error, cli_value, value, write

from losscli.engine import evaluate_arrays
from losscli.errors import UsageError

# ------------------------------------------------------------------- TFA's numpy oracles


def pairwise_distance_np(feature: np.ndarray, squared: bool = False) -> np.ndarray:
    """triplet_test.py / lifted_test.py: distances of the upper triangle, mirrored."""
    triu = np.triu_indices(feature.shape[0], 1)
    upper = np.linalg.norm(feature[triu[1]] - feature[triu[0]], axis=1)
    if squared:
        upper **= 2.0
    n = feature.shape[0]
    d = np.zeros((n, n))
    d[np.triu_indices(n, 1)] = upper
    return d + d.T - np.diag(d.diagonal())


def angular_distance_np(feature: np.ndarray) -> np.ndarray:
    normed = feature / np.linalg.norm(feature, ord=2, axis=1, keepdims=True)
    return 1 - normed @ normed.T


def triplet_semihard_loss_np(labels, embedding, margin, angular=False):  # type: ignore[no-untyped-def]
    n = embedding.shape[0]
    adjacency = np.equal(labels[:, None], labels[None, :])
    pdist = angular_distance_np(embedding) if angular else pairwise_distance_np(embedding, True)
    loss, positives = 0.0, 0.0
    for i in range(n):
        for j in range(n):
            if adjacency[i][j] and i != j:
                positives += 1.0
                pos = pdist[i][j]
                negs = sorted(pdist[i][k] for k in range(n) if not adjacency[i][k])
                chosen = negs[0]
                for chosen in negs:
                    if chosen > pos:
                        break
                loss += max(0.0, margin - chosen + pos)
    return loss / positives


def triplet_hard_loss_np(labels, embedding, margin, soft=False):  # type: ignore[no-untyped-def]
    n = embedding.shape[0]
    adjacency = np.equal(labels[:, None], labels[None, :])
    pdist = pairwise_distance_np(embedding, squared=True)
    loss = 0.0
    for i in range(n):
        pos = [pdist[i][j] for j in range(n) if adjacency[i][j] and i != j] or [0]
        neg = [pdist[i][j] for j in range(n) if not adjacency[i][j]]
        gap = max(pos) - min(neg)
        loss += np.log1p(np.exp(gap)) if soft else max(0.0, gap + margin)
    return loss / n


def lifted_struct_loss_np(labels, embedding, margin):  # type: ignore[no-untyped-def]
    n = embedding.shape[0]
    adjacency = np.equal(labels[:, None], labels[None, :])
    pdist = pairwise_distance_np(embedding)
    loss, constraints = 0.0, 0.0
    for i in range(n):
        for j in range(n):
            if adjacency[i][j] and i != j:
                negs = [margin - pdist[i][k] for k in range(n) if not adjacency[i][k]]
                negs += [margin - pdist[j][k] for k in range(n) if not adjacency[j][k]]
                negs = np.array(negs)
                top = np.max(negs)
                soft_maximum = np.log(np.sum(np.exp(negs - top))) + top
                constraints += 1.0
                loss += max(soft_maximum + pdist[i][j], 0) ** 2
    return loss / constraints / 2.0


def sparsemax_np(z: np.ndarray) -> np.ndarray:
    z = z - np.mean(z, axis=1)[:, None]
    z_sorted = np.sort(z, axis=1)[:, ::-1]
    z_cumsum = np.cumsum(z_sorted, axis=1)
    k = np.arange(1, z.shape[1] + 1)
    z_check = 1 + k * z_sorted > z_cumsum
    k_z = z.shape[1] - np.argmax(z_check[:, ::-1], axis=1)
    tau_sum = z_cumsum[np.arange(0, z.shape[0]), k_z - 1]
    tau_z = ((tau_sum - 1) / k_z).reshape(-1, 1)
    return np.maximum(0, z - tau_z)


def sparsemax_loss_np(z: np.ndarray, q: np.ndarray) -> np.ndarray:
    z = z - np.mean(z, axis=1)[:, None]
    z_k = np.sum(q * z, axis=1)
    p = sparsemax_np(z)
    s = p > 0
    return 0.5 * np.sum(s * p * (2 * z - p), axis=1) + 0.5 * np.sum(q, axis=1) - z_k


def weighted_kappa_loss_np(y_true, y_pred, weightage="quadratic", eps=1e-6):  # type: ignore[no-untyped-def]
    n, c = y_true.shape
    label_mat = np.tile(y_true.argmax(axis=1).reshape((-1, 1)), (1, c))
    row = np.arange(c).reshape((1, c))
    gap = label_mat - np.tile(row, (n, 1))
    weight = np.abs(gap) if weightage == "linear" else gap**2
    numerator = (y_pred * weight).sum()
    grid = np.tile(row.T, (1, c)) - np.tile(row, (c, 1))
    weight_ = grid**2 if weightage == "quadratic" else np.abs(grid)
    denominator = (
        y_true.sum(axis=0, keepdims=True) @ (weight_ @ y_pred.sum(axis=0, keepdims=True).T)
    ).sum() / n
    return np.log(np.nan_to_num(numerator / denominator) + eps)


# ------------------------------------------------------------------------- per-sample losses


def test_focal_docstring_values_in_float32() -> None:
    """TFA's docstring: fl([[0.97], [0.91], [0.03]], [[1.0], [1.0], [0.0]]) (y_true first)."""
    got = evaluate_arrays(
        "tfa.sigmoid_focal_crossentropy",
        [[0.97], [0.91], [0.03]],
        [[1.0], [1.0], [0.0]],
        reduction="none",
        dtype="float32",
    )[0].values
    np.testing.assert_allclose(got, [0.00010971, 0.0032975, 0.00030611], rtol=2e-4)


@pytest.mark.parametrize("from_logits", [False, True])
def test_focal_tfa_test_assertions(from_logits: bool) -> None:
    """focal_loss_test.py: without alpha and gamma it is tf.keras's BCE; with gamma=2 the
    ratio bce/focal has these orders of magnitude."""
    p = np.array([[0.97], [0.91], [0.73], [0.27], [0.09], [0.03]])
    t = np.array([[1], [1], [1], [0], [0], [0]], dtype=float)
    x = np.log(p / (1 - p)) if from_logits else p
    spec = f"tfa.sigmoid_focal_crossentropy(alpha=null, gamma=null, from_logits={str(from_logits).lower()})"
    fl = value(spec, t, x, reduction="none")
    # tf.keras.backend.binary_crossentropy, written out: clip, then eps inside the logs
    if from_logits:
        bce = np.log1p(np.exp(-x[:, 0])) + (1 - t[:, 0]) * x[:, 0]
    else:
        q = np.clip(p[:, 0], 1e-7, 1 - 1e-7)
        bce = -(t[:, 0] * np.log(q + 1e-7) + (1 - t[:, 0]) * np.log(1 - q + 1e-7))
    np.testing.assert_allclose(fl, bce, rtol=1e-12)
    spec = spec.replace("gamma=null", "gamma=2.0")
    fl = value(spec, t, x, reduction="none")
    np.testing.assert_allclose(
        np.power(10.0, np.floor(np.log10(bce / fl))), [1000, 100, 10, 10, 100, 1000]
    )


def test_focal_sums_the_last_axis_with_alpha() -> None:
    t = np.array([[1.0, 0.0]])
    p = np.array([[0.8, 0.4]])
    # closed form: alpha_t (1 - p_t)^2 (-log p_t), summed over the two columns
    want = 0.25 * 0.2**2 * -np.log(0.8 + 1e-7) + 0.75 * 0.4**2 * -np.log(0.6 + 1e-7)
    assert value("tfa.sigmoid_focal_crossentropy", t, p) == pytest.approx(want, rel=1e-12)


B1 = np.array([[4.0, 3.0, 7.0, 5.0], [5.0, 6.0, 10.0, 7.0]])
B2 = np.array([[3.0, 4.0, 6.0, 8.0], [14.0, 14.0, 15.0, 15.0]])


def test_giou_tfa_values() -> None:
    """giou_loss_test.py: giou_loss(boxes1, boxes2) with boxes1 as y_true."""
    got = value("tfa.giou", B1, B2, reduction="none")
    np.testing.assert_allclose(got, [1.07500000298023224, 1.9333333373069763], rtol=1e-7)
    got = value("tfa.giou(mode='iou')", B1, B2, reduction="none")
    np.testing.assert_allclose(got, [0.875, 1.0], rtol=1e-12)
    assert value("tfa.giou", B1, B2) == pytest.approx(1.5041667222976685, rel=1e-7)
    assert value("tfa.giou", B1.astype(int), B2.astype(int)) == pytest.approx(1.5041667, rel=1e-7)


def test_giou_closed_form_of_disjoint_and_identical_boxes() -> None:
    # identical: IoU 1, no gap → 0; disjoint unit squares 1 apart: IoU 0, enclosing 3, union 2
    t = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
    p = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 2.0, 1.0, 3.0]])
    np.testing.assert_allclose(value("tfa.giou", t, p, reduction="none"), [0.0, 1 + 1 / 3])


def test_giou_from_a_list_column_and_from_four_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "boxes.parquet"
    pq.write_table(pa.table({"y_true": list(B1), "y_pred": list(B2)}), path)
    assert cli("tfa.giou", str(path))["value"] == pytest.approx(1.5041667222976685, rel=1e-7)
    path = write(tmp_path / "cols.parquet", {"t": B1, "p": B2})
    got = cli("tfa.giou", str(path), "--y-true", "t_*", "--y-pred", "p_*")
    assert got["value"] == pytest.approx(1.5041667222976685, rel=1e-7)


_CT = np.array([0, 0, 1, 1, 0, 1], dtype=float)
_CP = np.array([0.1, 0.3, 1.3, 0.7, 1.1, 0.5])


def test_contrastive_tfa_values() -> None:
    """contrastive_test.py, every reduction and weighting it tests."""
    assert value("tfa.contrastive", _CT, _CP) == pytest.approx(0.621666, abs=1e-6)
    w = np.array([1.2, 0.8, 0.5, 0.4, 1.5, 1.0])
    assert value("tfa.contrastive", _CT, _CP, w) == pytest.approx(0.4425, rel=1e-12)
    assert value("tfa.contrastive(margin=2.0)", _CT, _CP) == pytest.approx(1.623333, abs=1e-6)
    assert value("tfa.contrastive", _CT, _CP, np.full(6, 6.0)) == pytest.approx(3.73)
    assert value("tfa.contrastive", _CT, _CP, np.zeros(6)) == 0.0
    np.testing.assert_allclose(
        value("tfa.contrastive", _CT, _CP, reduction="none"), [0.81, 0.49, 1.69, 0.49, 0, 0.25]
    )
    assert value("tfa.contrastive", _CT, _CP, reduction="sum") == pytest.approx(3.73)


_PT = np.array([1, 9, 2, -5, -2, 6], dtype=float).reshape(2, 3)
_PP = np.array([4, 8, 12, 8, 1, 3], dtype=float).reshape(2, 3)


@pytest.mark.parametrize(
    ("tau", "want"), [(0.5, 2.75), (0.0, 4.8333), (0.1, 4.4166), (0.9, 1.0833), (1.0, 0.6666)]
)
def test_pinball_tfa_values(tau: float, want: float) -> None:
    """quantiles_test.py (asserted there to 3 decimals)."""
    assert value(f"tfa.pinball(tau={tau})", _PT, _PP) == pytest.approx(want, abs=1e-3)


def test_pinball_tfa_weighted_and_reduced() -> None:
    assert value("tfa.pinball", _PT, _PT) == 0
    assert value("tfa.pinball", _PT, _PP, np.full(2, 2.3)) == pytest.approx(6.325)
    assert value("tfa.pinball", _PT, _PP, np.array([1.2, 3.4])) == pytest.approx(40.7 / 6)
    np.testing.assert_allclose(
        value("tfa.pinball", _PT, _PP, np.full(2, 2.3), reduction="none"),
        [5.3666, 7.28333],
        atol=1e-3,
    )
    assert value("tfa.pinball", _PT, _PP, np.full(2, 2.3), reduction="sum") == pytest.approx(12.65)


def _sparsemax_case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    random = np.random.RandomState(seed)
    z = random.uniform(low=-3, high=3, size=(17, 10))
    q = np.zeros((17, 10))
    q[np.arange(17), random.randint(0, 10, size=17)] = 1
    return q, z


def test_sparsemax_against_tfas_numpy_oracle() -> None:
    q, z = _sparsemax_case(1)
    np.testing.assert_allclose(
        value("tfa.sparsemax", q, z, reduction="none"), sparsemax_loss_np(z, q), rtol=1e-10
    )
    assert value("tfa.sparsemax", q, z) == pytest.approx(np.mean(sparsemax_loss_np(z, q)))


def test_sparsemax_propositions() -> None:
    """sparsemax_loss_test.py: non-negative, shift-invariant, zero for a clear winner."""
    q, z = _sparsemax_case(5)
    assert np.all(value("tfa.sparsemax", q, z, reduction="none") >= 0)
    c = np.random.RandomState(4).uniform(-3, 3, size=(17, 1))
    np.testing.assert_allclose(
        value("tfa.sparsemax", q, z + c, reduction="none"),
        value("tfa.sparsemax", q, z, reduction="none"),
        rtol=5e-6,
        atol=5e-6,
    )
    z[:, 0] = np.max(z, axis=1) + 1.05
    q = np.zeros_like(z)
    q[:, 0] = 1
    np.testing.assert_allclose(value("tfa.sparsemax", q, z, reduction="none"), 0, atol=1e-12)


def test_sparsemax_infinities_as_tfa() -> None:
    from losscli.registry import get

    q = np.array([[0, 0, 1]] * 4, dtype=float)
    z_neg = np.array([[0, -np.inf, 0], [0, -np.inf, -np.inf], [-np.inf, -np.inf, 0], [-np.inf] * 3])
    np.testing.assert_equal(get("tfa.sparsemax")(q, z_neg), [0.25, np.inf, 0, np.nan])
    z_pos = np.array([[0, np.inf, 0], [0, np.inf, np.inf], [np.inf, np.inf, 0], [np.inf] * 3])
    np.testing.assert_equal(get("tfa.sparsemax")(q, z_pos), [np.nan] * 4)


# ------------------------------------------------------------------------ batch-level losses

RNG = np.random.default_rng(3)


def _metric_case(n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    return RNG.integers(0, 4, n).astype(float), RNG.uniform(size=(n, 6))


@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_triplet_semihard_against_tfas_oracle(margin: float) -> None:
    labels, embedding = _metric_case()
    got = value(f"tfa.triplet_semihard(margin={margin})", labels, embedding)
    assert got == pytest.approx(triplet_semihard_loss_np(labels, embedding, margin), rel=1e-10)
    got = value(
        f"tfa.triplet_semihard(margin={margin}, distance_metric='angular')", labels, embedding
    )
    want = triplet_semihard_loss_np(labels, embedding, margin, angular=True)
    assert got == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("soft", [False, True])
def test_triplet_hard_against_tfas_oracle(soft: bool) -> None:
    labels, embedding = _metric_case()
    got = value(f"tfa.triplet_hard(soft={str(soft).lower()})", labels, embedding)
    assert got == pytest.approx(triplet_hard_loss_np(labels, embedding, 1.0, soft), rel=1e-10)


def test_triplet_l1_is_tfas_euclidean() -> None:
    """TFA's 'L_1' is the plain Euclidean distance (pairwise_distance(squared=False))."""
    labels = np.array([0.0, 0.0, 1.0])
    embedding = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    # anchor 0: d(0,1) = 5, hardest negative d(0,2) = 1 → 5; anchor 1: 5 - sqrt(18)
    # anchor 2 has no positive: 0 - min(1, sqrt(18)) + 1 → 0
    want = ((5 - 1 + 1) + (5 - np.sqrt(18) + 1) + 0) / 3
    got = value("tfa.triplet_hard(distance_metric='L_1')", labels, embedding)
    assert got == pytest.approx(want, rel=1e-12)


def test_npairs_tfa_value() -> None:
    """npairs_test.py: f and fp given as the anchor and positive halves of y_pred."""
    f = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    got = value("tfa.npairs", np.arange(4.0), np.hstack([f, f]))
    assert got == pytest.approx(0.253856, abs=1e-6)


def test_lifted_struct_against_tfas_oracle() -> None:
    labels, embedding = _metric_case(10)
    assert value("tfa.lifted_struct", labels, embedding) == pytest.approx(
        lifted_struct_loss_np(labels, embedding, 1.0), rel=1e-10
    )
    assert value("tfa.lifted_struct(margin=0.5)", labels, embedding) == pytest.approx(
        lifted_struct_loss_np(labels, embedding, 0.5), rel=1e-10
    )


def _kappa_case(n: int, c: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    np.random.seed(seed)
    labels = np.random.uniform(size=(n, c)).argmax(axis=1)
    y_pred = np.random.uniform(size=(n, c))
    return np.eye(c)[labels], y_pred / y_pred.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_weighted_kappa_against_tfas_oracle(seed: int) -> None:
    y_true, y_pred = _kappa_case(50, 4, seed)
    got = value("tfa.weighted_kappa(weightage='linear')", y_true, y_pred)
    assert got == pytest.approx(weighted_kappa_loss_np(y_true, y_pred, "linear"), rel=1e-10)
    y_true, y_pred = _kappa_case(100, 3, seed)
    got = value("tfa.weighted_kappa", y_true.argmax(axis=1), y_pred)  # class indices
    assert got == pytest.approx(weighted_kappa_loss_np(y_true, y_pred), rel=1e-10)


def test_batch_level_tfa_losses_read_the_whole_file(tmp_path: Path) -> None:
    labels, embedding = _metric_case(30)
    path = write(tmp_path / "emb.parquet", {"label": labels, "e": embedding})
    want = triplet_semihard_loss_np(labels, embedding, 1.0)
    got = cli(
        "tfa.triplet_semihard",
        str(path),
        "--y-true",
        "label",
        "--y-pred",
        "e_*",
        "--batch-size",
        "7",
    )
    assert got["value"] == pytest.approx(want, rel=1e-10)
    code, err = cli_error(
        "tfa.triplet_semihard", str(path), "--y-true", "label", "--y-pred", "e_*", "-r", "none"
    )
    assert code == 2 and "one value for the whole file" in err


def test_pairwise_losses_state_their_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from losscli.losses import _batch

    monkeypatch.setattr(_batch, "MAX_PAIRWISE_ROWS", 10)
    labels, embedding = _metric_case(30)
    path = write(tmp_path / "emb.parquet", {"label": labels, "e": embedding})
    code, err = cli_error("tfa.lifted_struct", str(path), "--y-true", "label", "--y-pred", "e_*")
    assert code == 3 and "every pair of rows" in err and "at most 10 rows" in err


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tfa.triplet_hard(distance_metric='cosine')", "distance_metric must be one of"),
        ("tfa.weighted_kappa(weightage='cubic')", "weightage must be"),
        ("tfa.giou(mode='diou')", "mode must be"),
        ("tfa.pinball(tau=2)", "tau must be in [0, 1]"),
        ("tfa.sigmoid_focal_crossentropy(gamma=-1)", "gamma must be >= 0"),
    ],
)
def test_bad_parameters(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        value(spec, _CT, _CP)


@pytest.mark.parametrize(
    ("spec", "t", "p", "want"),
    [
        ("tfa.contrastive", _CT, _CP, 0.621666),
        ("tfa.pinball(tau=0.9)", _PT, _PP, 1.0833),
        ("tfa.giou(mode='iou')", B1, B2, 0.9375),
        (
            "tfa.npairs",
            np.arange(4.0),
            np.hstack([np.array([[1.0, 1], [1, -1], [-1, 1], [-1, -1]])] * 2),
            0.253856,
        ),
        (
            "tfa.weighted_kappa",
            np.array([2.0, 1, 0, 3]),
            np.array(
                [
                    [0.1, 0.2, 0.6, 0.1],
                    [0.1, 0.5, 0.3, 0.1],
                    [0.8, 0.05, 0.05, 0.1],
                    [0.01, 0.09, 0.1, 0.8],
                ]
            ),
            -1.1611923,
        ),
    ],
)
def test_tfa_values_from_a_file_through_the_cli(
    spec: str, t: np.ndarray, p: np.ndarray, want: float, tmp_path: Path
) -> None:
    got = cli_value(tmp_path, spec, t, p, "--batch-size", "3")
    assert got["value"] == pytest.approx(want, abs=1e-4)


def test_group_by_makes_each_group_the_batch(tmp_path: Path) -> None:
    import json

    from family_files import runner

    from losscli.cli import app

    labels, embedding = _metric_case(24)
    groups = np.arange(24) % 2
    path = write(tmp_path / "emb.parquet", {"label": labels, "e": embedding, "g": groups})
    args = ["eval", "tfa.triplet_hard", str(path), "--y-true", "label", "--y-pred", "e_*"]
    result = runner.invoke(app, [*args, "--group-by", "g", "--batch-size", "5", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    for group in json.loads(result.stdout)["groups"]["values"]:
        rows = groups == group["key"]
        want = triplet_hard_loss_np(labels[rows], embedding[rows], 1.0)
        assert group["results"][0]["value"] == pytest.approx(want, rel=1e-10)

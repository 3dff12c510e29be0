"""`losscli compare`: two models on the same samples, a paired bootstrap and a verdict.

Each model is evaluated on its own streaming pass with a Poisson bootstrap hook
(losscli.bootstrap). The replicate weights are a function of (seed, sample, replicate),
where the sample is the row number (rows matched in order) or the `--on` key, so replicate
j reweights the same samples in both passes: the differences of the two models' replicates
are a paired bootstrap of the difference, in O(B) memory whatever the file size.

The p-value is the paired bootstrap's, two-sided, from the null-centred replicates (Efron &
Tibshirani, ch. 16): p = (1 + #{j : |d_j - mean(d)| ≥ |d|}) / (B + 1). Losses are lower-is-
better: the candidate is "better" when the whole interval of the difference is below 0,
"worse" when it is above 0, and worse *beyond a margin* when its lower end exceeds the margin.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losscli.bootstrap import Bootstrap, Interval, interval
from losscli.engine import Batch, Output
from losscli.errors import InputDataError, UsageError

P_METHOD = "paired bootstrap, two-sided, null-centred"


@dataclass(frozen=True)
class Margin:
    """How much worse the candidate may be: absolute (0.01) or relative to the baseline (1%)."""

    value: float
    relative: bool

    def __str__(self) -> str:
        return f"{self.value * 100:g}%" if self.relative else f"{self.value:g}"


def parse_margin(text: str | float, *, what: str = "--margin") -> Margin:
    """'1%' → relative 0.01; '0.01' (or a number) → absolute 0.01."""
    raw = str(text).strip()
    relative = raw.endswith("%")
    try:
        value = float(raw[:-1] if relative else raw)
    except ValueError:
        raise UsageError(
            f"{what} {raw!r} is not a number",
            hint="an absolute margin (0.01) or a relative one (1%)",
        ) from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"{what} {raw!r} must be a finite number ≥ 0")
    return Margin(value / 100 if relative else value, relative)


@dataclass
class LossComparison:
    """One loss, both models: values, intervals, the paired difference and the verdict."""

    spec: str
    reduction: str
    baseline: float
    candidate: float
    baseline_ci: Interval
    candidate_ci: Interval
    difference: float
    relative: float | None
    difference_ci: Interval
    relative_ci: Interval | None
    p_value: float
    verdict: str  # better | worse | no clear difference | not comparable (…)
    worse_beyond_margin: bool
    #: per-sample values of each model (a bounded sample), for `--plot`
    samples: tuple[np.ndarray, np.ndarray] | None = None

    def sentence(self, margin: Margin | None = None) -> str:
        """The one-line verdict."""
        level = f"{self.difference_ci.level:.0%}"
        rel = "" if self.relative is None else f", {self.relative:+.2%}"
        lo, hi = self.difference_ci.low, self.difference_ci.high
        detail = (
            f"{self.candidate:.6g} vs {self.baseline:.6g} (Δ {self.difference:+.4g}{rel}; "
            f"{level} CI [{lo:+.4g}, {hi:+.4g}]; p = {self.p_value:.3g})"
        )
        if self.verdict == "better":
            head = f"candidate is better on {self.spec}"
        elif self.verdict == "worse":
            head = f"candidate is worse on {self.spec}"
        elif self.verdict == "no clear difference":
            head = f"no clear difference on {self.spec}"
        else:
            head = f"{self.spec}: {self.verdict}"
        if margin is not None and self.verdict == "worse":
            beyond = "beyond" if self.worse_beyond_margin else "but within"
            head += f", {beyond} the {margin} margin"
        return f"{head}: {detail}"


@dataclass
class Model:
    """One side of the comparison: where its predictions came from."""

    path: str
    y_pred: str
    rows: int = 0
    format: str = ""
    labels: str | None = None


@dataclass
class Comparison:
    baseline: Model
    candidate: Model
    losses: list[LossComparison]
    level: float
    replicates: int
    seed: int
    margin: Margin | None
    paired_on: str  # "row order" or "key <column>"
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """The candidate is worse beyond the margin on some loss (what --fail-if-worse gates)."""
        return any(c.worse_beyond_margin for c in self.losses)


def compare_models(
    loss: str,
    baseline: str,
    candidate: str | None = None,
    *,
    y_pred: str = "y_pred",
    y_pred_baseline: str | None = None,
    on: str | None = None,
    labels: str | None = None,
    level: float = 0.95,
    replicates: int = 1000,
    seed: int = 0,
    margin: Margin | None = None,
    keep_samples: bool = False,
    reduction: str = "sum_over_batch_size",
    **options: Any,
) -> Comparison:
    """Evaluate LOSS for both models and compare them pairwise.

    Two files (`baseline`, `candidate`) with rows in the same order, or matched by the `on`
    key; or one file (`candidate=None`) whose `y_pred_baseline` and `y_pred` columns are the
    two models. `options` are `losscli.evaluate`'s reading options (y_true, sample_weight,
    dtype, batch_size, nan_policy, …), used for both models.
    """
    from losscli.bootstrap import check_level, check_reduction
    from losscli.spec import parse_specs

    check_level(level)
    check_reduction(reduction)
    losses = parse_specs(loss)
    if candidate is None:
        if y_pred_baseline is None:
            raise UsageError(
                "compare needs two prediction files, or one file and --y-pred-baseline",
                hint="losscli compare LOSS BASELINE CANDIDATE, or LOSS FILE --y-pred-baseline COL",
            )
        candidate = baseline
    if baseline == candidate == "-":
        raise UsageError(
            "compare reads each model's predictions on its own pass; standard input can be read "
            "only once",
            hint="save the predictions to a file first, or give the other model's file",
        )
    base = Model(baseline, y_pred_baseline or y_pred, labels=labels)
    cand = Model(candidate, y_pred, labels=labels)
    side = {
        "on": on,
        "labels": labels,
        "replicates": replicates,
        "seed": seed,
        "keep_samples": keep_samples,
        "reduction": reduction,
        "options": options,
    }
    sides = [_evaluate_side(model, loss, losses, **side) for model in (base, cand)]
    (b_eval, b_boot, b_print, b_spread), (c_eval, c_boot, c_print, c_spread) = sides
    _check_same_samples(base, cand, b_print, c_print, on=on, shared_labels=labels is not None)
    comparisons = []
    for i, (b_res, c_res) in enumerate(zip(b_eval.results, c_eval.results, strict=True)):
        b_reps = b_boot.replicate_values(i, b_res)
        c_reps = c_boot.replicate_values(i, c_res)
        samples = None
        if keep_samples:
            samples = (_sample_values(b_spread, i), _sample_values(c_spread, i))
        comparisons.append(
            paired(
                b_res.loss.canonical(),
                reduction,
                b_res.value,
                c_res.value,
                b_reps,
                c_reps,
                level=level,
                seed=seed,
                margin=margin,
                samples=samples,
            )
        )
    warnings = [f"baseline: {w}" for w in b_eval.warnings]
    warnings += [f"candidate: {w}" for w in c_eval.warnings]
    return Comparison(
        base,
        cand,
        comparisons,
        level,
        replicates,
        seed,
        margin,
        "row order" if on is None else f"key {on}",
        warnings,
    )


def paired(
    spec: str,
    reduction: str,
    baseline: float,
    candidate: float,
    baseline_reps: np.ndarray,
    candidate_reps: np.ndarray,
    *,
    level: float,
    seed: int,
    margin: Margin | None = None,
    samples: tuple[np.ndarray, np.ndarray] | None = None,
) -> LossComparison:
    """The paired statistics of one loss from both models' point values and replicates."""
    diff = candidate - baseline
    reps = candidate_reps - baseline_reps
    diff_ci = interval(reps, level, seed)
    relative = diff / abs(baseline) if baseline != 0 else None
    relative_ci = None
    if relative is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            relative_ci = interval(reps / np.abs(baseline_reps), level, seed)
    p_value = p_paired(diff, reps)
    if not (math.isfinite(diff) and math.isfinite(diff_ci.low)):
        verdict = "not comparable (a value is NaN or infinite)"
    elif diff_ci.high < 0:
        verdict = "better"
    elif diff_ci.low > 0:
        verdict = "worse"
    else:
        verdict = "no clear difference"
    return LossComparison(
        spec=spec,
        reduction=reduction,
        baseline=baseline,
        candidate=candidate,
        baseline_ci=interval(baseline_reps, level, seed),
        candidate_ci=interval(candidate_reps, level, seed),
        difference=diff,
        relative=relative,
        difference_ci=diff_ci,
        relative_ci=relative_ci,
        p_value=p_value,
        verdict=verdict,
        worse_beyond_margin=worse_beyond(diff_ci, relative_ci, margin or Margin(0.0, False)),
        samples=samples,
    )


def p_paired(observed: float, replicates: np.ndarray) -> float:
    """Two-sided paired bootstrap p-value of H0 "no difference": how often the null-centred
    replicate differences are at least as far from 0 as the observed one."""
    if not math.isfinite(observed) or not np.isfinite(replicates).all():
        return math.nan
    centred = np.abs(replicates - replicates.mean())
    # a relative tolerance, so that identical models (all zeros) give exactly p = 1
    extreme = int(np.sum(centred >= abs(observed) * (1 - 1e-9)))
    return (1 + extreme) / (1 + len(replicates))


def worse_beyond(diff_ci: Interval, relative_ci: Interval | None, margin: Margin) -> bool:
    """The candidate is worse than the baseline by more than the margin at the interval's
    confidence: the interval's lower end is above the margin (NaN counts as worse)."""
    bound = relative_ci if margin.relative else diff_ci
    if bound is None:  # a relative margin on a zero baseline: any increase is infinitely worse
        return diff_ci.low > 0
    return not bound.low <= margin.value


def _evaluate_side(
    model: Model,
    loss: str,
    losses: Sequence[Any],
    *,
    on: str | None,
    labels: str | None,
    replicates: int,
    seed: int,
    keep_samples: bool,
    reduction: str,
    options: dict[str, Any],
) -> tuple[Any, Bootstrap, _Fingerprint, Any]:
    from losscli.api import evaluate
    from losscli.breakdown import Distribution, chain

    key = on
    boot = Bootstrap(losses, replicates=replicates, seed=seed, key_column=key)
    fingerprint = _Fingerprint(boot.keys)
    spread = Distribution(losses, cap=1 << 16) if keep_samples else None
    evaluation = evaluate(
        model.path,
        loss,
        y_pred=model.y_pred,
        labels=labels,
        on=on if labels is not None else None,  # without --labels, --on only pairs the files
        keep=[key] if key else [],
        reduction=reduction,
        on_batch=chain([boot, fingerprint, spread]),
        **options,
    )
    model.rows, model.format = evaluation.input.rows, evaluation.input.format
    return evaluation, boot, fingerprint, spread


def _sample_values(spread: Any, index: int) -> np.ndarray:
    samples = getattr(spread, "samples", None)
    return np.asarray(samples[index].values) if samples else np.empty(0)


class _Fingerprint:
    """Order-independent 64-bit sums of hashed (sample key) and (sample key, y_true, weight):
    two passes saw the same samples with the same labels when both sums agree."""

    def __init__(self, keys: Callable[[Batch], np.ndarray]) -> None:
        self._keys = keys
        self.samples = np.uint64(0)
        self.labels = np.uint64(0)

    def __call__(self, batch: Batch, outputs: list[Output]) -> None:
        from losscli.bootstrap import _mix

        n = len(batch.y_pred)
        keyed = _mix(self._keys(batch).astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15))
        h = keyed.copy()
        columns = [np.asarray(batch.y_true, dtype=np.float64).reshape(n, -1)]
        if batch.sample_weight is not None:
            columns.append(np.asarray(batch.sample_weight, dtype=np.float64).reshape(n, -1))
        for values in columns:
            bits = np.ascontiguousarray(values + 0.0).view(np.uint64)  # -0.0 counts as 0.0
            for j in range(bits.shape[1]):
                h = _mix(h ^ bits[:, j])
        with np.errstate(over="ignore"):
            self.samples = np.uint64(self.samples + keyed.sum(dtype=np.uint64))
            self.labels = np.uint64(self.labels + h.sum(dtype=np.uint64))


def _check_same_samples(
    base: Model,
    cand: Model,
    b_print: _Fingerprint,
    c_print: _Fingerprint,
    *,
    on: str | None,
    shared_labels: bool,
) -> None:
    """A paired comparison needs the same samples (and the same labels) on both sides."""
    if base.rows != cand.rows:
        raise InputDataError(
            f"the baseline has {base.rows} rows and the candidate {cand.rows}; a paired "
            "comparison needs the same samples",
            path=cand.path,
            hint="compare predictions of the same rows (or match them with --on KEY)",
        )
    if b_print.samples != c_print.samples:
        raise InputDataError(
            f"the baseline and the candidate do not hold the same values of key {on!r}",
            path=cand.path,
            hint="both files need one row per sample with the same keys",
        )
    if not shared_labels and b_print.labels != c_print.labels:
        how = "row" if on is None else f"key {on!r}"
        raise InputDataError(
            f"y_true (or sample_weight) differs from the baseline's ({base.path}) for at "
            f"least one {how}: these are not predictions of the same samples",
            path=cand.path,
            hint="take the labels from one file for both with --labels FILE",
        )

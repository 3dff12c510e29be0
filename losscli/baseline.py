"""Baselines in `losscli check`: "no worse than the model on main by more than 1%".

A check may name `baseline = "main_preds.parquet"` (relative to the config file) and
`max_regression = 0.01` (absolute) or `"1%"` (relative to the baseline's value). The
baseline file is evaluated exactly as the check's own file (same loss or heads, columns,
reduction, weights, labels), and the check fails when its value exceeds the baseline's by
more than `max_regression`. Without `max_regression` the baseline is only reported.

The gate compares the two values as computed, with no resampling: it is deterministic and
costs one more read. For a gate that asks whether a regression is beyond noise, use
`losscli compare --fail-if-worse`, whose paired bootstrap needs the same samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from losscli.compare import Margin, parse_margin
from losscli.errors import UsageError

KEYS = ("baseline", "max_regression")


@dataclass(frozen=True)
class BaselineGate:
    """What a check's config asks: the baseline file and the allowed regression (if any)."""

    path: str
    max_regression: Margin | None


@dataclass
class BaselineOutcome:
    """The baseline's value, the difference, and whether the check's value is within bounds."""

    gate: BaselineGate
    value: float | None = None
    difference: float | None = None
    relative: float | None = None
    ok: bool = True
    error: str | None = None

    def describe(self) -> str:
        """'baseline 0.3475, Δ -0.0255 (-7.35%) ≤ 1%' for messages and JUnit."""
        if self.error:
            return f"baseline {self.gate.path}: {self.error}"
        assert self.value is not None and self.difference is not None
        rel = "" if self.relative is None else f" ({self.relative:+.2%})"
        text = f"baseline {self.value:.6g}, Δ {self.difference:+.4g}{rel}"
        if self.gate.max_regression is not None:
            text += f" {'≤' if self.ok else '>'} {self.gate.max_regression}"
        return text

    def as_dict(self) -> dict[str, Any]:
        limit = self.gate.max_regression
        return {
            "path": self.gate.path,
            "value": _finite(self.value),
            "difference": _finite(self.difference),
            "relative": _finite(self.relative),
            "max_regression": None
            if limit is None
            else {"value": limit.value, "relative": limit.relative},
            "passed": self.ok,
            "error": self.error,
            "summary": self.describe(),
        }


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def parse_gate(
    path: str | None, limit: Any, base: Path, fail: Callable[[str, str], Exception]
) -> BaselineGate | None:
    """A check's `baseline`/`max_regression` keys → a gate (or None); errors name the key."""
    if path is None:
        if limit is not None:
            raise fail(
                "max_regression compares with a baseline: add baseline = …", "max_regression"
            )
        return None
    margin = None
    if limit is not None:
        try:
            margin = parse_margin(limit, what="max_regression")
        except UsageError as exc:
            raise fail(str(exc), "max_regression") from None
    file = Path(path)
    return BaselineGate(str(file if file.is_absolute() else base / file), margin)


def apply_baselines(results: Sequence[Any], run: Callable[[Any], list[Any]]) -> None:
    """Evaluate each gated check's baseline (with `run`, check.run_checks on a one-check
    config) and fail the checks that regressed beyond their `max_regression`."""
    gated = [r for r in results if r.check.baseline is not None and r.status != "error"]
    if not gated:
        return
    twins = [
        replace(
            r.check,
            options=r.check.options.with_values(
                files=[r.check.baseline.path], fail_above=[], fail_below=[], report_only=True
            ),
            baseline=None,
        )
        for r in gated
    ]
    for result, twin_result in zip(gated, run(twins), strict=True):
        gate = result.check.baseline
        outcome = BaselineOutcome(gate)
        result.baseline = outcome
        if twin_result.status == "error":
            outcome.ok, outcome.error = False, twin_result.error
            result.status = "error"
            continue
        result.warnings += [f"baseline: {w}" for w in twin_result.warnings]
        outcome.value = twin_result.value
        outcome.difference = result.value - twin_result.value
        if twin_result.value != 0:
            outcome.relative = outcome.difference / abs(twin_result.value)
        outcome.ok = _within(outcome, gate.max_regression)
        if not outcome.ok and result.status == "pass":
            result.status = "fail"


def _within(outcome: BaselineOutcome, limit: Margin | None) -> bool:
    if limit is None:
        return True
    difference = outcome.difference if outcome.difference is not None else math.nan
    if limit.relative:
        if outcome.relative is None:  # a zero baseline: only no increase at all passes
            return difference <= 0
        return outcome.relative <= limit.value  # NaN fails
    return difference <= limit.value

"""CI gates: `--fail-above` / `--fail-below` bounds checked against results.

A bound is `X` (every result) or `TARGET=X` (one result). TARGET is a loss name, alias or
canonical spec (`mse`, `huber(delta=0.5)`), a position among the specs (`#0`, `#1`, for two
specs of the same loss), a head name, or `total` for the weighted sum of heads. The split is
on the last `=`, so `'huber(delta=0.5)=0.3'` works. A targeted bound replaces the untargeted
one of the same kind for its result.

No data, no pass: a bound on a result over zero counted samples (every row omitted by
`--nan-policy omit`, every weight 0) or on a NaN or infinite value is not a pass and not a
plain failure either: the gate cannot be decided, which is an input-data error (exit 3).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from losscli.errors import InputDataError, UsageError

ABOVE = "above"
BELOW = "below"


@dataclass(frozen=True)
class Bound:
    kind: str  # ABOVE: fail when value > limit; BELOW: fail when value < limit
    limit: float
    target: str | None = None

    @property
    def option(self) -> str:
        return f"--fail-{self.kind}"

    def violated_by(self, value: float) -> bool:
        if math.isnan(value):
            return True
        return value > self.limit if self.kind == ABOVE else value < self.limit


@dataclass(frozen=True)
class Gated:
    """One result a bound can apply to: a label for messages and the names it answers to."""

    label: str
    names: Collection[str]
    value: float
    #: samples that count towards the value (None: unknown); 0 means there was no data
    counted: int | None = None


def counted_samples(result: object) -> int:
    """Samples behind a LossResult: 0 when no row was left or every weight is 0."""
    weight_sum = getattr(result, "weight_sum", None)
    if weight_sum is not None and weight_sum == 0:
        return 0
    return int(getattr(result, "count", 0))


def gated(label: str, names: Collection[str], result: object) -> Gated:
    """The Gated form of a LossResult (its value and its counted samples)."""
    return Gated(label, names, result.value, counted_samples(result))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Outcome:
    item: Gated
    bounds: tuple[Bound, ...]
    failed: tuple[Bound, ...]
    #: why the bounds cannot be decided (no data, NaN or inf), or None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and self.problem is None


def parse_bound(text: str, kind: str) -> Bound:
    """`0.5` or `mse=0.5` or `huber(delta=0.5)=0.3` → Bound."""
    target, sep, number = text.rpartition("=")
    if not sep:
        target, number = "", text
    try:
        limit = float(number)
    except ValueError:
        raise UsageError(
            f"--fail-{kind} {text!r}: {number.strip()!r} is not a number",
            hint="write X for every loss or LOSS=X for one, e.g. --fail-above mse=0.5",
        ) from None
    if not math.isfinite(limit):
        raise UsageError(f"--fail-{kind} {text!r}: a bound must be a finite number")
    return Bound(kind, limit, target.strip() or None)


def parse_bounds(above: Sequence[str] = (), below: Sequence[str] = ()) -> list[Bound]:
    return [parse_bound(t, ABOVE) for t in above] + [parse_bound(t, BELOW) for t in below]


def loss_names(loss: object, position: int) -> set[str]:
    """Every name a BoundLoss answers to as a bound target."""
    info = loss.info  # type: ignore[attr-defined]
    return {loss.canonical(), loss.full(), *info.names, f"#{position}"}  # type: ignore[attr-defined]


def apply_bounds(
    items: Sequence[Gated], bounds: Sequence[Bound], *, raise_undecided: bool = True
) -> list[Outcome]:
    """Check every item against the bounds that apply to it; unknown targets are usage errors.

    A bounded item without data or with a NaN/inf value is an InputDataError (after every
    item was looked at), or, with `raise_undecided=False`, an Outcome with a `problem`.
    """
    for bound in bounds:
        if bound.target is not None and not any(bound.target in i.names for i in items):
            known = sorted({n for i in items for n in i.names if not n.endswith(")")})
            raise UsageError(
                f"{bound.option} {bound.target}=…: no result is called {bound.target!r}",
                hint=f"targets here: {', '.join(known)}",
            )
    outcomes = []
    for item in items:
        chosen: list[Bound] = []
        for kind in (ABOVE, BELOW):
            targeted = [b for b in bounds if b.kind == kind and b.target in item.names]
            general = [b for b in bounds if b.kind == kind and b.target is None]
            chosen.extend(targeted or general)
        failed = tuple(b for b in chosen if b.violated_by(item.value))
        problem = undecided(item) if chosen else None
        outcomes.append(Outcome(item, tuple(chosen), failed, problem))
    problems = [o.problem for o in outcomes if o.problem]
    if problems and raise_undecided:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputDataError(
            f"the gate cannot be decided: {problems[0]}{more}",
            hint="a bound needs a finite value over at least one sample",
        )
    return outcomes


def undecided(item: Gated) -> str | None:
    """Why no bound can judge this item: no counted samples, or a NaN or infinite value."""
    if item.counted == 0:
        return f"{item.label} has no data: 0 counted samples (every row omitted or weighted 0)"
    if math.isnan(item.value):
        return f"{item.label} is NaN"
    if math.isinf(item.value):
        return f"{item.label} is {item.value:g}"
    return None


def describe_failure(outcome: Outcome) -> list[str]:
    """`mse = 0.53 > 0.5 (--fail-above)`: one line per violated bound."""
    if outcome.problem:
        return [outcome.problem]
    lines = []
    for bound in outcome.failed:
        sign = ">" if bound.kind == ABOVE else "<"
        value = outcome.item.value
        if math.isnan(value):
            lines.append(f"{outcome.item.label} is NaN ({bound.option} {bound.limit:g})")
        else:
            lines.append(
                f"{outcome.item.label} = {value:.10g} {sign} {bound.limit:g} ({bound.option})"
            )
    return lines

"""`losscli check CONFIG`: a TOML file of loss checks run in one go, for CI.

    plugins = ["my_losses.py"]  # optional; custom losses, paths relative to the config file

    [defaults]                  # optional; any check key, used where a check omits it
    reduction = "sum_over_batch_size"

    [[check]]
    name = "regression mse"     # shown in tables and as the JUnit test case
    file = "regression.csv"     # relative to the config file's folder
    loss = "mse"                # one loss spec
    y_true = "y_true"           # columns, as on the command line
    y_pred = "y_pred"
    fail_above = 0.6            # bounds: the check fails above / below them
    fail_below = 0.0            # (or report_only = true: no bound, never fails)

Every `eval` option is a check key too (nan_policy, strict, classes, skip, …: see
losscli/options.py and check_config.py, which reads and validates the config). A check may
have `[[check.head]]` tables (name, loss, y_true, y_pred, weight) instead of `loss`: its value
is then Keras's weighted total of the heads. Checks that read the same file with the same
reading options share one read of it; a check with a labels file, skip/limit, a delimiter,
no header or per-sample rows reads on its own, through `losscli.evaluate` as eval does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from losscli.check_config import Check, Config
from losscli.check_config import load_config as load_config  # the runner's one entry point
from losscli.errors import EXIT_CHECK_FAILED, EXIT_DATA, EXIT_OK, InputDataError, UsageError
from losscli.heads import Head, HeadResult, evaluate_heads, weighted_total
from losscli.options import translate
from losscli.thresholds import Gated, Outcome, apply_bounds, counted_samples, describe_failure

PASS, FAIL, ERROR = "pass", "fail", "error"
#: input options that only the full reading path (`losscli.evaluate`) knows; a check that sets
#: one reads its file on its own
_ALONE = ("labels", "delimiter", "header", "skip", "limit", "per_sample", "keep", "mask")


@dataclass
class CheckResult:
    check: Check
    status: str
    value: float | None = None
    heads: list[HeadResult] = field(default_factory=list)
    outcome: Outcome | None = None
    error: str | None = None
    input: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)  # the input's diagnostics
    labels_input: dict[str, Any] | None = None  # the labels file, recorded as eval records it
    baseline: Any = None  # losscli.baseline.BaselineOutcome

    @property
    def message(self) -> str:
        """Why it failed or errored ('' when it passed), in config keys, not CLI flags."""
        if self.error:
            return self.error
        reasons = [self._bounds_message()] if self.outcome and not self.outcome.ok else []
        if self.baseline is not None and not self.baseline.ok:
            where = self.check.where("max_regression")
            reasons.append(
                f"{self.check.spec} = {self.value:.10g}, {self.baseline.describe()} ({where})"
            )
        return "; ".join(reasons)

    def _bounds_message(self) -> str:
        assert self.outcome is not None
        if self.outcome.problem:
            return f"{self.outcome.problem} (check {self.check.name!r}, line {self.check.line})"
        lines = describe_failure(
            self.outcome,
            label=self.check.spec,
            where=lambda bound: self.check.where(f"fail_{bound.kind}"),
        )
        return "; ".join(lines)


def run_checks(config: Config) -> list[CheckResult]:
    """Evaluate every check, reading each file once where the checks' reading options agree;
    data errors mark that file's checks."""
    groups: dict[tuple[Any, ...], list[Check]] = {}
    alone: list[Check] = []
    for check in config.checks:
        o = check.options
        if any(o.is_set(name) for name in _ALONE):
            alone.append(check)
            continue
        key = (
            str(Path(check.path).resolve()),
            o.input.input_format,
            o.input.batch_size,
            o.input.nan_policy,
            o.input.classes,
            o.loss.dtype,
            tuple(sorted((check.class_weight or {}).items())),
        )
        groups.setdefault(key, []).append(check)
    results: dict[str, CheckResult] = {c.name: _run_alone(c, config) for c in alone}
    pending = list(groups.values())
    while pending:
        checks = pending.pop(0)
        first = checks[0]
        heads = [
            Head(**{**vars(h), "name": f"{i}:{h.name}", "reduction": c.reduction})
            for i, c in enumerate(checks)
            for h in c.heads
        ]
        try:
            evaluation = evaluate_heads(
                first.path,
                heads,
                dtype=first.dtype,
                batch_size=first.options.input.batch_size,
                input_format=first.options.input.input_format,
                class_weight=first.class_weight,
                nan_policy=first.options.input.nan_policy,
                classes=first.options.input.classes,
            )
        except (InputDataError, UsageError) as exc:
            if len(checks) > 1:  # find which check the error belongs to: one read each
                pending[:0] = [[c] for c in checks]
                continue
            results[first.name] = _error(first, exc, config)
            continue
        by_check: dict[int, list[HeadResult]] = {}
        for item in evaluation.heads:
            i, _, name = item.head.name.partition(":")
            item.head = Head(**{**vars(item.head), "name": name})
            by_check.setdefault(int(i), []).append(item)
        for i, check in enumerate(checks):
            items = by_check[i]
            value = (
                weighted_total(
                    [h.result.value for h in items], [h.head.weight for h in items], check.dtype
                )
                if check.multi
                else items[0].result.value
            )
            notes = [
                str(note) for name, note in evaluation.warnings if name.partition(":")[0] == str(i)
            ]
            results[check.name] = _result(check, value, items, evaluation.input, notes)
    ordered = [results[c.name] for c in config.checks]
    from losscli.baseline import apply_baselines

    apply_baselines(ordered, lambda checks: run_checks(Config(config.path, checks)))
    return ordered


def _result(
    check: Check, value: float, items: list[HeadResult], info: Any, warnings: list[str]
) -> CheckResult:
    """Gate one check's value; with strict = true its warnings make it an error."""
    from losscli.signature import input_record

    record = input_record(check.path, info.rows, info.format)
    labels = input_record(info.labels, info.rows) if getattr(info, "labels", None) else None
    warnings = [translate(w) for w in warnings]  # hints in config keys: nan_policy, classes
    if check.options.input.strict and warnings:
        count = f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}"
        line = check.key_lines.get("strict")
        said = f"strict = true (check {check.name!r}, line {line})" if line else "--strict is on"
        error = f"{count} and {said}"
        return CheckResult(check, ERROR, value, items, None, error, record, warnings, labels)
    counted = min(counted_samples(h.result) for h in items)
    outcome = apply_bounds(
        [Gated(check.name, {check.name}, value, counted)], check.bounds, raise_undecided=False
    )[0]  # no data, NaN or inf: the gate cannot be decided, an error (exit 3)
    status = ERROR if outcome.problem else PASS if outcome.ok else FAIL
    return CheckResult(
        check, status, value, items, outcome, input=record, warnings=warnings, labels_input=labels
    )


def _error(check: Check, exc: InputDataError | UsageError, config: Config) -> CheckResult:
    """A data error marks the check; a usage error (a column option naming two columns…)
    stops the run as a config error. Both in the config's terms (`nan_policy`, not
    `--nan-policy`), at the line of the first key they name."""
    text = translate(str(exc))
    keys = [w for w in re.findall(r"\w+", text) if w in check.key_lines]
    line = check.key_lines[keys[0]] if keys else check.line
    if isinstance(exc, UsageError):
        raise UsageError(f"line {line}: check {check.name!r}: {text}", path=config.path) from None
    return CheckResult(
        check, ERROR, error=f"{text} ({config.path}: line {line}, check {check.name!r})"
    )


def _run_alone(check: Check, config: Config) -> CheckResult:
    """A check whose reading needs the full path of `eval` (a labels file, skip/limit, a
    delimiter, per-sample rows): `losscli.evaluate` with the check's options, one loss."""
    import contextlib

    from losscli.api import evaluate

    head = check.heads[0]
    o = check.options
    try:
        with contextlib.ExitStack() as stack:
            hook = None
            if o.output.per_sample:
                from losscli.export import per_sample_writer
                from losscli.spec import parse_specs

                hook = stack.enter_context(
                    per_sample_writer(
                        o.output.per_sample,
                        parse_specs(head.loss),
                        o.output.keep,
                        inputs=[check.path, *filter(None, [check.labels])],
                    )
                )
            evaluation = evaluate(
                check.path,
                head.loss,
                o,
                class_weight=check.class_weight,
                keep=o.output.keep,
                on_batch=hook,
            )
    except (InputDataError, UsageError) as exc:
        return _error(check, exc, config)
    result = evaluation.results[0]
    item = HeadResult(head, result, evaluation.input.columns, check.dtype)
    warnings = [str(w) for w in evaluation.warnings]
    return _result(check, result.value, [item], evaluation.input, warnings)


def exit_code(results: Sequence[CheckResult]) -> int:
    """3 if a check could not run (bad data), else 1 if one failed, else 0."""
    if any(r.status == ERROR for r in results):
        return EXIT_DATA
    if any(r.status == FAIL for r in results):
        return EXIT_CHECK_FAILED
    return EXIT_OK

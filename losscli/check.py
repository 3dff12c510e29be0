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
    fail_below = 0.0

A check may take y_true from a second file with `labels = "labels.csv"` (and `on = "id"` to
join by key), exactly as `eval --labels/--on` does; such a check reads its files on its own.
A check may have `[[check.head]]` tables (name, loss, y_true, y_pred, weight) instead of
`loss`: its value is then Keras's weighted total of the heads. Checks that read the same
file (with the same format, dtype and class weights) share one read of it.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from losscli.errors import EXIT_CHECK_FAILED, EXIT_DATA, EXIT_OK, InputDataError, UsageError
from losscli.heads import Head, HeadResult, evaluate_heads, weighted_total
from losscli.thresholds import (
    ABOVE,
    BELOW,
    Bound,
    Gated,
    Outcome,
    apply_bounds,
    counted_samples,
    gated,
)

CHECK_KEYS = {
    "name",
    "file",
    "format",
    "loss",
    "head",
    "y_true",
    "y_pred",
    "sample_weight",
    "reduction",
    "dtype",
    "batch_size",
    "class_weight",
    "fail_above",
    "fail_below",
    "labels",
    "on",
    "baseline",  # losscli.baseline: compare with another model's predictions
    "max_regression",
}
HEAD_KEYS = {"name", "loss", "y_true", "y_pred", "sample_weight", "weight", "reduction"}
PASS, FAIL, ERROR = "pass", "fail", "error"


@dataclass
class Check:
    name: str
    line: int
    path: str
    heads: list[Head]
    multi: bool
    reduction: str
    dtype: str
    bounds: list[Bound]
    input_format: str | None = None
    batch_size: int | None = None
    class_weight: dict[int, float] | None = None
    labels: str | None = None  # y_true (and weights) from a second file, as `eval --labels`
    on: str | None = None
    baseline: Any = None  # losscli.baseline.BaselineGate

    @property
    def spec(self) -> str:
        if not self.multi:
            return self.heads[0].bound().canonical()
        return " + ".join(
            f"{'' if h.weight is None else f'{h.weight:g}×'}{h.bound().canonical()}"
            for h in self.heads
        )


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
    baseline: Any = None  # losscli.baseline.BaselineOutcome

    @property
    def message(self) -> str:
        """Why it failed or errored ('' when it passed)."""
        if self.error:
            return self.error
        from losscli.thresholds import describe_failure

        reasons = [] if self.outcome is None else describe_failure(self.outcome)
        if self.baseline is not None and not self.baseline.ok:
            reasons.append(f"{self.check.name}: {self.value:.6g}, {self.baseline.describe()}")
        return "; ".join(reasons)


@dataclass
class Config:
    path: str
    checks: list[Check]


def load_config(path: str) -> Config:
    """Read and validate a check config; every problem is a UsageError naming its line."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError("no such config file", path=path) from None
    except OSError as exc:
        raise UsageError(f"cannot read config: {exc.strerror}", path=path) from None
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"is not UTF-8 text (byte {exc.start})", path=path, hint="save the config as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"not valid TOML: {exc}", path=path) from None
    lines = _Lines(text, path)
    unknown = [k for k in data if k not in ("check", "defaults", "plugins")]
    if unknown:
        raise lines.error(
            f"unknown table or key {unknown[0]!r} (use plugins, [defaults] and [[check]])",
            None,
            unknown[0],
        )
    plugins = data.get("plugins", [])
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise lines.error("plugins must be a list of files or modules", None, "plugins")
    if plugins:
        from losscli.plugins import load_plugins

        load_plugins(plugins, base=file.parent)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise lines.error("[defaults] must be a table", None, "defaults")
    raw_checks = data.get("check", [])
    if not isinstance(raw_checks, list) or not raw_checks:
        raise UsageError("has no [[check]] tables", path=path, hint="see `losscli check --help`")
    base = file.parent
    checks = [_check({**defaults, **raw}, i, lines, base) for i, raw in enumerate(raw_checks)]
    names = [c.name for c in checks]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise lines.error(f"two checks are named {name!r}; names must differ", i, "name")
    return Config(path=path, checks=checks)


def _check(raw: Mapping[str, Any], index: int, lines: _Lines, base: Path) -> Check:
    from losscli.classweight import parse_class_weight
    from losscli.engine import check_options

    def fail(message: str, key: str | None = None) -> UsageError:
        return lines.error(message, index, key)

    for key in raw:
        if key not in CHECK_KEYS:
            raise fail(f"unknown key {key!r}; a check takes {', '.join(sorted(CHECK_KEYS))}", key)
    name = str(raw.get("name") or f"check {index + 1}")
    if "file" not in raw:
        raise fail(f"check {name!r} has no file = …")
    if ("loss" in raw) == ("head" in raw):
        raise fail(f"check {name!r} needs either loss = … or [[check.head]] tables")
    reduction = _string(raw, "reduction", "sum_over_batch_size", fail)
    dtype = _string(raw, "dtype", "float64", fail)
    if reduction == "none":
        raise fail("a check needs one value: reduction = 'none' gives one per sample", "reduction")
    try:
        check_options(reduction, dtype)
    except UsageError as exc:
        raise fail(str(exc), "reduction" if "reduction" in str(exc) else "dtype") from None
    columns = {k: raw[k] for k in ("y_true", "y_pred", "sample_weight") if k in raw}
    for key, value in columns.items():
        if isinstance(value, list):
            columns[key] = ",".join(str(v) for v in value)
    heads: list[Head] = []
    if "loss" in raw:
        heads.append(Head(name=name, loss=_string(raw, "loss", "", fail), **columns))
    else:
        if not isinstance(raw["head"], list):
            raise fail("head must be [[check.head]] tables", "head")
        for j, item in enumerate(raw["head"]):
            extra = [k for k in item if k not in HEAD_KEYS]
            if extra:
                raise fail(
                    f"unknown head key {extra[0]!r}; a head takes {', '.join(sorted(HEAD_KEYS))}",
                    extra[0],
                )
            if "loss" not in item:
                raise fail(f"head {j + 1} of check {name!r} has no loss = …")
            fields = {**columns, **{k: v for k, v in item.items() if k != "weight"}}
            for key in ("y_true", "y_pred"):
                if isinstance(fields.get(key), list):
                    fields[key] = ",".join(str(v) for v in fields[key])
            weight = item.get("weight")
            if weight is not None and not isinstance(weight, (int, float)):
                raise fail("head weight must be a number", "weight")
            fields.setdefault("name", f"head{j}")
            heads.append(Head(weight=None if weight is None else float(weight), **fields))
    for head in heads:
        try:
            head.bound()
        except UsageError as exc:
            raise fail(str(exc), "loss") from None
    bounds = []
    for key, kind in (("fail_above", ABOVE), ("fail_below", BELOW)):
        if key in raw:
            if not isinstance(raw[key], (int, float)) or isinstance(raw[key], bool):
                raise fail(f"{key} must be a number", key)
            if not math.isfinite(raw[key]):
                raise fail(f"{key} must be a finite number", key)
            bounds.append(Bound(kind, float(raw[key])))
    class_weight = None
    if "class_weight" in raw:
        value = raw["class_weight"]
        text = (
            ",".join(f"{k}={v}" for k, v in value.items())
            if isinstance(value, dict)
            else str(value)
        )
        try:
            class_weight = parse_class_weight(text)
        except UsageError as exc:
            raise fail(str(exc), "class_weight") from None
    batch_size = raw.get("batch_size")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise fail("batch_size must be a positive integer", "batch_size")
    file = Path(str(raw["file"]))
    path = str(file if file.is_absolute() else base / file)
    labels = None
    if "labels" in raw:
        if "head" in raw:
            raise fail("a labels file works with one loss per check, not with heads", "labels")
        labels_file = Path(_string(raw, "labels", "", fail))
        labels = str(labels_file if labels_file.is_absolute() else base / labels_file)
    if "on" in raw and labels is None:
        raise fail("on = … joins a labels file: add labels = …", "on")
    from losscli.baseline import parse_gate

    return Check(
        name=name,
        line=lines.check_line(index),
        path=path,
        heads=heads,
        multi="head" in raw,
        reduction=reduction,
        dtype=dtype,
        bounds=bounds,
        input_format=raw.get("format"),
        batch_size=batch_size,
        class_weight=class_weight,
        labels=labels,
        on=_string(raw, "on", "", fail) or None,
        baseline=parse_gate(dict(raw), base, fail),
    )


def _string(raw: Mapping[str, Any], key: str, default: str, fail: Any) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise fail(f"{key} must be a string", key)
    return value


class _Lines:
    """Finds the line of the n-th [[check]] table, and of a key inside it, for messages."""

    def __init__(self, text: str, path: str) -> None:
        self.lines = text.splitlines()
        self.path = path
        self.starts = [
            i + 1 for i, line in enumerate(self.lines) if re.match(r"\s*\[\[\s*check\s*\]\]", line)
        ]

    def check_line(self, index: int) -> int:
        return self.starts[index] if index < len(self.starts) else 0

    def error(self, message: str, index: int | None, key: str | None) -> UsageError:
        line = self._find(index, key)
        where = f"line {line}: " if line else ""
        return UsageError(f"{where}{message}", path=self.path)

    def _find(self, index: int | None, key: str | None) -> int:
        start = self.check_line(index) if index is not None else 1
        end = len(self.lines)
        if index is not None and index + 1 < len(self.starts):
            end = self.starts[index + 1] - 1
        if key:
            pattern = re.compile(rf"\s*(\[+\s*(check\.)?)?{re.escape(key)}\b")
            for number in range(max(start, 1), end + 1):
                if pattern.match(self.lines[number - 1]):
                    return number
        return start if index is not None else 0


def run_checks(config: Config) -> list[CheckResult]:
    """Evaluate every check, reading each file once; data errors mark that file's checks."""
    from losscli.signature import input_record

    groups: dict[tuple[Any, ...], list[Check]] = {}
    for check in config.checks:
        key = (
            str(Path(check.path).resolve()),
            check.input_format,
            check.dtype,
            check.batch_size,
            tuple(sorted((check.class_weight or {}).items())),
        )
        if check.labels is None:
            groups.setdefault(key, []).append(check)
    results: dict[str, CheckResult] = {
        c.name: _run_with_labels(c) for c in config.checks if c.labels is not None
    }
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
                batch_size=first.batch_size,
                input_format=first.input_format,
                class_weight=first.class_weight,
            )
            record = input_record(first.path, evaluation.input.rows, evaluation.input.format)
        except InputDataError as exc:
            if len(checks) > 1:  # find which check the error belongs to: one read each
                pending[:0] = [[c] for c in checks]
                continue
            results[first.name] = CheckResult(first, ERROR, error=str(exc))
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
            counted = min(counted_samples(h.result) for h in items)
            outcome = apply_bounds(
                [Gated(check.name, {check.name}, value, counted)],
                check.bounds,
                raise_undecided=False,
            )[0]
            status = ERROR if outcome.problem else PASS if outcome.ok else FAIL
            notes = [
                str(note) for name, note in evaluation.warnings if name.partition(":")[0] == str(i)
            ]
            results[check.name] = CheckResult(
                check, status, value, items, outcome, input=record, warnings=notes
            )
    ordered = [results[c.name] for c in config.checks]
    from losscli.baseline import apply_baselines

    apply_baselines(ordered, lambda checks: run_checks(Config(config.path, checks)))
    return ordered


def _run_with_labels(check: Check) -> CheckResult:
    """A check whose y_true is in a second file: the full reading path of `eval --labels`."""
    from losscli.api import evaluate
    from losscli.signature import input_record

    head = check.heads[0]
    try:
        evaluation = evaluate(
            check.path,
            head.loss,
            y_true=head.y_true,
            y_pred=head.y_pred,
            sample_weight=head.sample_weight,
            reduction=check.reduction,
            dtype=check.dtype,
            batch_size=check.batch_size,
            input_format=check.input_format,
            class_weight=check.class_weight,
            labels=check.labels,
            on=check.on,
        )
    except InputDataError as exc:
        return CheckResult(check, ERROR, error=str(exc))
    result = evaluation.results[0]
    item = HeadResult(head, result, evaluation.input.columns, check.dtype)
    outcome = apply_bounds(
        [gated(check.name, {check.name}, result)], check.bounds, raise_undecided=False
    )[0]
    return CheckResult(
        check,
        ERROR if outcome.problem else PASS if outcome.ok else FAIL,
        result.value,
        [item],
        outcome,
        input=input_record(check.path, evaluation.input.rows, evaluation.input.format),
        warnings=[str(w) for w in evaluation.warnings],
    )


def exit_code(results: Sequence[CheckResult]) -> int:
    """3 if a check could not run (bad data), else 1 if one failed, else 0."""
    if any(r.status == ERROR for r in results):
        return EXIT_DATA
    if any(r.status == FAIL for r in results):
        return EXIT_CHECK_FAILED
    return EXIT_OK

"""Reading a `losscli check` config: TOML tables → validated `Check`s, every key typed.

A check takes every option `eval` has, under its config key (losscli/options.py declares
both), plus `name` and `report_only`. `[defaults]` is merged under each check. Every problem
is a usage error (exit 2) that names the config file, the line, the check and the key.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from losscli.errors import UsageError
from losscli.fs import input_stream, is_uri, join, parent
from losscli.heads import Head
from losscli.options import CONFIG, GROUPS, Meta, Options, meta, options_fields

#: config keys of older configs, still read
KEY_ALIASES = {"format": "input_format"}
#: keys of a check that no eval flag has
CHECK_ONLY = {"name"}
HEAD_KEYS = {"name", "loss", "y_true", "y_pred", "sample_weight", "weight", "reduction"}
#: a config is a page of text; more (`check /dev/zero`) is a mistake, not a config
MAX_CONFIG_BYTES = 16 * 2**20
_BY_KEY = {m.key: (g, f.name, m) for g, f, m in options_fields()}


@dataclass
class Check:
    """One [[check]]: its options (as eval's), heads and where it is in the config."""

    name: str
    line: int
    options: Options
    heads: list[Head]
    multi: bool
    class_weight: dict[int, float] | None = None
    #: the line of each key this check uses (its own table, else [defaults])
    key_lines: dict[str, int] = field(default_factory=dict)
    baseline: Any = None  # losscli.baseline.BaselineGate: baseline = … and max_regression

    @property
    def path(self) -> str:
        return self.options.input.files[0]

    @property
    def reduction(self) -> str:
        return self.options.loss.reduction

    @property
    def dtype(self) -> str:
        return self.options.loss.dtype

    @property
    def labels(self) -> str | None:
        return self.options.input.labels

    @property
    def bounds(self) -> list[Any]:
        from losscli.thresholds import parse_bounds

        return parse_bounds(self.options.gate.fail_above, self.options.gate.fail_below)

    def where(self, key: str) -> str:
        """`fail_above in check 'x', line 12`: how a message points at a key."""
        line = self.key_lines.get(key, self.line)
        return f"{key} in check {self.name!r}, line {line}"

    @property
    def spec(self) -> str:
        if not self.multi:
            return self.heads[0].bound().canonical()
        return " + ".join(
            f"{'' if h.weight is None else f'{h.weight:g}×'}{h.bound().canonical()}"
            for h in self.heads
        )


@dataclass
class Config:
    path: str
    checks: list[Check]


def load_config(path: str, *, strict: bool = False) -> Config:
    """Read and validate a check config; every problem is a UsageError naming its line.
    `strict` (`check --strict`) makes every check strict."""
    file = Path(path)
    text = _read(path)
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
    if not isinstance(plugins, list) or not all(isinstance(p, str) and p for p in plugins):
        raise lines.error("plugins must be a list of files or modules", None, "plugins")
    if plugins:
        from losscli.plugins import load_plugins

        load_plugins(plugins, base=file.parent)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise lines.error("[defaults] must be a table", None, "defaults")
    raw_checks = data.get("check", [])
    if not isinstance(raw_checks, list) or not all(isinstance(c, dict) for c in raw_checks):
        raise lines.error("check must be [[check]] tables", None, "check")
    if not raw_checks:
        raise UsageError("has no [[check]] tables", path=path, hint="see `losscli check --help`")
    base = parent(path)  # a URI's folder too: relative paths in a config in a bucket
    checks = [_check(raw, defaults, i, lines, base) for i, raw in enumerate(raw_checks)]
    for check in checks:
        check.options.input.strict = check.options.input.strict or strict
    names = [c.name for c in checks]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise lines.error(f"two checks are named {name!r}; names must differ", i, "name")
    return Config(path=path, checks=checks)


def _read(path: str) -> str:
    try:
        with input_stream(path) if is_uri(path) else open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise UsageError("no such config file", path=path) from None
    except OSError as exc:
        raise UsageError(f"cannot read config: {exc.strerror}", path=path) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise UsageError(f"is not a config: more than {MAX_CONFIG_BYTES >> 20} MiB", path=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"line {line}: not UTF-8 text (byte {data[exc.start]:#04x})",
            path=path,
            hint="save the config as UTF-8",
        ) from None


def _check(
    raw: Mapping[str, Any], defaults: Mapping[str, Any], index: int, lines: _Lines, base: str
) -> Check:
    from losscli.classweight import parse_class_weight

    table = {**defaults, **raw}
    name = table.get("name", f"check {index + 1}")

    def fail(message: str, key: str | None = None) -> UsageError:
        return lines.error(message, index, key, name if isinstance(name, str) else None)

    if not isinstance(name, str) or not name.strip():
        raise fail(f"name must be a non-empty string, not {_shown(name)}", "name")
    for key in table:
        if key not in CHECK_ONLY and KEY_ALIASES.get(key, key) not in _BY_KEY:
            known = sorted(CHECK_ONLY | set(_BY_KEY))
            raise fail(f"unknown key {key!r}; a check takes {', '.join(known)}", key)
    if "file" not in table:
        raise fail("has no file = …")
    if ("loss" in table) == ("head" in table):
        raise fail("needs either loss = … or [[check.head]] tables")
    options = options_from_table({k: v for k, v in table.items() if k != "name"}, fail)
    files = options.input.files
    options.input.files = [join(base, f) for f in files]
    for key in ("labels", "per_sample"):  # paths are relative to the config's folder
        group = options.output if key == "per_sample" else options.input
        value = getattr(group, key)
        if value:
            setattr(group, key, join(base, value))
    if options.loss.reduction == "none":
        raise fail("a check needs one value: reduction = 'none' gives one per sample", "reduction")
    gate = options.gate
    from losscli.baseline import parse_gate

    baseline = parse_gate(gate.baseline, gate.max_regression, base, fail)
    if not (gate.fail_above or gate.fail_below or gate.report_only or baseline):
        raise fail(
            "has no bound: add fail_above, fail_below or baseline "
            "(or report_only = true to report the value without gating it)"
        )
    heads = _heads(table, options, name, fail)
    class_weight = None
    if options.loss.class_weight:
        text = options.loss.class_weight
        if "=" not in text:  # a JSON file beside the config
            text = join(base, text)
        try:
            class_weight = parse_class_weight(text)
        except UsageError as exc:
            raise fail(f"class_weight: {exc}", "class_weight") from None
    return Check(
        name=name,
        line=lines.check_line(index),
        options=options,
        heads=heads,
        multi="head" in table,
        class_weight=class_weight,
        key_lines={key: lines.find(index, key) for key in table},
        baseline=baseline,
    )


def options_from_table(table: Mapping[str, Any], fail: Callable[[str, str], Exception]) -> Options:
    """One check's keys ([defaults] merged) → Options, validated; errors name the key."""
    groups: dict[str, dict[str, Any]] = {g: {} for g in GROUPS}
    for key, value in table.items():
        group, name, m = _BY_KEY[KEY_ALIASES.get(key, key)]
        if name in groups[group]:
            raise fail(f"{key} and {m.key} are the same option: keep one", key)
        if m.per_check:
            raise fail(f"{key} {m.per_check}", key)
        groups[group][name] = _convert(value, m, key, fail)
    made = Options(**{g: GROUPS[g](**kw) for g, kw in groups.items()}, origin=CONFIG)
    try:
        made.validate()
    except UsageError as exc:
        key = next((w for w in re.findall(r"\w+", exc.message) if w in table), "")
        raise fail(str(exc), key) from None
    return made


def _heads(
    table: Mapping[str, Any], options: Options, name: str, fail: Callable[..., Exception]
) -> list[Head]:
    columns = {k: getattr(options.input, k) for k in ("y_true", "y_pred", "sample_weight")}
    if "loss" in table:
        heads = [Head(name=name, loss=options.loss.loss, **columns)]
    else:
        heads = []
        for j, item in enumerate(options.loss.heads):
            extra = [k for k in item if k not in HEAD_KEYS]
            if extra:
                raise fail(
                    f"unknown head key {extra[0]!r}; a head takes {', '.join(sorted(HEAD_KEYS))}",
                    extra[0],
                )
            if "loss" not in item:
                raise fail(f"head {j + 1} of check {name!r} has no loss = …", "head")
            fields = {**columns, "name": f"head{j}"}
            for key, value in item.items():
                if key == "weight":
                    if not isinstance(value, (int, float)) or isinstance(value, bool):
                        raise fail(f"head weight must be a number, not {_shown(value)}", "weight")
                    if not math.isfinite(value):
                        raise fail("head weight must be a finite number", "weight")
                    fields[key] = float(value)
                else:
                    m = meta(key) if key != "name" else meta("loss")
                    fields[key] = _convert(value, m, key, fail)
                    choices = [c for c in m.choices if c != "none"]  # a check gates one value
                    if key == "reduction" and value not in choices:
                        raise fail(f"head reduction {value!r}: use {', '.join(choices)}", key)
            heads.append(Head(**fields))
    for head in heads:
        try:
            head.bound()
        except UsageError as exc:
            raise fail(str(exc), "loss") from None
    return heads


def _convert(value: Any, m: Meta, key: str, fail: Callable[[str, str], Exception]) -> Any:
    """A TOML value → the option's type; a wrong type is a usage error naming the key."""

    def want(what: str) -> Exception:
        return fail(f"{key} must be {what}, not {_shown(value)}", key)

    if m.kind in ("str", "file", "columns", "names", "choice"):
        if m.kind in ("columns", "names") and isinstance(value, list):
            if not value or not all(isinstance(v, str) and v.strip() for v in value):
                raise want("a non-empty list of names")
            return list(value) if key == "keep" else ",".join(value)
        if not isinstance(value, str):
            raise want("a string" if m.kind not in ("columns", "names") else "a name or a list")
        if not value.strip():
            raise fail(f"{key} is empty", key)
        if key == "keep":
            return [v.strip() for v in value.split(",") if v.strip()]
        return [value] if key == "file" else value
    if m.kind in ("int", "bool"):
        if m.kind == "bool" and not isinstance(value, bool):
            raise want("true or false")
        if m.kind == "int" and (not isinstance(value, int) or isinstance(value, bool)):
            raise want("a whole number")
        return value
    if m.kind == "margin":  # max_regression: losscli.baseline.parse_gate reads it
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise want('a number (0.01) or a percentage ("1%")')
        return value
    if m.kind == "bounds":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise want("a number")
        if not math.isfinite(value):
            raise fail(f"{key} must be a finite number", key)
        return [repr(float(value))]
    if m.kind == "table":
        if isinstance(value, dict):
            numbers = [v for v in value.values() if type(v) in (int, float)]
            if len(numbers) != len(value):
                raise want("a table of numbers like { 0 = 1.0, 1 = 3.5 }")
            return ",".join(f"{k}={v}" for k, v in value.items())
        if not isinstance(value, str) or not value.strip():
            raise want("a table like { 0 = 1.0, 1 = 3.5 } or a JSON file")
        return value
    if not isinstance(value, list) or not value or not all(isinstance(h, dict) for h in value):
        raise want("[[check.head]] tables")  # the one remaining kind: heads
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


class _Lines:
    """Finds the line of the n-th [[check]] table, and of a key in it or in [defaults]."""

    def __init__(self, text: str, path: str) -> None:
        self.lines = text.splitlines()
        self.path = path
        self.starts = [
            i + 1 for i, line in enumerate(self.lines) if re.match(r"\s*\[\[\s*check\s*\]\]", line)
        ]
        tables = [
            i + 1 for i, line in enumerate(self.lines) if re.match(r"\s*\[[^\[]", line.lstrip())
        ]
        start = next(
            (
                i + 1
                for i, line in enumerate(self.lines)
                if re.match(r"\s*\[\s*defaults\s*\]", line)
            ),
            0,
        )
        later = [t for t in [*tables, *self.starts] if t > start]
        self.defaults = (start, min(later) - 1 if later else len(self.lines)) if start else None

    def check_line(self, index: int) -> int:
        return self.starts[index] if index < len(self.starts) else 0

    def error(
        self, message: str, index: int | None, key: str | None, name: str | None = None
    ) -> UsageError:
        line = self.find(index, key)
        where = f"line {line}: " if line else ""
        if index is not None:
            where += f"check {name!r}: " if name else f"check {index + 1}: "
        return UsageError(f"{where}{message}", path=self.path)

    def find(self, index: int | None, key: str | None) -> int:
        """The line of `key` in check `index` (else in [defaults]), or of the check."""
        start = self.check_line(index) if index is not None else 1
        end = len(self.lines)
        if index is not None and index + 1 < len(self.starts):
            end = self.starts[index + 1] - 1
        spans = [(max(start, 1), end)] + ([self.defaults] if self.defaults else [])
        if key:
            pattern = re.compile(rf"\s*(\[+\s*(check\.)?)?{re.escape(key)}\b")
            for first, last in spans:
                for number in range(first, last + 1):
                    if pattern.match(self.lines[number - 1]):
                        return number
        return start if index is not None else 0

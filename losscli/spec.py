"""Parse loss specs like `mse,huber(delta=0.5)` into resolved losses.

Values are literals (numbers, true/false, null, quoted strings, lists), read with Python's
`ast` module and never evaluated as code. A parameter given twice, a number that is not
finite or does not fit 64 bits, and a built-in parameter outside the range where Keras's
formula means something (`label_smoothing` in [0, 1], `gamma >= 0`, …) are usage errors.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from losscli.errors import UsageError
from losscli.registry import BoundLoss, get

_WORDS = {"true": True, "false": False, "null": None, "none": None}


def parse_specs(text: str) -> list[BoundLoss]:
    """`'mse, huber(delta=0.5)'` → one BoundLoss per comma-separated spec."""
    parts = split_specs(text)
    if not parts:
        raise UsageError("no loss given", hint="e.g. `losscli eval mse preds.csv`")
    return [parse_spec(part) for part in parts]


def parse_spec(text: str) -> BoundLoss:
    name, params = parse_call(text)
    info = get(name)
    resolved = info.resolve_params(params)
    if info.origin == "built-in":
        check_ranges(info.name, resolved)
    return BoundLoss(info, resolved)


#: (loss, parameter) → (low, high, low included, high included): where Keras's formula for a
#: built-in loss means something. Outside, Keras computes a number without complaint
#: (`bce(label_smoothing=2)` gives a negative "loss"); losscli refuses.
RANGES: dict[tuple[str, str], tuple[float, float, bool, bool]] = {
    **{
        (loss, "label_smoothing"): (0.0, 1.0, True, True)
        for loss in (
            "binary_crossentropy",
            "binary_focal_crossentropy",
            "categorical_crossentropy",
            "categorical_focal_crossentropy",
        )
    },
    ("binary_focal_crossentropy", "alpha"): (0.0, 1.0, True, True),  # weight of the positives
    ("binary_focal_crossentropy", "gamma"): (0.0, math.inf, True, False),
    ("categorical_focal_crossentropy", "alpha"): (0.0, math.inf, True, False),
    ("categorical_focal_crossentropy", "gamma"): (0.0, math.inf, True, False),
    ("huber", "delta"): (0.0, math.inf, False, False),
    ("tversky", "alpha"): (0.0, math.inf, True, False),
    ("tversky", "beta"): (0.0, math.inf, True, False),
    ("circle", "gamma"): (0.0, math.inf, False, False),
    ("categorical_generalized_cross_entropy", "q"): (0.0, 1.0, False, False),
}
#: numpy arrays have at most 64 axes: an axis outside [-64, 64) names none
_MAX_AXES = 64


def check_ranges(loss: str, params: dict[str, Any]) -> None:
    """A UsageError naming the parameter when a built-in's value is outside its range."""
    for name, value in params.items():
        if name == "axis" and value is not None:
            axes = value if isinstance(value, (list, tuple)) else [value]
            if any(not -_MAX_AXES <= a < _MAX_AXES for a in axes):
                raise UsageError(f"{loss}: axis={value!r} names no axis of an array")
        bounds = RANGES.get((loss, name))
        if bounds is None or not isinstance(value, (int, float)):
            continue
        low, high, low_in, high_in = bounds
        above = value >= low if low_in else value > low
        below = value <= high if high_in else value < high
        if not (above and below):
            interval = f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"
            raise UsageError(
                f"{loss}: {name}={value!r} is outside {interval}",
                hint=f"Keras's {name} means something only in {interval}",
            )


def split_specs(text: str) -> list[str]:
    """Split on commas that are outside parentheses, brackets and quotes."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    current: list[str] = []
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise UsageError(f"loss spec {text!r} has an unmatched {ch!r}")
        elif ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if quote:
        raise UsageError(f"loss spec {text!r} has an unterminated string")
    if depth:
        raise UsageError(f"loss spec {text!r} has unbalanced parentheses")
    parts.append("".join(current).strip())
    empty = [i for i, p in enumerate(parts) if not p]
    if empty and len(parts) > 1:
        raise UsageError(f"loss spec {text!r} has an empty entry between commas")
    return [p for p in parts if p]


def parse_call(text: str) -> tuple[str, dict[str, Any]]:
    """`huber(delta=0.5)` → ('huber', {'delta': 0.5}); a bare name has no parameters."""
    text = text.strip()
    if "(" not in text:
        if not text.replace("_", "").replace("-", "").replace(".", "").isalnum():
            raise UsageError(f"{text!r} is not a loss name")
        return text, {}
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise UsageError(
            f"cannot parse loss spec {text!r}",
            hint="write name(param=value, ...), e.g. huber(delta=0.5)",
        ) from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Name, ast.Attribute)):
        raise UsageError(f"cannot parse loss spec {text!r}", hint="write name(param=value, ...)")
    if node.args:
        raise UsageError(
            f"loss spec {text!r}: give parameters by name",
            hint="e.g. huber(delta=0.5), not huber(0.5)",
        )
    params: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise UsageError(f"loss spec {text!r}: ** is not allowed")
        if keyword.arg in params:
            raise UsageError(
                f"loss spec {text!r} gives {keyword.arg!r} twice", hint="give each parameter once"
            )
        params[keyword.arg] = _literal(keyword.value, text)
    return ast.unparse(node.func), params  # a dotted name (`torch.huber`) is a namespace


def _literal(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Name) and node.id.lower() in _WORDS:
        return _WORDS[node.id.lower()]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(item, text) for item in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, text)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, type(None))):
        value = node.value
        if isinstance(value, float) and not math.isfinite(value):
            raise UsageError(f"loss spec {text!r}: {ast.unparse(node)} is not a finite number")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
            raise UsageError(
                f"loss spec {text!r}: {ast.unparse(node)} is too large",
                hint="integers must fit in 64 bits",
            )
        return value
    raise UsageError(
        f"loss spec {text!r}: {ast.unparse(node)!r} is not a literal",
        hint="use numbers, true/false, null, 'strings' or [lists]",
    )

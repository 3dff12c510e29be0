"""Loss specs: names with literal parameters, never code."""

from __future__ import annotations

import pytest

from losscli.errors import UsageError
from losscli.spec import parse_call, parse_specs, split_specs


def test_several_specs_with_parameters() -> None:
    losses = parse_specs("mse, huber(delta=0.5),mae")  # needs huber
    assert [b.name for b in losses] == ["mean_squared_error", "huber", "mean_absolute_error"]
    assert losses[1].params == {"delta": 0.5}
    assert losses[1].canonical() == "huber(delta=0.5)"
    assert losses[0].canonical() == "mean_squared_error"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("f(a=1)", {"a": 1}),
        ("f(a=-1.5e-3)", {"a": -1.5e-3}),
        ("f(a=true, b=False, c=null, d=None)", {"a": True, "b": False, "c": None, "d": None}),
        ("f(a='x, y')", {"a": "x, y"}),
        ("f(a=[1, 2, 3])", {"a": [1, 2, 3]}),
        ("f(a=(1, 2))", {"a": [1, 2]}),
        ("f()", {}),
    ],
)
def test_literals(text: str, expected: dict) -> None:
    assert parse_call(text) == ("f", expected)


def test_commas_inside_parentheses_lists_and_strings_do_not_split() -> None:
    assert split_specs("a(x=[1,2]), b(s='p,q'), c") == ["a(x=[1,2])", "b(s='p,q')", "c"]


@pytest.mark.parametrize(
    "text",
    [
        "huber(delta=0.5",
        "huber(delta=0.5))",
        "huber(0.5)",
        "huber(delta=__import__('os'))",
        "huber(delta=1+1)",
        "huber(**{'delta': 1})",
        "mse,,mae",
        "",
        "a.b(x=1)",
    ],
)
def test_bad_specs_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_specs(text)

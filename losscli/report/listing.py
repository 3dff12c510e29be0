"""`losscli list` and `losscli describe` screens, from the catalogue's info dicts.

`list` is one line per loss at any width: the name (never cut: people copy it into specs),
the category, as many aliases as fit (then `+N`), and the summary cut to what is left.
`--long` and `describe` show the rest. When the catalogue holds losses of several sources
(Keras, torch, …), each source gets a heading and the rows stay one line each.
"""

from __future__ import annotations

from typing import Any

from losscli.report.layout import GAP, Cell, Column, Line, cut, line, table, wrap

#: the least room a summary keeps at 80 columns before aliases give way
SUMMARY_MIN = 14
INDENT = "    "


def names(info: dict[str, Any]) -> list[str]:
    """The short names that resolve to this loss: the home library's dotted names
    (`torch.nn.HuberLoss`) and the class name are in --long and describe."""
    return [a for a in info["aliases"] if "." not in a]


def fit_names(items: list[str], room: int) -> str:
    """`a, b +2`: as many whole names as fit in `room`, and how many were left out."""
    shown: list[str] = []
    for i, item in enumerate(items):
        rest = len(items) - i - 1
        candidate = ", ".join([*shown, item]) + (f" +{rest}" if rest else "")
        if len(candidate) > room:
            break
        shown.append(item)
    left = len(items) - len(shown)
    text = ", ".join(shown)
    return f"{text} +{left}".strip() if left else text


def list_lines(infos: list[dict[str, Any]], width: int) -> list[Line]:
    """One line per loss (see the module docstring). A category shared by every row (list
    --category) goes into the title, leaving its room to the summary; each source's group
    is laid out for its own names, and drops the aliases column when it has none."""
    categories = sorted({i["category"] for i in infos})
    shared = categories[0] if len(categories) == 1 else None
    sources = sorted({i.get("source") or "" for i in infos})
    grouped = len(sources) > 1
    hint = "details: losscli describe NAME, or list --long"
    count = f"{len(infos)} {shared} losses" if shared else f"{len(infos)} losses"
    out: list[Line] = [line(cut(f"{count} · {hint}", width), "bold")]
    for source in sources:
        group = [i for i in infos if (i.get("source") or "") == source] if grouped else infos
        if grouped:
            out += [[], line(f"{source or 'other'} ({len(group)})", "bold")]
        out += _group_lines(group, width, with_category=not shared)
        if not grouped:
            break
    return out


def _group_lines(infos: list[dict[str, Any]], width: int, *, with_category: bool) -> list[Line]:
    name_w = max([len("name"), *(len(i["name"]) for i in infos)])
    cat_w = max([len("category"), *(len(i["category"]) for i in infos)]) if with_category else 0
    left = width - name_w - (cat_w + GAP if cat_w else 0) - GAP
    natural = max(len(", ".join(names(i))) for i in infos)
    alias_w = max(min(natural, left - SUMMARY_MIN, left // 2), len("aliases")) if natural else 0
    summary_w = max(left - (alias_w + GAP if alias_w else 0), 1)
    columns = [Column("name", style="bold")]
    columns += [Column("category")] if cat_w else []
    columns += [Column("aliases")] if alias_w else []
    columns.append(Column("summary", kind="cut"))
    rows = [
        [
            Cell(i["name"].ljust(name_w), "bold"),
            *([i["category"].ljust(cat_w)] if cat_w else []),
            *([fit_names(names(i), alias_w).ljust(alias_w)] if alias_w else []),
            cut(i["summary"], summary_w),
        ]
        for i in infos
    ]
    return table(columns, rows, width)


def long_lines(infos: list[dict[str, Any]], width: int) -> list[Line]:
    """Every loss in full: names, summary, parameters with defaults, formula."""
    out: list[Line] = [line(f"{len(infos)} losses", "bold")]
    for info in infos:
        head: Line = [(info["name"], "bold"), (f"  {info['category']}", None)]
        if info.get("source"):
            head.append((f" · {info['source']}", None))
        out += [[], head]
        others = [*names(info), *([info["class_name"]] if info.get("class_name") else [])]
        body = [info["summary"]]
        if others:
            body.append(f"also: {', '.join(others)}")
        if info["parameters"]:
            params = ", ".join(f"{p['name']}={show(p['default'])}" for p in info["parameters"])
            body.append(f"parameters: {params}")
        if info.get("formula"):
            body.append(f"formula: {info['formula']}")
        if info.get("origin") and info["origin"] != "built-in":
            body.append(f"origin: {info['origin']}")
        for text in body:
            out += [line(INDENT + part) for part in wrap(text, width - len(INDENT))]
    return out


def describe_lines(info: dict[str, Any], example: str, width: int) -> list[Line]:
    """Formula, parameters, expected inputs and a worked example."""
    from losscli.names import other_names_for, source_text

    source = info.get("source") or "keras"
    head: Line = [(info["name"], "bold")]
    if info.get("class_name"):
        home = f"keras.losses.{info['class_name']}" if source == "keras" else info["class_name"]
        head.append((f"  ({home})", "dim"))
    out: list[Line] = [head]
    texts = [info["summary"]]
    if info["aliases"]:
        texts.append(f"aliases: {', '.join(info['aliases'])}")
    others = other_names_for([info["name"], *info["aliases"]])
    if others:
        texts.append(f"other libraries call it: {', '.join(others)}")
    texts.append(f"category: {info['category']} · origin: {info['origin']}")
    texts.append(f"semantics of {source_text(source)}")
    if info.get("formula"):
        texts.append(f"formula: {info['formula']}")
    texts += [f"y_true: {info['y_true']}", f"y_pred: {info['y_pred']}"]
    for text in texts:
        out += [line(part) for part in wrap(text, width)]
    if info.get("whole_file"):
        out += [
            line(p, "yellow") for p in wrap(f"reads the whole file: {info['whole_file']}", width)
        ]
    if info.get("batch_level"):
        text = f"one value for the whole file: {info['batch_level']}"
        out += [line(p, "yellow") for p in wrap(text, width)]
    if info["parameters"]:
        columns = [Column("name", style="bold"), Column("type"), Column("default")]
        columns.append(Column("meaning", kind="wrap"))
        rows = [[p["name"], p["type"], show(p["default"]), p["help"]] for p in info["parameters"]]
        out += [[], line("parameters", "bold"), *table(columns, rows, width)]
    if example:
        out += [[], line("example:", "bold"), *(line(t) for t in example.splitlines())]
    return out


def show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)

"""One options model for `eval`'s flags and `check`'s config keys.

Every option is declared once, here: its eval flag, its config key, its type, default, help
and metavar. `eval` builds an `Options` from its flags (`from_flags`), `check` from each
check's TOML table with `[defaults]` merged (`check_config.options_from_table`); both are
validated once (`validate`) and passed down whole. Messages name an option the way the user wrote it: the
flag on the command line, the key in a config (`name`, `translate`). No typer, no numpy:
cli.py reads this module while building `--help`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from typing import Any

from losscli.errors import UsageError

REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")
DTYPES = ("float64", "float32")
NAN_POLICIES = ("raise", "omit", "propagate")
FORMATS = ("table", "json", "csv", "markdown", "github")
#: the largest row count or batch size losscli takes (int64 offsets, exact as a float)
MAX_ROWS = 2**53
CLI, CONFIG = "cli", "config"


@dataclass(frozen=True)
class Meta:
    """How one option is written: flag (eval), key (check), type, help."""

    help: str
    flag: str | None = ""  # eval's option or argument (SPEC); None: config only; "": by name
    key: str = ""  # the config key; "": the field's name
    metavar: str = ""
    panel: str = "Input"
    kind: str = "str"  # how a config value is read: str, file, columns, names, int, bool,
    #                    choice, bounds, table, heads (check_config._convert)
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    short: str | None = None
    aliases: tuple[str, ...] = ()  # more long flags ('--distribution' beside '--dist')
    negative: str | None = None  # the off switch of a bool flag ('--no-header')
    per_check: str = ""  # why a check does not take this key ('' = it does)


def option(default: Any, help: str, **meta: Any) -> Any:
    """One option's dataclass field, its declaration in the metadata. The flag and the key
    follow the field's name (`batch_size`: `--batch-size`, `batch_size`) unless given."""
    info = {"meta": Meta(help=help, **meta)}
    if isinstance(default, list):
        return field(default_factory=list, metadata=info)
    return field(default=default, metadata=info)


_COMMAND = "is an option of the `check` command ({}), not of one check"


@dataclass
class InputOptions:
    """Where the numbers come from: files, columns and how to read them."""

    files: list[str] = option(
        [],
        "Prediction file(s): CSV, TSV, Parquet, Arrow/Feather, JSON Lines (.gz, .bz2, .zst, "
        ".xz too); a directory or a quoted glob is one dataset; - is stdin. Several files: "
        "one row each and a chart of the loss across them.",
        flag="FILES",
        key="file",
        metavar="FILE...",
        kind="file",
    )
    y_true: str = option(
        "y_true",
        "Label column(s): a name, a comma list, a glob ('t_*') or a position (#0).",
        metavar="COLUMN",
        kind="columns",
    )
    y_pred: str = option(
        "y_pred",
        "Prediction column(s): a name, a comma list, a glob ('p_*') or a position (#1).",
        metavar="COLUMN",
        kind="columns",
    )
    sample_weight: str | None = option(
        None,
        "Weight column; default: 'sample_weight' when the file has it. 'none' ignores it. A "
        "list column or several columns ('w_*') give one weight per timestep.",
        metavar="COLUMN",
        kind="columns",
    )
    mask: str | None = option(
        None,
        "Keras mask column: true/1 where a row counts (a list column: per timestep); masked "
        "values count neither in sums nor in counts.",
        metavar="COLUMN",
    )
    input_format: str | None = option(
        None,
        "csv, tsv, parquet, arrow (feather, ipc) or jsonl; overrides the extension; needed "
        "for stdin.",
        metavar="FORMAT",
    )
    delimiter: str | None = option(
        None, "Field separator of CSV/TSV input (default , for CSV, tab for TSV).", metavar="CHAR"
    )
    header: bool = option(
        True,
        "Whether CSV/TSV input has a header row; without one, columns are #0, #1, …",
        negative="--no-header",
        kind="bool",
    )
    classes: str | None = option(
        None,
        "Class names in index order (a,b,c) for text labels; default: the y_pred columns' "
        "suffixes (p_cat,p_dog → cat,dog).",
        metavar="NAMES",
        kind="names",
    )
    labels: str | None = option(
        None,
        "Take y_true (and sample_weight, if there) from this file, by row order or --on.",
        metavar="FILE",
        kind="file",
    )
    on: str | None = option(
        None,
        "Key column joining --labels to the predictions (labels are held in memory).",
        metavar="COLUMN",
    )
    skip: int = option(0, "Skip the first N rows.", metavar="N", kind="int", minimum=0)
    limit: int | None = option(
        None, "Read at most N rows (after --skip).", metavar="N", kind="int", minimum=0
    )
    batch_size: int | None = option(
        None,
        "Rows per streamed batch (memory vs. speed; default 262,144).",
        metavar="N",
        kind="int",
        minimum=1,
    )
    nan_policy: str = option(
        "raise",
        "Rows with NaN or inf inputs: raise (exit 3, say how many), omit (drop them) or "
        "propagate (Keras's NaN).",
        metavar="POLICY",
        kind="choice",
        choices=NAN_POLICIES,
    )
    strict: bool = option(
        False,
        "Treat warnings (logits given as probabilities, rows not summing to 1, …) as input "
        "errors: exit 3.",
        kind="bool",
    )


@dataclass
class LossOptions:
    """What is computed: loss specs (or heads), reduction, dtype, class weights."""

    loss: str = option(
        "mse",
        "One or more loss specs, comma-separated: mse, 'huber(delta=0.5),mae'.",
        flag="LOSS",
        metavar="SPEC",
        panel="Loss",
    )
    reduction: str = option(
        "sum_over_batch_size",
        "Keras reduction: " + ", ".join(REDUCTIONS) + ".",
        short="-r",
        metavar="REDUCTION",
        kind="choice",
        choices=REDUCTIONS,
        panel="Loss",
    )
    dtype: str = option(
        "float64",
        "float64 (exact) or float32 (Keras training numbers).",
        metavar="DTYPE",
        kind="choice",
        choices=DTYPES,
        panel="Loss",
    )
    class_weight: str | None = option(
        None,
        "Keras fit(class_weight=…): '0=1.0,1=3.5' or a JSON file; multiplies each row's "
        "weight by its true class's weight.",
        metavar="WEIGHTS",
        kind="table",
        panel="Loss",
    )
    heads: list[Any] = option(
        [],
        "A model output, repeatable: name=, loss= (default: SPEC), y_true=, y_pred= and "
        "weight= joined by commas, e.g. 'name=out1,y_pred=p1,weight=0.5'. Shows each head "
        "and Keras's weighted total.",
        flag="--head",
        key="head",
        metavar="HEAD",
        kind="heads",
        panel="Loss",
    )
    plugins: list[str] = option(
        [],
        "Custom losses: a .py file or an importable module (runs its code); repeatable.",
        flag="--plugin",
        metavar="FILE.py|MODULE",
        panel="Loss",
        per_check="is a top-level key: plugins = [...] load once for every check",
    )


@dataclass
class OutputOptions:
    """What is shown and written besides the values."""

    output_format: str | None = option(
        None,
        "table (also when piped: CI logs are read by people), json, csv, markdown or github "
        "(Actions annotations and job summary). Default: from -o's extension, else table.",
        flag="--format",
        short="-f",
        metavar="FORMAT",
        kind="choice",
        choices=FORMATS,
        panel="Output",
        per_check=_COMMAND.format("--format"),
    )
    output: str | None = option(
        None,
        "Write the results to this file (atomically); its extension (.json, .csv, .md, .txt; "
        ".xml for check's JUnit) sets the format unless --format is given. - is stdout.",
        short="-o",
        metavar="FILE",
        panel="Output",
        per_check=_COMMAND.format("--output"),
    )
    quiet: bool = option(
        False,
        "Print only the value(s), one per line (for $(...) in scripts); no notes.",
        short="-q",
        kind="bool",
        panel="Output",
        per_check=_COMMAND.format("-q"),
    )
    distribution: bool = option(
        False,
        "Also show each loss's per-sample quantiles and histogram (one more pass of work per "
        "row, so only on request).",
        flag="--dist",
        aliases=("--distribution",),
        kind="bool",
        panel="Output",
        per_check="shows a table a check's one value has no place for: use `losscli eval --dist`",
    )
    per_sample: str | None = option(
        None,
        "Stream one row per sample (row, --keep columns, one column per loss) to a .parquet "
        "or .csv file.",
        metavar="FILE",
        kind="file",
        panel="Output",
    )
    keep: list[str] = option(
        [],
        "Key columns to carry into --per-sample and --top rows: 'id,split'.",
        metavar="COLUMNS",
        kind="names",
        panel="Output",
    )
    group_by: str | None = option(
        None,
        "One result per value of this column, plus the overall one.",
        metavar="COLUMN",
        panel="Output",
        per_check="shows one value per group, and a check gates one value: use "
        "`losscli eval --group-by`",
    )
    max_groups: int | None = option(
        None,
        "--group-by stops with exit 3 beyond this many groups (default 1000).",
        metavar="N",
        kind="int",
        minimum=1,
        panel="Output",
        per_check="bounds --group-by, which a check does not take",
    )
    top: int | None = option(
        None,
        "List the K samples with the largest loss (error analysis).",
        metavar="K",
        kind="int",
        minimum=1,
        panel="Output",
        per_check="lists rows, which a check's one result has no place for: use "
        "`losscli eval --top`",
    )
    engine: str = option(
        "local",
        "local, or dask: a dataset's files (a Parquet file's row groups) as partitions on a "
        "Dask cluster; needs losscli[dask].",
        metavar="ENGINE",
        kind="choice",
        choices=("local", "dask"),
        panel="Cluster",
        per_check="is an option of `losscli eval` (a cluster run), not of a check",
    )
    scheduler: str = option(
        "local",
        "Dask scheduler address (tcp://host:8786), or local for a cluster on this machine. "
        "--per-sample then names a new folder or prefix: a Parquet file per partition.",
        metavar="ADDRESS",
        panel="Cluster",
        per_check="is an option of `losscli eval` (a cluster run), not of a check",
    )
    ci: float | None = option(
        None,
        "Bootstrap confidence interval of each loss at this level, e.g. 0.95.",
        metavar="LEVEL",
        kind="float",
        panel="Statistics",
        per_check="is eval's interval of one file: use `losscli eval --ci`, or baseline = … "
        "and `losscli compare` for two models",
    )
    bootstrap: int = option(
        1000,
        "Bootstrap replicates (cost: N operations per row).",
        metavar="N",
        kind="int",
        minimum=2,
        panel="Statistics",
        per_check="goes with --ci: use `losscli eval --ci`",
    )
    seed: int = option(
        0,
        "Seed of the bootstrap weights.",
        metavar="N",
        kind="int",
        minimum=-MAX_ROWS,  # any whole number, as the compare command takes
        panel="Statistics",
        per_check="goes with --ci: use `losscli eval --ci`",
    )
    plot: str | None = option(
        None,
        "Several files: each loss over them, in the terminal (--plot alone), or to a "
        "standalone .svg/.html file.",
        metavar="[FILE.svg|FILE.html]",
        panel="Output",
        per_check="draws several files, and a check reads one: use `losscli eval FILES… --plot`",
    )


@dataclass
class GateOptions:
    """The CI gate: bounds, or a check that only reports."""

    fail_above: list[str] = option(
        [],
        "Exit 1 if a value is above X. 'X' for every loss, 'LOSS=X' for one (name, spec, "
        "#position, head name or total); repeatable.",
        metavar="X|LOSS=X",
        kind="bounds",
        panel="CI gate",
    )
    fail_below: list[str] = option(
        [],
        "Exit 1 if a value is below X; same forms as --fail-above.",
        metavar="X|LOSS=X",
        kind="bounds",
        panel="CI gate",
    )
    report_only: bool = option(
        False,
        "A check without bounds: report its value, never fail.",
        flag=None,
        kind="bool",
        panel="CI gate",
    )
    baseline: str | None = option(
        None,
        "Another model's predictions (the model on main), evaluated as the check's file; "
        "the check shows both values and the difference (losscli.baseline).",
        flag=None,
        metavar="FILE",
        kind="file",
        panel="CI gate",
    )
    max_regression: Any = option(
        None,
        "How much worse than the baseline the value may be: absolute (0.01) or relative "
        '("1%"); without it the baseline is only reported.',
        flag=None,
        kind="margin",
        panel="CI gate",
    )


GROUPS = {
    "input": InputOptions,
    "loss": LossOptions,
    "output": OutputOptions,
    "gate": GateOptions,
}


def options_fields() -> Iterator[tuple[str, Field[Any], Meta]]:
    """(group, field, meta) for every option, in declaration order; flag and key filled in."""
    return iter(_FIELDS)


def _declared() -> list[tuple[str, Field[Any], Meta]]:
    found = []
    for group, cls in GROUPS.items():
        for f in fields(cls):
            m = f.metadata["meta"]
            flag = "--" + f.name.replace("_", "-") if m.flag == "" else m.flag
            found.append((group, f, replace(m, flag=flag, key=m.key or f.name)))
    return found


_FIELDS = _declared()


_BY_NAME = {f.name: (g, f, m) for g, f, m in _FIELDS}
_BY_FLAG = {flag: m for _, _, m in _FIELDS for flag in (m.flag, *m.aliases) if flag}


def meta(name: str) -> Meta:
    return _BY_NAME[name][2]


def default(name: str) -> Any:
    f = _BY_NAME[name][1]
    return [] if f.default is MISSING else f.default


@dataclass
class Options:
    """Everything one evaluation needs, grouped; `origin` says how messages name options."""

    input: InputOptions = field(default_factory=InputOptions)
    loss: LossOptions = field(default_factory=LossOptions)
    output: OutputOptions = field(default_factory=OutputOptions)
    gate: GateOptions = field(default_factory=GateOptions)
    origin: str = CLI

    @classmethod
    def from_flags(cls, values: Mapping[str, Any]) -> Options:
        """eval's parsed flags (by parameter name) → Options, validated."""
        groups: dict[str, dict[str, Any]] = {g: {} for g in GROUPS}
        for group, f, m in options_fields():
            if f.name not in values or m.flag is None:
                continue
            value = values[f.name]
            if hasattr(value, "value"):  # a Typer choice enum
                value = value.value
            if isinstance(value, str) and f.default is MISSING:  # --keep id,split
                value = [k.strip() for k in value.split(",") if k.strip()]
            if f.default is MISSING:  # a list option: None or a tuple from the parser
                value = list(value or [])
            groups[group][f.name] = value
        made = cls(**{g: GROUPS[g](**kw) for g, kw in groups.items()})
        made.validate()
        return made

    def name(self, option: str) -> str:
        """How the user wrote an option: '--skip' on the command line, 'skip' in a config."""
        m = meta(option)
        return m.key if self.origin == CONFIG or m.flag is None else m.flag

    def validate(self) -> None:
        """The rules between and within options, checked once, before anything is read."""
        say = self.name
        for group, f, m in options_fields():
            value = getattr(getattr(self, group), f.name)
            if m.kind == "int" and value is not None and not m.minimum <= value <= MAX_ROWS:  # type: ignore[operator]
                raise UsageError(f"{say(f.name)} must be from {m.minimum} to {MAX_ROWS:,}")
            if m.kind == "choice" and value not in (
                *m.choices,
                *([None] if f.default is None else []),
            ):
                raise UsageError(
                    f"{say(f.name)}: unknown value {value!r}", hint=f"use {', '.join(m.choices)}"
                )
        i, lo, out, g = self.input, self.loss, self.output, self.gate
        if i.on and not i.labels:
            raise UsageError(f"{say('on')} joins a labels file", hint=f"add {say('labels')}")
        if (g.fail_above or g.fail_below) and lo.reduction == "none":
            raise UsageError(
                f"{say('fail_above')}/{say('fail_below')} need one value per loss",
                hint=f"use a {say('reduction')} other than none",
            )
        if len(i.files) > 1 and (lo.heads or out.per_sample or out.group_by or out.top):
            raise UsageError(
                f"{say('heads')}, {say('per_sample')}, {say('group_by')} and {say('top')} "
                "work on one file"
            )
        if lo.heads and (out.per_sample or out.group_by or out.top):
            raise UsageError(
                f"{say('per_sample')}, {say('group_by')} and {say('top')} work on one loss, "
                f"not with {say('heads')}"
            )
        if lo.heads:
            ignored = [say(n) for n in ("delimiter", "labels", "skip", "limit") if self.is_set(n)]
            ignored += [say("header").replace("--", "--no-")] if not i.header else []
            if ignored:
                raise UsageError(
                    f"{say('heads')} reads the file with the default input options; "
                    f"{', '.join(ignored)} would be ignored",
                    hint=f"evaluate one head at a time without {say('heads')} to use them",
                )
        if g.report_only and (g.fail_above or g.fail_below):
            raise UsageError(
                f"report_only = true but {say('fail_above')}/{say('fail_below')} set a bound"
            )

    def is_set(self, name: str) -> bool:
        """Whether an option differs from its default."""
        return getattr(getattr(self, _BY_NAME[name][0]), name) != default(name)

    def with_values(self, **values: Any) -> Options:
        """A copy with some options changed, by field name (the library's keyword API)."""
        groups = {g: dict(vars(getattr(self, g))) for g in GROUPS}
        for name, value in values.items():
            if name not in _BY_NAME:
                raise TypeError(f"unknown option {name!r}")
            groups[_BY_NAME[name][0]][name] = value
        made = replace(self, **{g: GROUPS[g](**kw) for g, kw in groups.items()})
        made.validate()
        return made


_FLAG = re.compile(r"--[a-z][a-z-]*")


def translate(text: str) -> str:
    """Every eval flag in `text` replaced by its config key (`--no-header` → `header`)."""

    def key(match: re.Match[str]) -> str:
        flag = match.group(0)
        m = _BY_FLAG.get(flag) or _BY_FLAG.get(flag.replace("--no-", "--"))
        return m.key if m else flag

    return _FLAG.sub(key, text)


def reading(options: InputOptions) -> dict[str, Any]:
    """The keyword arguments of `losscli.inputs.open_input`: how to read and which columns."""
    skipped = ("files", "nan_policy", "strict")
    return {f.name: getattr(options, f.name) for f in fields(options) if f.name not in skipped}

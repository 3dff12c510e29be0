"""The command line: parse options, make one library call, render, map errors to exit codes.

Exit codes: 0 ok · 1 a threshold or check failed · 2 usage · 3 input data · 4 internal error
· 130 interrupted. Heavy modules (numpy, pyarrow, the losses) load inside commands, so
`--help` and `--version` stay instant.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer

from losscli._version import __version__
from losscli.compare_cli import (
    BootstrapOption,
    CiOption,
    SeedOption,
    bare_plot_flag,
    compare_command,
    plot_option,
)
from losscli.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_USAGE,
    LossCliError,
)

EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 a threshold or check failed, 2 usage error, 3 input data error, "
    "4 internal error (please report it), 130 interrupted, 141 stdout closed early."
)

app = typer.Typer(
    name="losscli",
    help=f"Evaluate Keras-exact loss functions on prediction files.\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)

_state = {"debug": False}

F = TypeVar("F", bound=Callable[..., Any])


class Format(StrEnum):
    table = "table"
    json = "json"


class ResultFormat(StrEnum):
    """Formats for results (eval, check); list/describe keep table and json."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    github = "github"


class Reduction(StrEnum):
    sum_over_batch_size = "sum_over_batch_size"
    sum = "sum"
    none = "none"
    mean = "mean"
    mean_with_sample_weight = "mean_with_sample_weight"


class NanPolicy(StrEnum):
    raise_ = "raise"
    omit = "omit"
    propagate = "propagate"


class Dtype(StrEnum):
    float64 = "float64"
    float32 = "float32"


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    from losscli.outputs import warn as print_warning

    print_warning(message)


PluginOption = Annotated[
    list[str] | None,
    typer.Option(
        "--plugin",
        metavar="FILE.py|MODULE",
        help="Custom losses: a .py file or an importable module (runs its code); repeatable.",
        rich_help_panel="Loss",
        show_default=False,
    ),
]


def _load_plugins(specs: list[str] | None) -> None:
    if specs:
        from losscli.plugins import load_plugins

        load_plugins(specs)


@contextlib.contextmanager
def _library_warnings() -> Any:
    """Library warnings (e.g. a broken plugin package) become `losscli: warning:` lines."""
    import warnings

    from losscli.errors import LossCliWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LossCliWarning)
        try:
            yield
        finally:
            others = [
                w
                for w in caught
                if not issubclass(w.category, LossCliWarning) and not _numpy_float_noise(w)
            ]
            for w in caught:
                if issubclass(w.category, LossCliWarning):
                    warn(str(w.message))
    for w in others:
        warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _numpy_float_noise(caught: Any) -> bool:
    """numpy's 'overflow encountered in …' warnings: the NaN or inf they announce is
    reported by losscli itself (row and count), so the Python warning is only noise."""
    return issubclass(caught.category, RuntimeWarning) and "encountered in" in str(caught.message)


def report_warnings(warnings: list[Any], *, strict: bool) -> None:
    """Print the library's diagnostics; with --strict any of them is an input error."""
    for message in warnings:
        warn(str(message))
    if strict and warnings:
        from losscli.errors import InputDataError

        count = f"{len(warnings)} warning{'s' if len(warnings) > 1 else ''}"
        raise InputDataError(f"{count} and --strict is on", hint="fix the input or drop --strict")


QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Print only the value(s), one per line (for $(...) in scripts); no notes.",
        rich_help_panel="Output",
    ),
]

OutputOption = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the results to this file (atomically); its extension (.json, .csv, .md, "
        ".txt; .xml for check's JUnit) sets the format unless --format is given. - is stdout.",
        rich_help_panel="Output",
        show_default=False,
    ),
]


def handle_errors(command: F) -> F:
    """The one place where library errors become one stderr line and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            _refuse_huge_numbers(kwargs)
            with _library_warnings():
                return command(*args, **kwargs)
        except typer.Exit:
            raise
        except LossCliError as exc:
            if _state["debug"]:
                raise
            _stderr().print(f"losscli: error: {exc}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP (losscli.interrupts)
            from losscli import interrupts

            sys.stderr.write(f"losscli: {interrupts.describe(exc)}\n")
            raise typer.Exit(interrupts.exit_code(exc)) from None
        except BrokenPipeError:
            raise typer.Exit(_broken_pipe()) from None
        except Exception as exc:
            from losscli.errors import environment_error

            _failed_stream(exc)
            error = environment_error(exc)
            if _state["debug"]:
                raise
            if error is not None:  # a full disk, a closed stream: not a bug in losscli
                _stderr().print(f"losscli: error: {error}", markup=False)
                raise typer.Exit(error.exit_code) from None
            _stderr().print(
                f"losscli: internal error: {type(exc).__name__}: {exc} — this is a bug in "
                "losscli; please report it with the command you ran (--debug shows the traceback)",
                markup=False,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


#: the largest count an option takes (rows, batch size, top-K): beyond it numbers overflow
MAX_COUNT = 2**62


def _refuse_huge_numbers(options: dict[str, Any]) -> None:
    """`--batch-size 2**70` is a usage error naming the option, not an overflow deep inside."""
    from losscli.errors import UsageError

    for name, value in options.items():
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_COUNT:
            raise UsageError(
                f"--{name.replace('_', '-')} {value} is too large", hint=f"at most {MAX_COUNT:,}"
            )


def _failed_stream(exc: BaseException) -> None:
    """When stdout itself failed (e.g. /dev/full), point fd 1 at /dev/null so that exiting
    (which flushes stdout) does not fail a second time with a traceback."""
    from losscli.streams import STDOUT

    if isinstance(exc, OSError) and exc.filename == STDOUT:
        _broken_pipe()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"losscli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
) -> None:
    _state["debug"] = debug


@app.command("eval", epilog=EXIT_CODES_HELP)
@handle_errors
def eval_command(
    loss: Annotated[
        str,
        typer.Argument(
            help="One or more loss specs, comma-separated: mse, 'huber(delta=0.5),mae'.",
            show_default=False,
        ),
    ],
    files: Annotated[
        list[str],
        typer.Argument(
            help="Prediction file(s): CSV, TSV, Parquet, Arrow/Feather, JSON Lines (.gz, .bz2, "
            ".zst, .xz too); a directory or a quoted glob is one dataset; - is stdin. Several "
            "files: one row each and a chart of the loss across them.",
            show_default=False,
        ),
    ],
    y_true: Annotated[
        str,
        typer.Option(
            "--y-true",
            help="Label column(s): a name, a comma list, a glob ('t_*') or a position (#0).",
            rich_help_panel="Input",
        ),
    ] = "y_true",
    y_pred: Annotated[
        str,
        typer.Option(
            "--y-pred",
            help="Prediction column(s): a name, a comma list, a glob ('p_*') or a position (#1).",
            rich_help_panel="Input",
        ),
    ] = "y_pred",
    sample_weight: Annotated[
        str | None,
        typer.Option(
            "--sample-weight",
            help="Weight column; default: 'sample_weight' when the file has it. 'none' ignores it.",
            rich_help_panel="Input",
            show_default=False,
        ),
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            help="csv, tsv, parquet, arrow (feather, ipc) or jsonl; overrides the extension; "
            "needed for stdin.",
            rich_help_panel="Input",
        ),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(
            "--delimiter",
            help="Field separator of CSV/TSV input (default , for CSV, tab for TSV).",
            rich_help_panel="Input",
        ),
    ] = None,
    header: Annotated[
        bool,
        typer.Option(
            "--header/--no-header",
            help="Whether CSV/TSV input has a header row; without one, columns are #0, #1, …",
            rich_help_panel="Input",
        ),
    ] = True,
    classes: Annotated[
        str | None,
        typer.Option(
            "--classes",
            help="Class names in index order (a,b,c) for text labels; default: the y_pred "
            "columns' suffixes (p_cat,p_dog → cat,dog).",
            rich_help_panel="Input",
            show_default=False,
        ),
    ] = None,
    labels: Annotated[
        str | None,
        typer.Option(
            "--labels",
            help="Take y_true (and sample_weight, if there) from this file, by row order or --on.",
            rich_help_panel="Input",
            show_default=False,
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            help="Key column joining --labels to the predictions (labels are held in memory).",
            rich_help_panel="Input",
            show_default=False,
        ),
    ] = None,
    skip: Annotated[
        int,
        typer.Option("--skip", min=0, help="Skip the first N rows.", rich_help_panel="Input"),
    ] = 0,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=0,
            help="Read at most N rows (after --skip).",
            rich_help_panel="Input",
            show_default=False,
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            min=1,
            help="Rows per streamed batch (memory vs. speed; default 262,144).",
            rich_help_panel="Input",
        ),
    ] = None,
    reduction: Annotated[
        Reduction,
        typer.Option("--reduction", "-r", help="Keras reduction.", rich_help_panel="Loss"),
    ] = Reduction.sum_over_batch_size,
    dtype: Annotated[
        Dtype,
        typer.Option(
            "--dtype",
            help="float64 (exact) or float32 (Keras training numbers).",
            rich_help_panel="Loss",
        ),
    ] = Dtype.float64,
    plugin: PluginOption = None,
    output_format: Annotated[
        ResultFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (also when piped: CI logs are read by people), json, csv, markdown or "
            "github (Actions annotations and job summary). Default: from -o's extension, "
            "else table.",
            rich_help_panel="Output",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
    quiet: QuietOption = False,
    distribution: Annotated[
        bool,
        typer.Option(
            "--dist",
            "--distribution",
            help="Also show each loss's per-sample quantiles and histogram (one more pass of "
            "work per row, so only on request).",
            rich_help_panel="Output",
        ),
    ] = False,
    per_sample: Annotated[
        str | None,
        typer.Option(
            "--per-sample",
            help="Stream one row per sample (row, --keep columns, one column per loss) to a "
            ".parquet or .csv file.",
            rich_help_panel="Output",
            show_default=False,
        ),
    ] = None,
    keep: Annotated[
        str | None,
        typer.Option(
            "--keep",
            help="Key columns to carry into --per-sample and --top rows: 'id,split'.",
            rich_help_panel="Output",
            show_default=False,
        ),
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by",
            help="One result per value of this column, plus the overall one.",
            rich_help_panel="Output",
            show_default=False,
        ),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            min=1,
            help="List the K samples with the largest loss (error analysis).",
            rich_help_panel="Output",
            show_default=False,
        ),
    ] = None,
    head: Annotated[
        list[str] | None,
        typer.Option(
            "--head",
            help="A model output, repeatable: 'name=out1,loss=mse,y_true=t1,y_pred=p1,weight=0.5' "
            "(loss defaults to LOSS). Shows each head and Keras's weighted total.",
            rich_help_panel="Loss",
            show_default=False,
        ),
    ] = None,
    class_weight: Annotated[
        str | None,
        typer.Option(
            "--class-weight",
            help="Keras fit(class_weight=…): '0=1.0,1=3.5' or a JSON file; multiplies each "
            "row's weight by its true class's weight.",
            rich_help_panel="Loss",
            show_default=False,
        ),
    ] = None,
    fail_above: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-above",
            help="Exit 1 if a value is above X. 'X' for every loss, 'LOSS=X' for one "
            "(name, spec, #position, head name or total); repeatable.",
            rich_help_panel="CI gate",
            show_default=False,
        ),
    ] = None,
    fail_below: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-below",
            help="Exit 1 if a value is below X; same forms as --fail-above.",
            rich_help_panel="CI gate",
            show_default=False,
        ),
    ] = None,
    nan_policy: Annotated[
        NanPolicy,
        typer.Option(
            "--nan-policy",
            help="Rows with NaN or inf inputs: raise (exit 3, say how many), omit (drop them) "
            "or propagate (Keras's NaN).",
            rich_help_panel="Input",
        ),
    ] = NanPolicy.raise_,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Treat warnings (logits given as probabilities, rows not summing to 1, …) as "
            "input errors: exit 3.",
            rich_help_panel="Input",
        ),
    ] = False,
    ci: CiOption = None,
    bootstrap: BootstrapOption = 1000,
    seed: SeedOption = 0,
    plot: Annotated[str | None, plot_option("Several files: each loss over them")] = None,
) -> None:
    """Evaluate loss specs on a prediction file.

    Examples:

      losscli eval mse sample_data/regression.csv

      losscli eval 'huber(delta=0.5),mae' sample_data/regression_weighted.parquet --format json

      losscli eval mse sample_data/regression.csv sample_data/regression_weighted.parquet
    """
    from losscli.api import evaluate
    from losscli.outputs import EvalOptions, EvalRun, announce_inferred

    _load_plugins(plugin)
    run = EvalRun(
        EvalOptions(
            format=output_format.value if output_format else None,
            output=output,
            fail_above=fail_above or [],
            fail_below=fail_below or [],
            per_sample=per_sample,
            keep=[k for k in (keep or "").split(",") if k.strip()],
            group_by=group_by,
            top=top,
            class_weight=class_weight,
            heads=head or [],
            quiet=quiet,
            distribution=distribution,
            ci=ci,
            bootstrap=bootstrap,
            seed=seed,
            plot=plot,
        ),
        loss,
        [*files, *([labels] if labels else [])],  # every input: never overwritten, hashed early
        reduction.value,
        files=len(files),
    )

    announce = functools.partial(
        announce_inferred,
        sample_weight=sample_weight,
        input_format=input_format,
        classes=classes,
        quiet=quiet,
    )

    def evaluate_one(path: str, progress: Any, **hooks: Any) -> Any:
        return evaluate(
            path,
            loss,
            y_true=y_true,
            y_pred=y_pred,
            sample_weight=sample_weight,
            reduction=reduction.value,
            dtype=dtype.value,
            batch_size=batch_size,
            input_format=input_format,
            nan_policy=nan_policy.value,
            delimiter=delimiter,
            header=header,
            classes=classes,
            labels=labels,
            on=on,
            skip=skip,
            limit=limit,
            progress=progress,
            **hooks,
        )

    if len(files) > 1:
        from losscli.errors import UsageError

        if head or per_sample or group_by or top:
            raise UsageError("--head, --per-sample, --group-by and --top work on one file")
        many = functools.partial(evaluate_one, class_weight=run.class_weight)
        raise typer.Exit(_eval_many(files, run, many, announce, strict=strict))
    file = files[0]
    if head:
        ignored = {
            "--delimiter": delimiter is not None,
            "--no-header": not header,
            "--classes": classes is not None,
            "--labels": labels is not None,
            "--skip": skip != 0,
            "--limit": limit is not None,
        }
        if any(ignored.values()):
            from losscli.errors import UsageError

            given = ", ".join(name for name, used in ignored.items() if used)
            raise UsageError(
                f"--head reads the file with the default input options; {given} would be ignored",
                hint="evaluate one head at a time without --head to use them",
            )
        raise typer.Exit(
            run.run_heads(
                file,
                functools.partial(report_warnings, strict=strict),
                nan_policy=nan_policy.value,
                reduction=reduction.value,
                dtype=dtype.value,
                batch_size=batch_size,
                input_format=input_format,
            )
        )
    with run.hooks() as hooks, _progress(file) as progress:
        evaluation = evaluate_one(file, progress, **hooks)
        report_warnings(evaluation.warnings, strict=strict)
    announce(evaluation)
    raise typer.Exit(run.finish(evaluation))


def _eval_many(
    files: list[str],
    run: Any,
    evaluate_one: Callable[[str, Any], Any],
    announce: Callable[[Any], None],
    *,
    strict: bool,
) -> int:
    """Each file with the same spec, with its own progress bar and warnings; then a row per
    file (and a chart) and thresholds on every file (outputs.EvalRun.finish_many)."""
    evaluations = []
    for path in files:
        with _progress(path) as progress:
            evaluation = evaluate_one(path, progress)
        report_warnings([f"{path}: {w}" for w in evaluation.warnings], strict=strict)
        announce(evaluation)
        evaluations.append(evaluation)
    return run.finish_many(evaluations)


@contextlib.contextmanager
def _progress(path: str) -> Any:
    """A progress bar on stderr, only on a terminal and only once reading takes a while."""
    if not sys.stderr.isatty():
        yield None
        return
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=_stderr(),
        transient=True,
    )
    task = bar.add_task(path, total=None)
    started = time.monotonic()

    def update(rows: int, total: int | None) -> None:
        if not bar.live.is_started and time.monotonic() - started > 0.5:
            bar.start()
        bar.update(task, completed=rows, total=total)

    try:
        yield update
    finally:
        if bar.live.is_started:
            bar.stop()


@app.command("list")
@handle_errors
def list_command(
    category: Annotated[
        str | None, typer.Option("--category", "-c", help="Only losses of this category.")
    ] = None,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.")
    ] = Format.table,
    long: Annotated[
        bool,
        typer.Option("--long", "-l", help="Every loss in full: parameters, defaults, formula."),
    ] = False,
    plugin: PluginOption = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source", "-s", help="Only one family: keras, torch, sklearn, tfa or custom."
        ),
    ] = None,
) -> None:
    """List the available losses: one line each (name, category, aliases, summary).

    Examples:

      losscli list

      losscli list --category probabilistic --format json

      losscli list --source torch
    """
    from losscli import static_catalogue
    from losscli.errors import UsageError
    from losscli.outputs import show, width
    from losscli.report.document import catalogue_document, to_json
    from losscli.report.listing import list_lines, long_lines

    every = None if plugin else static_catalogue.load()  # built-ins only: no numpy needed
    if every is None:
        from losscli.catalogue import info_dict
        from losscli.registry import list_losses

        _load_plugins(plugin)
        every = [info_dict(i) for i in list_losses()]
    from losscli.names import by_source

    infos = [i for i in by_source(every, source) if category is None or i["category"] == category]
    if category and not infos:
        known = sorted({i["category"] for i in every})
        raise UsageError(
            f"no losses in category {category!r}", hint=f"categories: {', '.join(known)}"
        )
    if output_format is Format.json:
        typer.echo(to_json(catalogue_document(infos)))
    else:
        show((long_lines if long else list_lines)(infos, width()))


@app.command("describe")
@handle_errors
def describe_command(
    loss: Annotated[str, typer.Argument(help="A loss name or alias.", show_default=False)],
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.")
    ] = Format.table,
    plugin: PluginOption = None,
) -> None:
    """Show a loss's formula, parameters, expected inputs and a worked example.

    Examples:

      losscli describe huber

      losscli describe bce --format json
    """
    from losscli.catalogue import example, info_dict
    from losscli.outputs import show, width
    from losscli.registry import get
    from losscli.report.document import to_json
    from losscli.report.listing import describe_lines

    _load_plugins(plugin)
    info = get(loss)
    if output_format is Format.json:
        typer.echo(to_json(info_dict(info)))
    else:
        show(describe_lines(info_dict(info), example(info), width()))


@app.command("check")
@handle_errors
def check_command(
    config: Annotated[
        str,
        typer.Argument(
            help="TOML file of checks (see sample_data/check.toml).", show_default=False
        ),
    ],
    output_format: Annotated[
        ResultFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table, json, csv, markdown or github. Default: from -o's extension, else table.",
            rich_help_panel="Output",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
    quiet: QuietOption = False,
    junit: Annotated[
        str | None,
        typer.Option(
            "--junit",
            help="Also write JUnit XML (one test case per check) for CI test reports.",
            rich_help_panel="Output",
            show_default=False,
        ),
    ] = None,
    plugin: PluginOption = None,
) -> None:
    """Run every check of a config file (each a file, columns, a loss, a reduction and bounds).

    Exit 0 if all pass, 1 if one fails, 2 for a bad config (the message names the line),
    3 if a file's data cannot be evaluated.

    Examples:

      losscli check sample_data/check.toml

      losscli check sample_data/check.toml --junit losscli-junit.xml --format markdown
    """
    from losscli.outputs import run_check

    _load_plugins(plugin)
    fmt = output_format.value if output_format else None
    raise typer.Exit(run_check(config, fmt, output, junit, quiet=quiet))


app.command("compare", epilog=EXIT_CODES_HELP)(handle_errors(compare_command))


def _broken_pipe() -> int:
    """`losscli … | head`: the reader left. Quietly stop writing (no traceback at exit)."""
    import os

    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def main() -> None:
    """Console-script entry point: usage errors, too, end in one stderr line (exit 2)."""
    from losscli import interrupts, streams

    streams.guard_standard_streams()
    interrupts.install()
    sys.argv[1:] = bare_plot_flag(sys.argv[1:])  # `--plot` alone: the terminal chart
    try:
        code = app(prog_name="losscli", standalone_mode=False)
        sys.stdout.flush()  # --help and --version print here; a closed pipe must show now
    except BrokenPipeError:
        sys.exit(_broken_pipe())
    except SystemExit as exc:  # Click and rich exit 1 on a closed pipe; `| head` is 141
        cause = exc.__context__
        if isinstance(cause, OSError) and cause.errno == errno.EPIPE:
            sys.exit(_broken_pipe())
        raise
    except KeyboardInterrupt as exc:
        sys.stderr.write(f"losscli: {interrupts.describe(exc)}\n")
        sys.exit(interrupts.exit_code(exc))
    except typer.Abort as exc:  # Click's name for a KeyboardInterrupt outside a command
        cause = exc.__cause__ or exc
        sys.stderr.write(f"losscli: {interrupts.describe(cause)}\n")
        sys.exit(interrupts.exit_code(cause))
    except typer.TyperException as exc:  # Click's usage errors: bad option, missing argument
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]
        else:
            sys.stderr.write(f"losscli: error: {_usage_line(exc)}\n")
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
    sys.exit(code if isinstance(code, int) else 0)


def _usage_line(exc: Exception) -> str:
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "losscli"
    return f"{' '.join(message.split())} (see `{where} --help`)"

"""The command line: parse options, make one library call, render, map errors to exit codes.

Exit codes: 0 ok · 1 a threshold or check failed · 2 usage · 3 input data or environment · 4 a
bug · 129/130/143 SIGHUP/Ctrl-C/SIGTERM · 141 stdout closed. Heavy modules (numpy, pyarrow,
the losses) load inside commands, so `--help` and `--version` stay instant.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from losscli._version import __version__
from losscli.catalogue_cli import PluginOption, describe_command, list_command
from losscli.catalogue_cli import load_plugin_specs as _load_plugins
from losscli.compare_cli import bare_plot_flag, compare_command
from losscli.completion import complete_loss
from losscli.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_USAGE,
    LossCliError,
)
from losscli.options import Options
from losscli.typer_options import (
    CONTEXT,
    Dtype,
    Engine,
    NanPolicy,
    ReadableCommand,
    ReadableGroup,
    Reduction,
    ResultFormat,
    argument,
    option,
)

EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 a threshold or check failed, 2 usage error, 3 input data error, "
    "4 internal error (please report it), 129 hung up, 130 interrupted, 141 stdout closed "
    "early, 143 terminated."
)

app = typer.Typer(
    name="losscli",
    help=f"Evaluate Keras-exact loss functions on prediction files.\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings=CONTEXT,
    cls=ReadableGroup,
)

_state = {"debug": False}
DEFAULTS = Options()  # the defaults the options model declares, read back by the CLI

F = TypeVar("F", bound=Callable[..., Any])


def _stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    from losscli.outputs import warn as print_warning

    print_warning(message)


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


QuietOption = Annotated[bool, option("quiet")]
OutputOption = Annotated[str | None, option("output")]


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


@app.command("eval", epilog=EXIT_CODES_HELP, cls=ReadableCommand)
@handle_errors
def eval_command(
    loss: Annotated[str, argument("loss", autocompletion=complete_loss)],
    files: Annotated[list[str], argument("files")],
    y_true: Annotated[str, option("y_true")] = DEFAULTS.input.y_true,
    y_pred: Annotated[str, option("y_pred")] = DEFAULTS.input.y_pred,
    sample_weight: Annotated[str | None, option("sample_weight")] = None,
    mask: Annotated[str | None, option("mask")] = None,
    input_format: Annotated[str | None, option("input_format")] = None,
    delimiter: Annotated[str | None, option("delimiter")] = None,
    header: Annotated[bool, option("header")] = DEFAULTS.input.header,
    classes: Annotated[str | None, option("classes")] = None,
    labels: Annotated[str | None, option("labels")] = None,
    on: Annotated[str | None, option("on")] = None,
    skip: Annotated[int, option("skip")] = DEFAULTS.input.skip,
    limit: Annotated[int | None, option("limit")] = None,
    batch_size: Annotated[int | None, option("batch_size")] = None,
    nan_policy: Annotated[NanPolicy, option("nan_policy")] = NanPolicy[DEFAULTS.input.nan_policy],
    strict: Annotated[bool, option("strict")] = DEFAULTS.input.strict,
    reduction: Annotated[Reduction, option("reduction")] = Reduction[DEFAULTS.loss.reduction],
    dtype: Annotated[Dtype, option("dtype")] = Dtype[DEFAULTS.loss.dtype],
    class_weight: Annotated[str | None, option("class_weight")] = None,
    heads: Annotated[list[str] | None, option("heads")] = None,
    plugins: Annotated[list[str] | None, option("plugins")] = None,
    output_format: Annotated[ResultFormat | None, option("output_format")] = None,
    output: Annotated[str | None, option("output")] = None,
    quiet: QuietOption = False,
    distribution: Annotated[bool, option("distribution")] = False,
    per_sample: Annotated[str | None, option("per_sample")] = None,
    keep: Annotated[str | None, option("keep")] = None,
    group_by: Annotated[str | None, option("group_by")] = None,
    max_groups: Annotated[int | None, option("max_groups")] = None,
    top: Annotated[int | None, option("top")] = None,
    fail_above: Annotated[list[str] | None, option("fail_above")] = None,
    fail_below: Annotated[list[str] | None, option("fail_below")] = None,
    engine: Annotated[Engine, option("engine")] = Engine["local"],
    scheduler: Annotated[str, option("scheduler")] = "local",
    ci: Annotated[float | None, option("ci")] = None,
    bootstrap: Annotated[int, option("bootstrap")] = DEFAULTS.output.bootstrap,
    seed: Annotated[int, option("seed")] = DEFAULTS.output.seed,
    plot: Annotated[str | None, option("plot")] = None,
) -> None:
    """Evaluate loss specs on a prediction file.

    Examples:

      losscli eval mse sample_data/regression.csv

      losscli eval 'bce,bce(label_smoothing=0.1)' sample_data/binary.csv -f json

      losscli eval bce sample_data/binary.csv --fail-above 0.7 --group-by split

      losscli eval mse sample_data/epochs/*.parquet
    """
    from losscli.options import Options

    options = Options.from_flags(locals())  # every parameter above is one option of the model
    from losscli.api import evaluate
    from losscli.outputs import EvalRun, announce_inferred

    _load_plugins(options.loss.plugins)
    per_sample = options.output.per_sample
    if options.output.engine == "dask":  # --per-sample is then a folder of partitions' files
        options.output.per_sample = None
    run = EvalRun(options)
    strict = options.input.strict
    announce = functools.partial(
        announce_inferred,
        sample_weight=options.input.sample_weight,
        input_format=options.input.input_format,
        classes=options.input.classes,
        quiet=options.output.quiet,
    )

    def evaluate_one(path: str, progress: Any, **hooks: Any) -> Any:
        return evaluate(path, options=options, progress=progress, **hooks)

    if options.output.engine == "dask":
        raise typer.Exit(_eval_dask(files, options, run, per_sample, announce))
    if len(files) > 1:
        many = functools.partial(evaluate_one, class_weight=run.class_weight)
        raise typer.Exit(_eval_many(files, run, many, announce, strict=strict))
    if options.loss.heads:
        raise typer.Exit(run.run_heads(files[0], functools.partial(report_warnings, strict=strict)))
    with run.hooks() as hooks, _progress(files[0]) as progress:
        evaluation = evaluate_one(files[0], progress, **hooks)
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


def _eval_dask(
    files: list[str],
    options: Any,
    run: Any,
    per_sample: str | None,
    announce: Callable[[Any], None],
) -> int:
    """`--engine dask`: refuse what partitions cannot do, evaluate on the cluster (a bar per
    finished partition), render as eval does."""
    from losscli.dask import ReadSpec, connect, evaluate_path, refuse

    i, o = options.input, options.output
    refuse(
        {
            "several files": len(files) > 1,
            "--labels": i.labels is not None,
            "--skip/--limit": i.skip != 0 or i.limit is not None,
            "--head": bool(options.loss.heads),
            "--group-by": o.group_by is not None,
            "--top": o.top is not None,
            "--dist": o.distribution,
        }
    )
    read = ReadSpec(
        options.loss.loss,
        y_true=i.y_true,
        y_pred=i.y_pred,
        sample_weight=i.sample_weight,
        batch_size=i.batch_size,
        delimiter=i.delimiter,
        header=i.header,
        classes=i.classes,
        keep=tuple(o.keep),
        dtype=options.loss.dtype,
        nan_policy=i.nan_policy,
        class_weight=run.class_weight,
    )
    with _progress(files[0]) as progress, connect(o.scheduler) as client:
        evaluation = evaluate_path(
            files[0],
            read,
            client=client,
            reduction=options.loss.reduction,
            input_format=i.input_format,
            per_sample=per_sample,
            progress=progress,
        )
    report_warnings(evaluation.warnings, strict=i.strict)
    announce(evaluation)
    return int(run.finish(evaluation))


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


app.command("list", cls=ReadableCommand)(handle_errors(list_command))
app.command("describe", cls=ReadableCommand)(handle_errors(describe_command))


@app.command("check", epilog=EXIT_CODES_HELP, cls=ReadableCommand)
@handle_errors
def check_command(
    config: Annotated[
        str,
        typer.Argument(
            metavar="CONFIG",
            help="TOML file of checks (see sample_data/check.toml).",
            show_default=False,
        ),
    ],
    output_format: Annotated[
        ResultFormat | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
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
            metavar="FILE",
            help="Also write JUnit XML (one test case per check) for CI test reports.",
            rich_help_panel="Output",
            show_default=False,
        ),
    ] = None,
    plugin: PluginOption = None,
    strict: Annotated[bool, option("strict")] = DEFAULTS.input.strict,
) -> None:
    """Run every check of a config file: each check takes eval's options as keys
    (file, loss, y_true, nan_policy, skip, strict, …) and a bound (fail_above, fail_below)
    or report_only = true.

    Exit 0 if all pass, 1 if one fails, 2 for a bad config (the message names
    the line, the check and the key), 3 if a file's data cannot be evaluated.

    Examples:

      losscli check sample_data/check.toml

      losscli check sample_data/check.toml --junit junit.xml -f markdown
    """
    from losscli.outputs import run_check

    _load_plugins(plugin)
    fmt = output_format.value if output_format else None
    raise typer.Exit(run_check(config, fmt, output, junit, quiet=quiet, strict=strict))


app.command("compare", epilog=EXIT_CODES_HELP, cls=ReadableCommand)(handle_errors(compare_command))


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

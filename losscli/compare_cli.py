"""The `compare` command and the `--plot` option's plumbing (part of the command line).

Registered on the app by cli.py; parses, makes one library call (losscli.compare), renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer

from losscli.completion import complete_loss
from losscli.errors import EXIT_CHECK_FAILED, EXIT_OK, UsageError
from losscli.typer_options import Dtype, NanPolicy, Reduction, ResultFormat, argument, option

#: what a bare `--plot` becomes: the terminal chart
TERMINAL = "-"
CHART_SUFFIXES = (".svg", ".html", ".htm")


def check_eval_statistics(
    options: Any, fmt: str, reduction: str, files: int, heads: bool = False
) -> None:
    """What `eval --ci/--plot` can do, checked before reading (`options`: eval's output
    options; `fmt`: the chosen format)."""
    if options.ci is not None:
        from losscli.bootstrap import check_level, check_reduction

        check_level(options.ci)
        if heads or files > 1:
            raise UsageError(
                "--ci works on one file and one head",
                hint="run eval per file, or `losscli compare` for two models",
            )
        check_reduction(reduction)
    if options.plot is not None:
        check_plot(options.plot, fmt)
        if files < 2:
            raise UsageError(
                "--plot charts each loss over several files (checkpoints, epochs)",
                hint="give several files, or use `losscli compare --plot` for two models",
            )


def bare_plot_flag(argv: Sequence[str]) -> list[str]:
    """`--plot` with no chart file after it means the terminal chart: `--plot=-`.

    Typer's options take a value or none, never an optional one; this lets `--plot` and
    `--plot FILE.svg` both work. Only a following .svg/.html/.htm is taken as the file."""
    out = list(argv)
    for i, token in enumerate(out):
        if token == "--":
            break
        if token == "--plot":
            following = out[i + 1] if i + 1 < len(out) else ""
            if following != TERMINAL and not following.lower().endswith(CHART_SUFFIXES):
                out[i] = f"--plot={TERMINAL}"
    return out


def check_plot(target: str | None, fmt: str) -> None:
    """A chart goes to the terminal (table output only) or to an .svg/.html file."""
    if target is None:
        return
    if target == TERMINAL:
        if fmt != "table":
            raise UsageError(
                f"--plot draws in the terminal, which --format {fmt} has no place for",
                hint="write the chart to a file: --plot chart.svg or --plot chart.html",
            )
        return
    if not target.lower().endswith(CHART_SUFFIXES):
        raise UsageError(
            f"--plot {target!r}: a chart file ends in .svg or .html",
            hint="put --plot after the input files, or write --plot=chart.svg",
        )


def plot_files(doc: dict[str, Any], plot: str, inputs: Sequence[str]) -> None:
    """`eval FILES… --plot [FILE]`: the terminal line chart in place of the bars, or a file."""
    if plot == TERMINAL:
        doc["chart"] = "lines"
        return
    from losscli.atomic import write_text
    from losscli.report.plot import files_chart

    write_text(plot, files_chart(doc, plot), inputs=inputs)


def _opt(*flags: str, help: str, panel: str, show_default: bool = False, **more: Any) -> Any:
    """A typer Option in one line: flags, help, its help panel."""
    return typer.Option(*flags, help=help, rich_help_panel=panel, show_default=show_default, **more)


def compare_command(
    loss: Annotated[str, argument("loss", autocompletion=complete_loss)],
    baseline: Annotated[
        str,
        typer.Argument(
            metavar="BASELINE",
            help="The baseline's predictions (the model on main).",
            show_default=False,
        ),
    ],
    candidate: Annotated[
        str | None,
        typer.Argument(
            metavar="[CANDIDATE]",
            help="The candidate's predictions of the same samples; omit with --y-pred-baseline.",
            show_default=False,
        ),
    ] = None,
    y_true: Annotated[str, option("y_true")] = "y_true",
    y_pred: Annotated[
        str,
        _opt(
            "--y-pred",
            metavar="COLUMN",
            help="The candidate's prediction column(s).",
            panel="Input",
            show_default=True,
        ),
    ] = "y_pred",
    y_pred_baseline: Annotated[
        str | None,
        _opt(
            "--y-pred-baseline",
            metavar="COLUMN",
            help="The baseline's prediction column(s) in the same file.",
            panel="Input",
        ),
    ] = None,
    sample_weight: Annotated[str | None, option("sample_weight")] = None,
    labels: Annotated[str | None, option("labels")] = None,
    on: Annotated[
        str | None,
        _opt(
            "--on",
            metavar="COLUMN",
            help="Key column pairing the samples (and joining --labels).",
            panel="Input",
        ),
    ] = None,
    input_format: Annotated[str | None, option("input_format")] = None,
    batch_size: Annotated[int | None, option("batch_size")] = None,
    nan_policy: Annotated[NanPolicy, option("nan_policy")] = NanPolicy["raise"],
    reduction: Annotated[Reduction, option("reduction")] = Reduction["sum_over_batch_size"],
    dtype: Annotated[Dtype, option("dtype")] = Dtype["float64"],
    plugins: Annotated[list[str] | None, option("plugins")] = None,
    ci: Annotated[
        float,
        _opt(
            "--ci",
            metavar="LEVEL",
            help="Level of the intervals and of the gate.",
            panel="Statistics",
            show_default=True,
        ),
    ] = 0.95,
    bootstrap: Annotated[int, option("bootstrap")] = 1000,
    seed: Annotated[int, option("seed")] = 0,
    fail_if_worse: Annotated[
        bool,
        _opt(
            "--fail-if-worse",
            help="Exit 1 when the candidate is worse beyond --margin at the --ci level.",
            panel="CI gate",
        ),
    ] = False,
    margin: Annotated[
        str | None,
        _opt(
            "--margin",
            metavar="X|X%",
            help="Allowed regression: absolute (0.01) or relative (1%); default 0.",
            panel="CI gate",
        ),
    ] = None,
    output_format: Annotated[ResultFormat | None, option("output_format")] = None,
    output: Annotated[str | None, option("output")] = None,
    plot: Annotated[
        str | None,
        _opt(
            "--plot",
            metavar="[FILE.svg|FILE.html]",
            help="Both models' per-sample losses: in the terminal (--plot alone), or to a "
            "standalone .svg/.html file.",
            panel="Output",
        ),
    ] = None,
) -> None:
    """Compare two models' losses on the same samples: each value, the difference, a paired
    bootstrap interval and p-value, and a verdict.

    Exit 0, or 1 with --fail-if-worse when the candidate is worse beyond the margin.

    Examples:

      losscli compare mse sample_data/models/baseline.csv sample_data/models/candidate.csv

      losscli compare mse main.parquet pr.parquet --on id --fail-if-worse --margin 1%

      losscli compare mae preds.csv --y-pred-baseline old_pred --y-pred new_pred --format json
    """
    from losscli.compare import compare_models, parse_margin
    from losscli.outputs import emit, stderr_line, warn
    from losscli.report import choose_format

    fmt = choose_format(output_format.value if output_format else None, output)
    check_plot(plot, fmt)
    inputs = [p for p in (baseline, candidate, labels) if p]
    from losscli.atomic import check_targets, write_text

    chart = None if plot in (None, TERMINAL) else plot
    check_targets((None if output == "-" else output, chart), inputs)
    if plugins:
        from losscli.plugins import load_plugins

        load_plugins(plugins)
    parsed_margin = parse_margin(margin) if margin is not None else None
    comparison = compare_models(
        loss,
        baseline,
        candidate,
        y_pred=y_pred,
        y_pred_baseline=y_pred_baseline,
        on=on,
        labels=labels,
        level=ci,
        replicates=bootstrap,
        seed=seed,
        margin=parsed_margin,
        keep_samples=plot is not None,
        reduction=reduction.value,
        y_true=y_true,
        sample_weight=sample_weight,
        input_format=input_format,
        batch_size=batch_size,
        nan_policy=nan_policy.value,
        dtype=dtype.value,
    )
    for message in comparison.warnings:
        warn(message)
    from losscli.report.comparison import compare_document

    doc = compare_document(comparison)
    if chart is not None:
        from losscli.report.plot import compare_chart

        write_text(chart, compare_chart(doc, chart), inputs=inputs)
    elif plot == TERMINAL:
        doc["chart"] = "terminal"
    emit(fmt, doc, output, inputs)
    if not fail_if_worse:
        raise typer.Exit(EXIT_OK)
    for x in comparison.losses:
        if x.worse_beyond_margin:
            stderr_line(f"check failed: {x.sentence(comparison.margin or parse_margin(0))}")
    raise typer.Exit(EXIT_CHECK_FAILED if comparison.failed else EXIT_OK)

"""The CLI side of results: build the document, pick the format, write it, apply the CI gate.

This is part of the command line (it prints); the library modules it calls (breakdown,
export, heads, thresholds, signature) and the renderers (report/) never do. The default
format is `table` whether or not stdout is a terminal: CI logs are not terminals but are
read by people, and output that changes shape with how it is invoked breaks scripts
silently. What does change when piped is only colour (none) and width (COLUMNS, else 80).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from losscli.errors import EXIT_CHECK_FAILED, EXIT_OK, UsageError

#: width of a table written to a file (a terminal uses its own width)
FILE_WIDTH = 100
#: width when stdout is not a terminal and COLUMNS is not set: the same everywhere
PIPE_WIDTH = 80


def width(stream: Any = None) -> int:
    """COLUMNS when set, else the terminal's width, else 80 (never the width of some other
    terminal the process happens to have, so a file or CI log looks the same everywhere)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            return shutil.get_terminal_size((PIPE_WIDTH, 24)).columns
    except (AttributeError, ValueError, OSError):
        pass
    return PIPE_WIDTH


def console(stderr: bool = False) -> Any:
    """A rich Console for losscli: never markup (cells hold user data such as "[/]"),
    colour only on a terminal or under FORCE_COLOR, never under NO_COLOR (rich reads both)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, width=width(stream), highlight=False, markup=False, emoji=False)


def show(lines: Sequence[Any]) -> None:
    """Layout lines on stdout, styled on a terminal. Rendered whole before anything is
    written, so a failing run leaves stdout empty."""
    from losscli.report.layout import to_text

    out = console()
    with out.capture() as captured:
        out.print(to_text(lines), soft_wrap=True, end="")
    sys.stdout.write(captured.get())
    sys.stdout.flush()


def emit(
    fmt: str,
    doc: dict[str, Any],
    output: str | None,
    inputs: Sequence[str] = (),
    *,
    quiet: bool = False,
) -> None:
    """Write one document: to stdout (a terminal screen, text, or bare values under -q)
    and/or to the -o file."""
    from losscli import report

    warnings: list[str] = []
    if output not in (None, "-"):
        from losscli.atomic import write_text

        write_text(output, report.render_text(fmt, doc, FILE_WIDTH, warnings), inputs=inputs)
    elif quiet:
        pass
    elif fmt == "table":
        show(report.screen(doc, width()))
    else:
        sys.stdout.write(report.render_text(fmt, doc, width(), warnings))
        sys.stdout.flush()
    if quiet:
        sys.stdout.write("".join(f"{_bare(v)}\n" for v in report.values(doc)))
        sys.stdout.flush()
    if fmt == "github":
        from losscli.report.github import write_summary

        write_summary(doc)
    for message in warnings:
        warn(message)


def _bare(value: float | None) -> str:
    """A value for `$(...)`: shortest round-trip digits; nan/inf as Python spells them."""
    return "nan" if value is None else repr(float(value))


def warn(message: str) -> None:
    """The one way a warning reaches stderr: `losscli: warning: …`, yellow on a terminal."""
    from rich.text import Text

    line = Text("losscli: warning:", style="yellow")
    line.append(f" {message}")
    console(stderr=True).print(line, soft_wrap=True)


def announce(message: str, quiet: bool = False) -> None:
    """One stderr line about something losscli inferred (a weight column, a format);
    -q silences it."""
    if not quiet:
        stderr_line(f"note: {message}")


def announce_inferred(
    evaluation: Any,
    *,
    sample_weight: str | None,
    input_format: str | None,
    classes: str | None = None,
    quiet: bool = False,
) -> None:
    """Say what losscli decided on its own, so a weighted loss is never a surprise: the
    implicit `sample_weight` column, class names read from the y_pred columns, and a
    format not read from the file's own extension."""
    info = evaluation.input
    weights = info.columns.get("sample_weight") or []
    if sample_weight is None and weights:
        announce(f"weighting by the {weights[0]!r} column (--sample-weight none ignores it)", quiet)
    if classes is None and getattr(info, "classes", None):
        names = ", ".join(f"{i}={name}" for i, name in enumerate(info.classes))
        announce(f"class names from the y_pred columns: {names} (--classes overrides)", quiet)
    if input_format is None and _format_inferred(info.path):
        announce(f"read {info.path} as {info.format} (--input-format overrides)", quiet)


def _format_inferred(path: str) -> bool:
    """Whether the format came from somewhere other than the path's last extension: a
    directory's or glob's files, or a compressed file's inner extension."""
    if path == "-" or os.path.isdir(path) or any(c in path for c in "*?["):
        return True
    return os.path.splitext(path)[1].lower() in (".gz", ".bz2", ".zst", ".xz")


def stderr_line(text: str) -> None:
    sys.stderr.write(f"losscli: {text}\n")


def gate(outcomes: Sequence[Any]) -> int:
    """Print every violated bound on stderr; exit code 1 if any, else 0."""
    from losscli.thresholds import describe_failure

    failed = [line for o in outcomes for line in describe_failure(o)]
    for line in failed:
        stderr_line(f"check failed: {line}")
    return EXIT_CHECK_FAILED if failed else EXIT_OK


class EvalRun:
    """Everything eval does around `losscli.evaluate`: hooks before, rendering and gate after."""

    def __init__(self, options: Any) -> None:
        """`options`: the whole losscli.options.Options eval built from its flags."""
        from losscli.classweight import parse_class_weight
        from losscli.report import choose_format
        from losscli.spec import parse_specs
        from losscli.thresholds import parse_bounds

        self.all = options
        self.options = out = options.output
        self.inputs = [*options.input.files, *filter(None, [options.input.labels])]
        self.reduction = reduction = options.loss.reduction
        self.bounds = parse_bounds(options.gate.fail_above, options.gate.fail_below)
        heads = options.loss.heads
        if out.quiet and out.output_format is not None and out.output in (None, "-"):
            raise UsageError(
                f"-q prints bare values, not --format {out.output_format}",
                hint="drop one of them (with -o FILE, -q prints the values and writes the file)",
            )
        self.format = fmt = choose_format(out.output_format, out.output)
        #: whether what is written shows input hashes (CSV, Markdown and bare values do not)
        self.hashed = fmt in ("table", "json", "github") and not (
            out.quiet and out.output in (None, "-")
        )
        if out.top and fmt in ("csv", "markdown"):
            raise UsageError(
                f"--top lists rows, which --format {fmt} has no place for",
                hint="use the table or --format json, or --per-sample for every row",
            )
        if reduction == "none" and (fmt in ("csv", "markdown") or heads):
            # one row per loss (or per head) has no room for a value per sample
            shown = "--head" if heads else f"--format {fmt}"
            raise UsageError(
                f"--reduction none gives a value per sample, but {shown} shows one per loss",
                hint="use --format json (a 'values' list) or --per-sample FILE.csv",
            )
        cw = options.loss.class_weight
        self.class_weight = parse_class_weight(cw) if cw else None
        from losscli.atomic import check_targets

        chart = None if out.plot in (None, "-") else out.plot
        check_targets(
            (None if out.output == "-" else out.output, out.per_sample, chart), self.inputs
        )
        self.loss = options.loss.loss
        self.losses = [] if heads else parse_specs(self.loss)
        self.groups: Any = None
        self.top: Any = None
        self.spread: Any = None
        self.boot: Any = None
        from losscli.compare_cli import check_eval_statistics

        check_eval_statistics(out, fmt, reduction, len(options.input.files), bool(heads))

    # --- single-head evaluation ----------------------------------------------------------

    @contextlib.contextmanager
    def hooks(self) -> Iterator[dict[str, Any]]:
        """Keyword arguments for `losscli.evaluate`: kept columns, the batch hook, class weights."""
        from losscli.breakdown import MAX_GROUPS, Distribution, Groups, TopK, chain
        from losscli.signature import hash_in_background

        o = self.options
        keep = list(o.keep)
        if o.group_by and o.group_by not in keep:
            keep.append(o.group_by)
        if o.group_by:
            self.groups = Groups(o.group_by, self.losses, max_groups=o.max_groups or MAX_GROUPS)
        if o.top:
            self.top = TopK(o.top, self.losses, patterns=o.keep)
        if o.distribution and self.reduction != "none":
            self.spread = Distribution(self.losses)
        if self.hashed:  # the hash is read on a second thread while the losses are computed
            hash_in_background(self.inputs)
        with contextlib.ExitStack() as stack:
            writer = None
            if o.per_sample:
                from losscli.export import per_sample_writer

                writer = stack.enter_context(
                    per_sample_writer(o.per_sample, self.losses, o.keep, inputs=self.inputs)
                )
            if o.ci is not None:
                from losscli.bootstrap import Bootstrap

                self.boot = Bootstrap(self.losses, replicates=o.bootstrap, seed=o.seed)
            hook = chain([writer, self.groups, self.top, self.spread, self.boot])
            yield {
                "keep": keep,
                "on_batch": hook,
                "on_prepass": self.groups.prepass if self.groups else None,
                "class_weight": self.class_weight,
            }

    def finish(self, evaluation: Any) -> int:
        """Build the document of one evaluation, write it and gate; returns the exit code."""
        from losscli.report.document import eval_document
        from losscli.thresholds import apply_bounds, gated, loss_names

        items = [
            gated(r.loss.canonical(), loss_names(r.loss, i), r)
            for i, r in enumerate(evaluation.results)
        ]
        outcomes = apply_bounds(items, self.bounds)
        doc = eval_document(
            evaluation,
            outcomes=outcomes,
            groups=(self.options.group_by, self.groups.results(evaluation.reduction))
            if self.groups
            else None,
            top=self.top.results() if self.top else None,
            spreads=self.spread.results() if self.spread else None,
            class_weight=self.class_weight,
            intervals=self.boot.intervals(evaluation.results, self.options.ci)
            if self.boot
            else None,
            hashed=self.hashed,
        )
        self._emit(doc)
        return gate(outcomes)

    def _emit(self, doc: dict[str, Any]) -> None:
        emit(self.format, doc, self.options.output, self.inputs, quiet=self.options.quiet)

    # --- many files, one spec -----------------------------------------------------------------

    def finish_many(self, evaluations: Sequence[Any]) -> int:
        """A row per file (and a chart across files), thresholds on every file. Returns the
        exit code."""
        from losscli.report.document import files_document
        from losscli.thresholds import apply_bounds, gated, loss_names

        items = [
            gated(f"{e.input.path}: {r.loss.canonical()}", loss_names(r.loss, i), r)
            for e in evaluations
            for i, r in enumerate(e.results)
        ]
        outcomes = apply_bounds(items, self.bounds)
        doc = files_document(evaluations, outcomes, hashed=self.hashed)
        if self.options.plot is not None:
            from losscli.compare_cli import plot_files

            plot_files(doc, self.options.plot, self.inputs)
        self._emit(doc)
        return gate(outcomes)

    # --- multi-head evaluation --------------------------------------------------------------

    def run_heads(self, path: str, report: Callable[[list[Any]], None] | None = None) -> int:
        """`--head …` (repeated): each head's loss (LOSS when a head names none) and the
        Keras weighted total; `report` receives the input warnings."""
        from losscli.heads import evaluate_heads, parse_head
        from losscli.report.document import heads_document
        from losscli.thresholds import Gated, apply_bounds, counted_samples, gated

        o = self.all
        heads = [parse_head(h, i, self.loss) for i, h in enumerate(o.loss.heads)]
        evaluation = evaluate_heads(
            path,
            heads,
            class_weight=self.class_weight,
            nan_policy=o.input.nan_policy,
            reduction=o.loss.reduction,
            dtype=o.loss.dtype,
            batch_size=o.input.batch_size,
            input_format=o.input.input_format,
            classes=o.input.classes,
        )
        if report is not None:
            report([f"head {name}: {note}" for name, note in evaluation.warnings])
        items = [gated(f"head {h.head.name}", {h.head.name}, h.result) for h in evaluation.heads]
        counted = min(counted_samples(h.result) for h in evaluation.heads)  # every head needs data
        items.append(Gated("total", {"total"}, evaluation.total, counted))
        outcomes = apply_bounds(items, self.bounds)
        self._emit(heads_document(evaluation, outcomes, hashed=self.hashed))
        return gate(outcomes)


def run_check(
    config_path: str,
    fmt: str | None,
    output: str | None,
    junit: str | None,
    quiet: bool = False,
    strict: bool = False,
) -> int:
    """`losscli check`: load, run, render, write JUnit; returns the exit code. `strict`
    makes every check strict, as `strict = true` in [defaults] would."""
    from losscli.atomic import check_targets, write_text
    from losscli.check import exit_code, load_config, run_checks
    from losscli.report import choose_format
    from losscli.report.document import check_document

    fmt = choose_format(fmt, output, junit=True)
    config = load_config(config_path, strict=strict)
    inputs = [
        config_path,
        *(c.path for c in config.checks),
        *(c.labels for c in config.checks if c.labels),
        *(c.baseline.path for c in config.checks if c.baseline),
    ]
    check_targets((None if output == "-" else output, junit), inputs)
    results = run_checks(config)
    for result in results:
        for note in result.warnings:
            warn(f"check {result.check.name!r}: {note}")
    doc = check_document(config, results)
    if junit:
        from losscli.report.junit import junit_xml

        write_text(junit, junit_xml(doc), inputs=inputs)
    emit(fmt, doc, output, inputs, quiet=quiet)
    for r in results:
        if r.status != "pass":
            label = "check failed" if r.status == "fail" else f"check error: {r.check.name}"
            stderr_line(f"{label}: {r.message}")
    return exit_code(results)

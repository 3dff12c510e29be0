"""The CLI side of results: pick the format, write to stdout or `--output`, apply the CI gate.

This is part of the command line (it prints); the library modules it calls (breakdown,
export, heads, thresholds, signature, render) never do. The default format is `table`
whether or not stdout is a terminal: CI logs are not terminals but are read by people, and
output that changes shape with how it is invoked breaks scripts silently; scripts ask for
`--format json` (or csv) explicitly. Rich drops colours by itself when not on a terminal.
"""

from __future__ import annotations

import contextlib
import io
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from losscli.errors import EXIT_CHECK_FAILED, EXIT_OK, UsageError

FORMATS = ("table", "json", "csv", "markdown")
#: width of a table written to a file (a terminal uses its own width)
FILE_WIDTH = 120


def emit(fmt: str, payload: Any, output: str | None, inputs: Sequence[str] = ()) -> None:
    """Write text (json/csv/markdown) or rich renderables (table) to stdout or a file."""
    if fmt == "table":
        if output is None:
            from rich.console import Console

            # cells hold user data ("[cat, dog]", "[/]"): never markup. Rendered whole before
            # anything is written, so a failing run leaves stdout empty
            console = Console(highlight=False, markup=False)
            with console.capture() as captured:
                for item in payload:
                    _print(console, item)
            sys.stdout.write(captured.get())
            sys.stdout.flush()
            return
        payload = render_plain(payload)
    if output is None:
        sys.stdout.write(payload if payload.endswith("\n") else payload + "\n")
        sys.stdout.flush()
        return
    from losscli.atomic import write_text

    write_text(output, payload if payload.endswith("\n") else payload + "\n", inputs=inputs)


def render_plain(renderables: Sequence[Any]) -> str:
    """Rich renderables as plain text (no colour codes), for a file."""
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer, width=FILE_WIDTH, color_system=None, highlight=False, markup=False
    )
    for item in renderables:
        _print(console, item)
    return buffer.getvalue()


def _print(console: Any, item: Any) -> None:
    """Strings (the signature line) are printed unwrapped, so they can be copied whole."""
    if isinstance(item, str):
        console.print(item, soft_wrap=True, markup=False)
    else:
        console.print(item)


def warn(message: str) -> None:
    """The one way a warning reaches stderr: `losscli: warning: …`, yellow on a terminal."""
    from rich.console import Console
    from rich.markup import escape

    # messages quote user data ("[0.1, 0.9]", "[defaults]"): never read them as markup
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(f"[yellow]losscli: warning:[/] {escape(message)}", markup=True)


def stderr_line(text: str) -> None:
    sys.stderr.write(f"losscli: {text}\n")


def gate(outcomes: Sequence[Any]) -> int:
    """Print every violated bound on stderr; exit code 1 if any, else 0."""
    from losscli.thresholds import describe_failure

    failed = [line for o in outcomes for line in describe_failure(o)]
    for line in failed:
        stderr_line(f"check failed: {line}")
    return EXIT_CHECK_FAILED if failed else EXIT_OK


@dataclass
class EvalOptions:
    """eval's Output and CI-gate options, as the command line gave them."""

    format: str = "table"
    output: str | None = None
    fail_above: list[str] = field(default_factory=list)
    fail_below: list[str] = field(default_factory=list)
    per_sample: str | None = None
    keep: list[str] = field(default_factory=list)
    group_by: str | None = None
    top: int | None = None
    class_weight: str | None = None
    heads: list[str] = field(default_factory=list)
    ci: float | None = None  # --ci LEVEL: a bootstrap interval per loss (losscli.bootstrap)
    bootstrap: int = 1000
    seed: int = 0
    plot: str | None = None  # several files: "-" (terminal) or a chart file


class EvalRun:
    """Everything eval does around `losscli.evaluate`: hooks before, rendering and gate after."""

    def __init__(
        self,
        options: EvalOptions,
        loss: str,
        inputs: Sequence[str],
        reduction: str,
        files: int = 1,
    ) -> None:
        from losscli.classweight import parse_class_weight
        from losscli.spec import parse_specs
        from losscli.thresholds import parse_bounds

        self.options = options
        self.inputs = [str(i) for i in inputs]
        self.reduction = reduction
        self.bounds = parse_bounds(options.fail_above, options.fail_below)
        if self.bounds and reduction == "none":
            raise UsageError(
                "--fail-above/--fail-below need one value per loss",
                hint="use a reduction other than none",
            )
        if options.format not in FORMATS:
            raise UsageError(f"unknown format {options.format!r}", hint=", ".join(FORMATS))
        if options.top and options.format in ("csv", "markdown"):
            raise UsageError(
                f"--top lists rows, which --format {options.format} has no place for",
                hint="use the table or --format json, or --per-sample for every row",
            )
        if reduction == "none" and (options.format in ("csv", "markdown") or options.heads):
            # one row per loss (or per head) has no room for a value per sample
            shown = "--head" if options.heads else f"--format {options.format}"
            raise UsageError(
                f"--reduction none gives a value per sample, but {shown} shows one per loss",
                hint="use --format json (a 'values' list) or --per-sample FILE.csv",
            )
        self.class_weight = (
            parse_class_weight(options.class_weight) if options.class_weight else None
        )
        from losscli.atomic import check_targets

        chart = None if options.plot in (None, "-") else options.plot
        check_targets((options.output, options.per_sample, chart), self.inputs)
        self.loss = loss
        self.losses = [] if options.heads else parse_specs(loss)
        if options.heads and (options.per_sample or options.group_by or options.top):
            raise UsageError("--per-sample, --group-by and --top work on one head (not --head)")
        self.groups: Any = None
        self.top: Any = None
        self.spread: Any = None
        self.boot: Any = None
        from losscli.compare_cli import check_eval_statistics

        check_eval_statistics(options, reduction, files)

    # --- single-head evaluation ----------------------------------------------------------

    @contextlib.contextmanager
    def hooks(self) -> Iterator[dict[str, Any]]:
        """Keyword arguments for `losscli.evaluate`: kept columns, the batch hook, class weights."""
        from losscli.breakdown import Distribution, Groups, TopK, chain

        o = self.options
        keep = list(o.keep)
        if o.group_by and o.group_by not in keep:
            keep.append(o.group_by)
        if o.group_by:
            self.groups = Groups(o.group_by, self.losses)
        if o.top:
            self.top = TopK(o.top, self.losses, patterns=o.keep)
        if o.format == "table" and self.reduction != "none":
            self.spread = Distribution(self.losses)
        if o.format in ("table", "json"):  # their signature hashes the input: start it now
            from losscli.signature import hash_in_background

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
            yield {"keep": keep, "on_batch": hook, "class_weight": self.class_weight}

    def finish(self, evaluation: Any) -> int:
        """Render, write and gate one evaluation; returns the exit code."""
        from losscli.thresholds import apply_bounds, gated, loss_names

        items = [
            gated(r.loss.canonical(), loss_names(r.loss, i), r)
            for i, r in enumerate(evaluation.results)
        ]
        outcomes = apply_bounds(items, self.bounds)
        emit(
            self.options.format,
            self._render(evaluation, outcomes),
            self.options.output,
            self.inputs,
        )
        return gate(outcomes)

    def _render(self, evaluation: Any, outcomes: Sequence[Any]) -> Any:
        from losscli import render
        from losscli.signature import input_records, reproducibility

        fmt = self.options.format
        groups = self.groups.results(evaluation.reduction) if self.groups else []
        ci = self.boot.intervals(evaluation.results, self.options.ci) if self.boot else None
        if fmt in ("csv", "markdown"):
            rows = [render.result_row(r) for r in evaluation.results]
            columns = list(render.RESULT_COLUMNS)
            if ci:
                columns += ["ci_low", "ci_high"]
                for row, interval in zip(rows, ci, strict=True):
                    row.update(ci_low=interval.low, ci_high=interval.high)
            if self.groups:
                column = self.options.group_by
                rows = [{column: "(all)", **row} for row in rows]
                for key, results in groups:
                    rows.extend(render.result_row(r, **{column: key}) for r in results)
                columns.insert(0, column)
            if fmt == "csv":
                return render.to_csv(rows, columns)
            return render.to_markdown(rows, columns, title=evaluation.input.path)
        inputs = input_records(evaluation.input)
        repro = reproducibility(
            [r.loss for r in evaluation.results], evaluation.reduction, evaluation.dtype, inputs
        )
        if fmt == "json":
            warnings: list[str] = []
            data = render.evaluation_dict(evaluation, warnings)
            data["reproducibility"] = repro
            for entry, interval in zip(data["results"], ci or [], strict=False):
                entry["ci"] = interval.as_dict()
            if self.groups:
                data["groups"] = {
                    "column": self.options.group_by,
                    "values": [
                        {"key": key, "results": [render.result_dict(r, warnings) for r in results]}
                        for key, results in groups
                    ],
                }
            if self.top:
                data["top"] = {
                    r.loss.canonical(): [vars(w) for w in worst]
                    for r, worst in zip(evaluation.results, self.top.results(), strict=True)
                }
            if self.bounds:
                data["thresholds"] = _outcomes_json(outcomes)
            for message in warnings:
                warn(message)
            return render.to_json(data)
        out: list[Any] = [render.results_table(evaluation), repro["signature"]]
        if ci:
            from losscli.compare_render import intervals_table

            out.insert(1, intervals_table(evaluation.results, ci))
        if evaluation.reduction == "none":
            out.append(render.per_sample_table(evaluation))
        if self.spread is not None:
            names = [r.loss.canonical() for r in evaluation.results]
            out.append(render.spread_table(names, self.spread.results()))
        if self.groups:
            out.append(render.groups_table(self.options.group_by, groups, evaluation.results))
        if self.top:
            for r, worst in zip(evaluation.results, self.top.results(), strict=True):
                out.append(render.top_table(r.loss.canonical(), worst, self.top.keep))
        return out

    # --- many files, one spec -----------------------------------------------------------------

    def finish_many(self, evaluations: Sequence[Any]) -> int:
        """A row per file (and a chart across files), thresholds on every file. Returns the
        exit code."""
        from losscli import multi, render
        from losscli.signature import input_records, reproducibility
        from losscli.thresholds import apply_bounds, gated, loss_names

        items = [
            gated(f"{e.input.path}: {r.loss.canonical()}", loss_names(r.loss, i), r)
            for e in evaluations
            for i, r in enumerate(e.results)
        ]
        outcomes = apply_bounds(items, self.bounds)  # before any output: exit 3 prints none
        fmt = self.options.format
        payload: Any
        if fmt == "json":
            warnings: list[str] = []
            data = multi.files_dict(evaluations, warnings)
            for entry, e in zip(data["files"], evaluations, strict=True):
                records = input_records(e.input)
                losses = [r.loss for r in e.results]
                entry["reproducibility"] = reproducibility(losses, e.reduction, e.dtype, records)
            payload = render.to_json(data)
            for message in warnings:
                warn(message)
        elif fmt in ("csv", "markdown"):
            rows = [render.result_row(r, file=e.input.path) for e in evaluations for r in e.results]
            columns = ["file", *render.RESULT_COLUMNS]
            payload = (
                render.to_csv(rows, columns) if fmt == "csv" else render.to_markdown(rows, columns)
            )
        else:
            from rich.console import Console

            width = Console().width if self.options.output is None else 100
            payload = [multi.files_table(evaluations), multi.loss_chart(evaluations, width=width)]
        if self.options.plot is not None:
            from losscli import compare_render

            if self.options.plot == "-":
                payload.append("\n".join(compare_render.files_chart_text(evaluations)))
            else:
                from losscli.compare_cli import write_chart

                chart = compare_render.files_chart_file(evaluations, self.options.plot)
                write_chart(self.options.plot, chart, self.inputs)
        emit(fmt, payload, self.options.output, self.inputs)
        return gate(outcomes)

    # --- multi-head evaluation --------------------------------------------------------------

    def run_heads(
        self, path: str, report: Callable[[list[Any]], None] | None = None, **kwargs: Any
    ) -> int:
        """`--head …` (repeated): each head's loss (LOSS when a head names none) and the
        Keras weighted total; `report` receives the input warnings."""

        from losscli import render
        from losscli.heads import evaluate_heads, parse_head
        from losscli.signature import input_record, reproducibility
        from losscli.thresholds import Gated, apply_bounds, counted_samples, gated

        heads = [parse_head(h, i, self.loss) for i, h in enumerate(self.options.heads)]
        evaluation = evaluate_heads(path, heads, class_weight=self.class_weight, **kwargs)
        if report is not None:
            report([f"head {name}: {note}" for name, note in evaluation.warnings])
        items = [gated(f"head {h.head.name}", {h.head.name}, h.result) for h in evaluation.heads]
        counted = min(counted_samples(h.result) for h in evaluation.heads)  # every head needs data
        items.append(Gated("total", {"total"}, evaluation.total, counted))
        outcomes = apply_bounds(items, self.bounds)
        fmt = self.options.format
        if fmt in ("csv", "markdown"):
            columns = ["head", "spec", "reduction", "value", "weight", "weighted"]
            rows = [
                {
                    "head": h.head.name,
                    "spec": h.result.loss.canonical(),
                    "reduction": h.result.reduction,
                    "value": h.result.value,
                    "weight": h.head.weight,
                    "weighted": h.weighted,
                }
                for h in evaluation.heads
            ]
            rows.append({"head": "total", "weighted": evaluation.total})
            payload: Any = (
                render.to_csv(rows, columns)
                if fmt == "csv"
                else render.to_markdown(rows, columns, title=path)
            )
        else:
            record = input_record(path, evaluation.input.rows, evaluation.input.format)
            repro = reproducibility(
                [h.result.loss for h in evaluation.heads],
                evaluation.reduction,
                evaluation.dtype,
                [record],
            )
            if fmt == "json":
                warnings: list[str] = []
                payload = render.to_json(heads_dict(evaluation, repro, outcomes, warnings))
                for message in warnings:
                    warn(message)
            else:
                payload = [render.heads_table(evaluation), repro["signature"]]
        emit(fmt, payload, self.options.output, self.inputs)
        return gate(outcomes)


def heads_dict(
    evaluation: Any, repro: dict[str, Any], outcomes: Sequence[Any], warnings: list[str]
) -> dict[str, Any]:
    from losscli import render

    data: dict[str, Any] = {
        "losscli": repro["losscli"],
        "input": {
            "path": evaluation.input.path,
            "format": evaluation.input.format,
            "rows": evaluation.input.rows,
        },
        "dtype": evaluation.dtype,
        "heads": [
            {
                "name": h.head.name,
                "weight": h.head.weight,
                "weighted": render.json_number(h.weighted, f"head {h.head.name}", warnings),
                "columns": h.columns,
                **render.result_dict(h.result, warnings),
            }
            for h in evaluation.heads
        ],
        "total": render.json_number(evaluation.total, "total", warnings),
        "reproducibility": repro,
    }
    if outcomes and any(o.bounds for o in outcomes):
        data["thresholds"] = _outcomes_json(outcomes)
    return data


def _outcomes_json(outcomes: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "target": o.item.label,
            "value": o.item.value if math.isfinite(o.item.value) else None,
            "bounds": [{"kind": b.kind, "limit": b.limit} for b in o.bounds],
            "passed": o.ok,
        }
        for o in outcomes
        if o.bounds
    ]


def run_check(config_path: str, fmt: str, output: str | None, junit: str | None) -> int:
    """`losscli check`: load, run, render, write JUnit; returns the exit code."""
    from losscli import render
    from losscli.check import (
        ROW_COLUMNS,
        exit_code,
        load_config,
        result_rows,
        results_dict,
        run_checks,
    )

    config = load_config(config_path)
    inputs = [
        config_path,
        *(c.path for c in config.checks),
        *(c.labels for c in config.checks if c.labels),
        *(c.baseline.path for c in config.checks if c.baseline),
    ]
    from losscli.atomic import check_targets

    check_targets((output, junit), inputs)
    results = run_checks(config)
    for result in results:
        for note in result.warnings:
            warn(f"check {result.check.name!r}: {note}")
    rows = result_rows(results)
    if fmt == "json":
        payload: Any = render.to_json(results_dict(config, results))
    elif fmt == "csv":
        payload = render.to_csv(rows, ROW_COLUMNS)
    elif fmt == "markdown":
        payload = render.to_markdown(rows, ROW_COLUMNS, title=f"losscli check {config_path}")
    else:
        payload = [render.checks_table(config_path, rows)]
    if junit:
        from losscli.atomic import write_text
        from losscli.junit import junit_xml

        write_text(junit, junit_xml(results), inputs=inputs)
    emit(fmt, payload, output, inputs)
    for r in results:
        if r.status != "pass":
            label = "check failed" if r.status == "fail" else f"check error: {r.check.name}"
            stderr_line(f"{label}: {r.message}")
    return exit_code(results)

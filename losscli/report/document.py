"""The result document: what a command found, built once, read by every renderer.

A document is a plain dict shaped like the JSON output (so `--format json` is the document
itself), with two liberties that the JSON renderer removes: numbers may be NaN or inf (the
table shows them; JSON writes null and says so), and per-sample `values` may be a numpy
array (a table shows ten rows; only JSON converts them all).

Kinds: `eval` (one file), `files` (many files), `heads` (multi-head), `check`, `compare`
(built in comparison.py); `list` and `describe` documents are the catalogue's info dicts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from losscli._version import __version__


def eval_document(
    evaluation: Any,
    *,
    outcomes: Sequence[Any] = (),
    groups: tuple[str, list[tuple[Any, list[Any]]]] | None = None,
    top: list[list[Any]] | None = None,
    spreads: list[Any] | None = None,
    class_weight: dict[Any, float] | None = None,
    intervals: Sequence[Any] | None = None,
    hashed: bool = True,
) -> dict[str, Any]:
    """One file's evaluation: results and whatever was asked for besides. `hashed=False`
    leaves out the reproducibility block (CSV, Markdown and -q show no hash: no need to
    read the whole input once more). `intervals` (eval --ci, losscli.bootstrap): a `ci`
    entry in each result."""
    from losscli.signature import input_records, reproducibility

    info = evaluation.input
    doc: dict[str, Any] = {
        "kind": "eval",
        "losscli": __version__,
        "input": {
            "path": info.path,
            "format": info.format,
            "rows": info.rows,
            "columns": info.columns,
        },
        "dtype": evaluation.dtype,
        "reduction": evaluation.reduction,
        "class_weight": None
        if class_weight is None
        else {str(k): v for k, v in class_weight.items()},
        "results": [result_dict(r) for r in evaluation.results],
        "warnings": [str(w) for w in evaluation.warnings],
    }
    for entry, interval in zip(doc["results"], intervals or [], strict=False):
        entry["ci"] = interval.as_dict()
    if hashed:
        losses = [r.loss for r in evaluation.results]
        doc["reproducibility"] = reproducibility(
            losses, evaluation.reduction, evaluation.dtype, input_records(info)
        )
    if groups is not None:
        column, values = groups
        doc["groups"] = {
            "column": column,
            "values": [
                {"key": key, "results": [result_dict(r) for r in results]}
                for key, results in values
            ],
        }
    if top is not None:
        doc["top"] = {
            r.loss.canonical(): [vars(w) for w in worst]
            for r, worst in zip(evaluation.results, top, strict=True)
        }
    if spreads is not None:
        doc["distribution"] = [
            spread_dict(r.loss.canonical(), s)
            for r, s in zip(evaluation.results, spreads, strict=True)
            if s is not None
        ]
    if any(o.bounds for o in outcomes):
        doc["thresholds"] = outcomes_list(outcomes)
    return doc


def result_dict(result: Any) -> dict[str, Any]:
    return {
        "loss": result.loss.name,
        "spec": result.loss.canonical(),
        "params": _jsonable(result.loss.params),
        "reduction": result.reduction,
        # reduction none has no single value (Keras returns the per-sample array): see values
        "value": None if result.reduction == "none" else result.value,
        "count": result.count,
        "weight_sum": result.weight_sum,
        **({"values": result.values} if result.values is not None else {}),
    }


def spread_dict(spec: str, spread: Any) -> dict[str, Any]:
    return {
        "spec": spec,
        "count": spread.count,
        "nan_count": spread.nan_count,
        "exact": spread.exact,
        "quantiles": dict(spread.quantiles),
        "histogram": {"edges": list(spread.edges), "counts": list(spread.counts)},
    }


def files_document(
    evaluations: Sequence[Any], outcomes: Sequence[Any] = (), hashed: bool = True
) -> dict[str, Any]:
    """Many files, one spec: the single-file document of each, in the order given."""
    doc: dict[str, Any] = {
        "kind": "files",
        "losscli": __version__,
        "files": [eval_document(e, hashed=hashed) for e in evaluations],
    }
    for entry in doc["files"]:
        del entry["kind"]
    if any(o.bounds for o in outcomes):
        doc["thresholds"] = outcomes_list(outcomes)
    return doc


def heads_document(
    evaluation: Any, outcomes: Sequence[Any] = (), hashed: bool = True
) -> dict[str, Any]:
    """Each head's result, weight and weighted value, and Keras's weighted total."""
    from losscli.signature import input_record, reproducibility

    info = evaluation.input
    doc: dict[str, Any] = {
        "kind": "heads",
        "losscli": __version__,
        "input": {"path": info.path, "format": info.format, "rows": info.rows},
        "dtype": evaluation.dtype,
        "reduction": evaluation.reduction,
        "heads": [
            {
                "name": h.head.name,
                "weight": h.head.weight,
                "weighted": h.weighted,
                "columns": h.columns,
                **result_dict(h.result),
            }
            for h in evaluation.heads
        ],
        "total": evaluation.total,
        "warnings": [f"head {name}: {note}" for name, note in evaluation.warnings],
    }
    if hashed:
        doc["reproducibility"] = reproducibility(
            [h.result.loss for h in evaluation.heads],
            evaluation.reduction,
            evaluation.dtype,
            [input_record(info.path, info.rows, info.format)],
        )
    if any(o.bounds for o in outcomes):
        doc["thresholds"] = outcomes_list(outcomes)
    return doc


def outcomes_list(outcomes: Sequence[Any]) -> list[dict[str, Any]]:
    """Every bounded value with its bounds and whether it passed (failures spelled out)."""
    from losscli.thresholds import describe_failure

    return [
        {
            "target": o.item.label,
            "value": o.item.value,
            "bounds": [{"kind": b.kind, "limit": b.limit} for b in o.bounds],
            "passed": o.ok,
            "failures": describe_failure(o),
        }
        for o in outcomes
        if o.bounds
    ]


def check_document(config: Any, results: Sequence[Any]) -> dict[str, Any]:
    """Every check with its value, bounds, status and inputs; a check with a baseline
    (losscli.baseline) holds the baseline's value and the difference."""
    from losscli.check import ERROR, FAIL, PASS
    from losscli.signature import signature
    from losscli.thresholds import ABOVE, BELOW

    checks = []
    for r in results:
        losses = [h.bound() for h in r.check.heads]
        inputs = [i for i in (r.input, r.labels_input) if i]
        checks.append(
            {
                "name": r.check.name,
                "line": r.check.line,
                "file": r.check.path,
                "spec": r.check.spec,
                "reduction": r.check.reduction,
                "status": r.status,
                "value": r.value,
                "message": r.message or None,
                "fail_above": next((b.limit for b in r.check.bounds if b.kind == ABOVE), None),
                "fail_below": next((b.limit for b in r.check.bounds if b.kind == BELOW), None),
                "heads": [
                    {"name": h.head.name, "weight": h.head.weight, "value": h.result.value}
                    for h in r.heads
                ]
                if r.check.multi
                else None,
                "baseline": r.baseline.as_dict() if r.baseline else None,
                "warnings": list(r.warnings),
                "reproducibility": {
                    "losses": [loss.full() for loss in losses],
                    "reduction": r.check.reduction,
                    "dtype": r.check.dtype,
                    "inputs": inputs,
                    "signature": signature(losses, r.check.reduction, r.check.dtype, inputs)
                    if inputs
                    else None,
                },
            }
        )
    return {
        "kind": "check",
        "losscli": __version__,
        "config": config.path,
        "passed": all(r.status == PASS for r in results),
        "counts": {s: sum(r.status == s for r in results) for s in (PASS, FAIL, ERROR)},
        "checks": checks,
    }


def catalogue_document(infos: list[dict[str, Any]]) -> dict[str, Any]:
    return {"losscli": __version__, "losses": infos}


# --- JSON ------------------------------------------------------------------------------------


def to_json(doc: Any, warnings: list[str] | None = None) -> str:
    """The document as JSON: NaN/inf become null (named in `warnings`), arrays become lists."""
    notes: list[str] = [] if warnings is None else warnings
    clean = _clean(doc, "", notes)
    if isinstance(clean, dict):
        clean.pop("kind", None)
    return json.dumps(clean, indent=2, allow_nan=False)


def _clean(value: Any, label: str, notes: list[str], key: str = "") -> Any:
    if isinstance(value, dict):
        here = str(value.get("spec") or value.get("name") or value.get("target") or label)
        return {k: _clean(v, here, notes, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v, label, notes, key) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        where = label if key in ("value", "") else f"{label} {key}".strip()
        notes.append(f"{where} is {value}; written as null in JSON")
        return None
    if getattr(value, "ndim", None) == 0:  # a numpy scalar
        return _clean(value.item(), label, notes, key)
    if hasattr(value, "dtype") and hasattr(value, "tolist"):
        return _array(value, label, notes)
    return value


def _array(values: Any, label: str, notes: list[str]) -> Any:
    """Per-sample values: NaN/inf become null, with the count and the first row."""
    import numpy as np

    finite = np.isfinite(values)
    if finite.all():
        return values.tolist()
    rows = ~finite.reshape(len(values), -1).all(axis=1)
    notes.append(
        f"{label}: {int((~finite).sum())} per-sample values are NaN or inf "
        f"(first at row {int(np.argmax(rows))}); written as null in JSON"
    )
    values = values.astype(object)  # Python floats; sequence rows stay nested lists
    values[~finite] = None
    return values.tolist()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value

"""Every batch is checked before the losses see it: shapes, labels and the NaN policy.

Problems that make the numbers meaningless (vector widths that differ, a class index out
of range) are input-data errors with a place: file, column, row. Rows holding NaN or ±inf
in y_true, y_pred or the weights follow the NaN policy: `raise` (the default) counts them
through the whole file and then fails with how many and the first; `omit` drops them and
says how many; `propagate` hands them to the losses, as Keras would, and says so. Warnings
that do not stop the run come from `losscli.diagnostics`, fed from the same batches.

Row numbers count data rows from 0 (the header is not a row), as in `--reduction none`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from losscli.diagnostics import Diagnostic, Diagnostics
from losscli.errors import InputDataError, UsageError
from losscli.registry import BoundLoss

NAN_POLICIES = ("raise", "omit", "propagate")


@dataclass(frozen=True)
class Roles:
    """The file's column names behind each input, so messages can name them."""

    y_true: Sequence[str] = ("y_true",)
    y_pred: Sequence[str] = ("y_pred",)
    sample_weight: Sequence[str] | None = None


def check_nan_policy(policy: str) -> None:
    if policy not in NAN_POLICIES:
        raise UsageError(
            f"unknown NaN policy {policy!r}", hint=f"use one of {', '.join(NAN_POLICIES)}"
        )


class BatchCheck:
    """Called on every batch (`check(batch) -> batch`), then `finish()` once at the end.

    The engine may read the file twice (a prepass for whole-file losses); counters only
    count rows they have not seen, so the totals are per file, not per pass.
    """

    def __init__(
        self,
        losses: Sequence[BoundLoss],
        *,
        nan_policy: str = "raise",
        path: str | None = None,
        roles: Roles | None = None,
    ) -> None:
        check_nan_policy(nan_policy)
        self.losses = list(losses)
        self.policy = nan_policy
        self.path = path
        self.roles = roles or Roles()
        self.diagnostics = Diagnostics.for_losses(self.losses)
        self.nonfinite = 0
        self.first_nonfinite: tuple[int, str] | None = None
        self._counted_until = 0
        self._shapes: tuple[tuple[int, ...], tuple[int, ...], int] | None = None
        #: cross-entropies read y_true as probabilities: labels outside [0, 1] are counted
        self._unit_labels = [
            loss.canonical()
            for loss in self.losses
            if "from_logits" in loss.params and loss.info.labels == "dense"
        ]
        self._outside_unit = 0
        self._first_outside: int | None = None

    def __call__(self, batch: Any) -> Any:
        n = len(batch.y_pred)
        fresh = batch.first_row >= self._counted_until
        self._check_shapes(batch)
        for loss in self.losses:
            _check_kind(loss, batch, self.roles, self.path)
        bad = _nonfinite_rows(batch)
        if bad.any():
            if fresh:
                self.nonfinite += int(bad.sum())
                if self.first_nonfinite is None:
                    self.first_nonfinite = self._locate(batch, int(np.argmax(bad)))
            if self.policy != "propagate":
                batch = _drop(batch, ~bad)
        for loss in self.losses:
            if loss.info.labels == "sparse":
                _check_sparse_labels(loss, batch, self.roles, self.path)
        if fresh:
            self._counted_until = batch.first_row + n
            rows = _rows(batch)
            if self._unit_labels:
                self._count_outside_unit(batch, rows)
            self.diagnostics.update(batch.y_true, batch.y_pred, batch.sample_weight, rows)
        return batch

    def finish(self, results: Sequence[Any] | None = None) -> list[Diagnostic]:
        """Raise for NaN rows under `raise`; otherwise the warnings about the whole file
        (`results`, the losses' results, let a warning weigh itself against the loss)."""
        notes: list[Diagnostic] = []
        if self.nonfinite and self.first_nonfinite is not None:
            row, column = self.first_nonfinite
            count = f"{self.nonfinite:,} row{'s' if self.nonfinite > 1 else ''}"
            hold = "hold" if self.nonfinite > 1 else "holds"
            if self.policy == "raise":
                raise InputDataError(
                    f"{count} {hold} NaN or inf (the first is row {row})",
                    path=self.path,
                    column=column,
                    row=row,
                    hint="fix them, or pass --nan-policy omit to drop those rows or "
                    "--nan-policy propagate to get Keras's NaN",
                )
            if self.policy == "omit":
                notes.append(
                    Diagnostic(
                        "nan-omitted",
                        f"omitted {count} holding NaN or inf (first at row {row}, column "
                        f"{column!r}) as --nan-policy omit asks",
                    )
                )
            else:
                notes.append(
                    Diagnostic(
                        "nan-propagated",
                        f"{count} {hold} NaN or inf (first at row {row}, column {column!r}); "
                        "they were passed to the losses as --nan-policy propagate asks",
                    )
                )
        if self._outside_unit:
            notes.append(
                Diagnostic(
                    "labels-outside-unit",
                    f"{', '.join(self._unit_labels)}: y_true has values outside [0, 1] "
                    f"({self._outside_unit:,} rows, first at row {self._first_outside}); "
                    "cross-entropy reads labels as probabilities, so the loss means nothing "
                    "(it can be negative): map the labels to 0 and 1 (e.g. -1 → 0)",
                )
            )
        return notes + self.diagnostics.warnings(results)

    def _count_outside_unit(self, batch: Any, rows: np.ndarray) -> None:
        t = batch.y_true.reshape(len(batch.y_true), -1)
        bad = ((t < 0) | (t > 1)).any(axis=1)
        if bad.any():
            self._outside_unit += int(bad.sum())
            if self._first_outside is None:
                self._first_outside = int(rows[int(np.argmax(bad))])

    def _check_shapes(self, batch: Any) -> None:
        """Every batch must have the same widths as the first (list cells of equal length)."""
        shapes = (batch.y_true.shape[1:], batch.y_pred.shape[1:])
        for role, shape in zip(("y_true", "y_pred"), shapes, strict=True):
            if 0 in shape and len(batch.y_pred):
                raise InputDataError(
                    "list cells are empty: no values to compare",
                    path=self.path,
                    column=", ".join(getattr(self.roles, role)),
                    row=batch.first_row,
                    hint="every row needs at least one value",
                )
        if self._shapes is None:
            self._shapes = (*shapes, batch.first_row)
            return
        for role, before, now in zip(("y_true", "y_pred"), self._shapes[:2], shapes, strict=True):
            if before != now:
                names = getattr(self.roles, role)
                raise InputDataError(
                    f"list cells have different lengths: {_width(before)} values in earlier "
                    f"rows, {_width(now)} from here on",
                    path=self.path,
                    column=", ".join(names),
                    row=batch.first_row,
                    hint="every row needs the same number of values",
                )

    def _locate(self, batch: Any, index: int) -> tuple[int, str]:
        """The file row and column name of the first non-finite value in row `index`."""
        row = int(_rows(batch)[index])
        for role in ("y_true", "y_pred", "sample_weight"):
            array = getattr(batch, role)
            if array is None:
                continue
            cells = ~np.isfinite(np.asarray(array[index]).reshape(-1))
            if cells.any():
                return row, _column_name(getattr(self.roles, role), role, int(np.argmax(cells)))
        return row, "y_pred"


def loss_input_error(loss: BoundLoss, batch: Any, exc: Exception) -> InputDataError:
    """A loss could not use these arrays: say what it got and what it needs."""
    got = f"y_true {_describe(batch.y_true)} and y_pred {_describe(batch.y_pred)} per row"
    return InputDataError(
        f"{loss.name} cannot use these inputs: {got} ({exc})",
        hint=f"{loss.name} needs y_true: {loss.info.y_true}; y_pred: {loss.info.y_pred}",
    )


def _describe(array: np.ndarray) -> str:
    shape = array.shape[1:]
    if shape in ((), (1,)):
        return "has one value"
    if len(shape) == 1:
        return f"has {shape[0]} values"
    return "has a " + "×".join(str(s) for s in shape) + " array"


def _width(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape) or "1"


def _check_kind(loss: BoundLoss, batch: Any, roles: Roles, path: str | None) -> None:
    """Shapes a loss's label kind requires: dense → same shape; sparse → index + scores."""
    t, p = batch.y_true, batch.y_pred
    kind = loss.info.labels  # "ids" (CTC, Circle) index nothing in y_pred: no shape rule
    true_cols, pred_cols = ", ".join(roles.y_true), ", ".join(roles.y_pred)
    if kind == "sparse":
        if p.ndim < 2 or p.shape[-1] < 2:
            raise InputDataError(
                f"{loss.name} needs a vector of class scores per row in y_pred, but it has one "
                "value",
                path=path,
                column=pred_cols,
                hint="select one column per class (--y-pred 'p_*') or a list column",
            )
        if t.shape[1:] not in (p.shape[1:-1], (*p.shape[1:-1], 1)):
            raise InputDataError(
                f"{loss.name} needs one class index per row in y_true, but it {_describe(t)}",
                path=path,
                column=true_cols,
                hint="for one-hot labels use the categorical (not sparse) loss",
            )
        return
    if kind != "dense":
        return
    if loss.info.vector and p.shape[-1] < 2:
        raise InputDataError(
            f"{loss.name} needs a vector per row (one value per class), but y_pred has one value",
            path=path,
            column=pred_cols,
            hint="select one column per class (--y-pred 'p_*') or a list column; for one "
            "class index per row use the sparse loss",
        )
    if t.shape[1:] != p.shape[1:]:
        from losscli.hints import sparse_instead

        raise InputDataError(
            f"y_true {_describe(t)} per row ({true_cols}) but y_pred {_describe(p)} "
            f"({pred_cols}); {loss.name} needs the same shape",
            path=path,
            hint=sparse_instead(loss, t[0].size if len(t) else 0, p.shape[-1])
            or "select matching columns with --y-true and --y-pred",
        )


def _check_sparse_labels(loss: BoundLoss, batch: Any, roles: Roles, path: str | None) -> None:
    """Class indices must be whole numbers in [0, classes), or the loss's ignore_class."""
    labels = batch.y_true.reshape(len(batch.y_true), -1)
    classes = batch.y_pred.shape[-1]
    finite = np.isfinite(labels)
    ignore = loss.params.get("ignore_class")
    allowed = labels == ignore if ignore is not None else np.zeros_like(finite)
    checks = (
        (labels != np.floor(labels), "is not a whole number", "class indices are 0, 1, 2, …"),
        (labels < 0, "is negative", "class indices start at 0"),
        (
            labels >= classes,
            f"is out of range: y_pred has {classes} classes (0 to {classes - 1})",
            "select one y_pred column per class",
        ),
    )
    for bad, what, hint in checks:
        bad = bad & finite & ~allowed
        if bad.any():
            index = int(np.argmax(bad.any(axis=1)))
            value = labels[index][bad[index]][0]
            if what.startswith("is out of range"):
                from losscli.hints import one_based

                hint = one_based(labels[finite & ~allowed], classes) or hint
            raise InputDataError(
                f"class index {value:g} {what}",
                path=path,
                column=", ".join(roles.y_true),
                row=int(_rows(batch)[index]),
                hint=hint,
            )


def _nonfinite_rows(batch: Any) -> np.ndarray:
    """Rows holding NaN or ±inf anywhere; one sum per array when (as usual) there are none."""
    n = len(batch.y_pred)
    bad = np.zeros(n, dtype=bool)
    for array in (batch.y_true, batch.y_pred, batch.sample_weight):
        if array is None or np.isfinite(array.sum()):
            continue  # a finite total means every value is finite
        bad |= ~np.isfinite(array.reshape(n, -1)).all(axis=1)
    return bad


def _drop(batch: Any, keep: np.ndarray) -> Any:
    """The batch without the rows where `keep` is false; `rows` remembers the file rows."""
    columns = getattr(batch, "columns", None)
    changes: dict[str, Any] = {
        "y_true": batch.y_true[keep],
        "y_pred": batch.y_pred[keep],
        "sample_weight": None if batch.sample_weight is None else batch.sample_weight[keep],
        "rows": _rows(batch)[keep],
    }
    if columns:
        changes["columns"] = {name: column.filter(keep) for name, column in columns.items()}
    return dataclasses.replace(batch, **changes)


def _rows(batch: Any) -> np.ndarray:
    rows = getattr(batch, "rows", None)
    if rows is not None:
        return rows
    return np.arange(batch.first_row, batch.first_row + len(batch.y_pred))


def _column_name(names: Sequence[str] | None, role: str, element: int) -> str:
    """The file column holding flat element `element` of a row of this role."""
    if not names:
        return role
    if len(names) > 1 and element < len(names):
        return names[element]
    return names[0]

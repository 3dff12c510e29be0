"""Loss families and other libraries' names: who a loss's semantics come from, and what a
name from scikit-learn, PyTorch or TensorFlow is called here.

Keras names keep their Keras meaning (`huber` is Keras's Huber); the other families live
under a namespace (`torch.huber`, `sklearn.log_loss`, `tfa.giou`). A name that is not a
losscli name but is another library's gets a hint naming the spec that computes the same
thing. Imported by `describe`, the "did you mean" hint and the README; no numpy here.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from losscli.errors import UsageError

#: source → (library, what its semantics mean for losscli's reductions and weights)
SOURCES: dict[str, tuple[str, str]] = {
    "keras": (
        "Keras 3 (keras.losses)",
        "per-sample values as keras.losses computes them; the reductions are Keras's",
    ),
    "torch": (
        "PyTorch (torch.nn)",
        "torch's reduction='mean' is --reduction sum_over_batch_size (the default), 'sum' is "
        "sum and 'none' is none; a masked or class-weighted loss (ignore_index, weight) divides "
        "by what torch divides by",
    ),
    "sklearn": (
        "scikit-learn (sklearn.metrics)",
        "the metric's value is the default reduction; sklearn's sample_weight average is "
        "--reduction mean_with_sample_weight; median, max and d2 scores are one value for the "
        "whole file",
    ),
    "tfa": (
        "TensorFlow Addons (tfa.losses)",
        "per-sample values as tfa.losses computes them (values from TFA's own tests: TFA no "
        "longer installs); the metric-learning losses are one value for the whole file",
    ),
    "custom": ("a plugin", "your function's per-sample values; the reductions are Keras's"),
}

#: the namespace each non-Keras family's names live under
PREFIXES = {"torch": "torch.", "sklearn": "sklearn.", "tfa": "tfa."}

#: another library's name → (whose name it is, the losscli specs that compute the same thing)
OTHER_NAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    # scikit-learn
    "log_loss": (
        "scikit-learn's",
        ("sklearn.log_loss", "binary_crossentropy", "sparse_categorical_crossentropy"),
    ),
    "brier": ("scikit-learn's", ("sklearn.brier_score",)),
    "brier_score_loss": ("scikit-learn's", ("sklearn.brier_score",)),
    "hinge_loss": ("scikit-learn's", ("sklearn.hinge_loss", "hinge")),
    "zero_one_loss": ("scikit-learn's", ("sklearn.zero_one_loss",)),
    "mean_pinball_loss": ("scikit-learn's", ("sklearn.mean_pinball_loss",)),
    "mean_tweedie_deviance": ("scikit-learn's", ("sklearn.mean_tweedie_deviance",)),
    "mean_poisson_deviance": ("scikit-learn's", ("sklearn.mean_poisson_deviance",)),
    "mean_gamma_deviance": ("scikit-learn's", ("sklearn.mean_gamma_deviance",)),
    "median_absolute_error": ("scikit-learn's", ("sklearn.median_absolute_error",)),
    "max_error": ("scikit-learn's", ("sklearn.max_error",)),
    "root_mean_squared_error": ("scikit-learn's", ("mse",)),
    "accuracy": ("a metric, not a loss;", ("sklearn.zero_one_loss",)),
    # PyTorch (functional names; class names arrive here in snake case: CrossEntropyLoss)
    "cross_entropy": (
        "PyTorch's",
        ("torch.cross_entropy", "sparse_categorical_crossentropy(from_logits=true)"),
    ),
    "cross_entropy_loss": ("PyTorch's", ("torch.cross_entropy",)),
    "nll": ("PyTorch's", ("torch.nll",)),
    "nll_loss": ("PyTorch's", ("torch.nll",)),
    "l1": ("PyTorch's", ("torch.l1", "mae")),
    "l1_loss": ("PyTorch's", ("torch.l1", "mae")),
    "smooth_l1": ("PyTorch's", ("torch.smooth_l1",)),
    "mse_loss": ("PyTorch's", ("torch.mse", "mse")),
    "bce_loss": ("PyTorch's", ("torch.bce", "binary_crossentropy")),
    "binary_cross_entropy": ("PyTorch's", ("torch.bce", "binary_crossentropy")),
    "binary_cross_entropy_with_logits": (
        "PyTorch's",
        ("torch.bce_with_logits", "binary_crossentropy(from_logits=true)"),
    ),
    "bce_with_logits_loss": ("PyTorch's", ("torch.bce_with_logits",)),
    "kl_div": ("PyTorch's", ("torch.kl_div", "kl_divergence")),
    # TensorFlow Addons (class names arrive in snake case)
    "sigmoid_focal_cross_entropy": ("TensorFlow Addons'", ("tfa.sigmoid_focal_crossentropy",)),
    "focal_loss": (
        "TensorFlow Addons'",
        ("tfa.sigmoid_focal_crossentropy", "binary_focal_crossentropy"),
    ),
    "triplet_semi_hard_loss": ("TensorFlow Addons'", ("tfa.triplet_semihard",)),
    "npairs": ("TensorFlow Addons'", ("tfa.npairs",)),
    # TensorFlow (tf.nn)
    "sigmoid_cross_entropy_with_logits": (
        "TensorFlow's",
        ("binary_crossentropy(from_logits=true)", "torch.bce_with_logits"),
    ),
    "softmax_cross_entropy_with_logits": (
        "TensorFlow's",
        ("categorical_crossentropy(from_logits=true)", "torch.cross_entropy"),
    ),
    "softmax_cross_entropy_with_logits_v2": (
        "TensorFlow's",
        ("categorical_crossentropy(from_logits=true)",),
    ),
    "sparse_softmax_cross_entropy_with_logits": (
        "TensorFlow's",
        ("sparse_categorical_crossentropy(from_logits=true)", "torch.cross_entropy"),
    ),
    "log_poisson_loss": ("TensorFlow's", ("torch.poisson_nll",)),
    "weighted_cross_entropy_with_logits": (
        "TensorFlow's",
        ("torch.bce_with_logits",),
    ),
}


def by_source(infos: list[dict[str, Any]], source: str | None) -> list[dict[str, Any]]:
    """`list --source`: the info dicts of one family (all of them for None)."""
    if source is None:
        return infos
    if source not in SOURCES:
        raise UsageError(f"unknown source {source!r}", hint=f"use one of {', '.join(SOURCES)}")
    return [i for i in infos if i.get("source", "custom") == source]


def source_rank(source: str) -> int:
    """Keras first, then the other families, plugins last (the `list` order)."""
    order = list(SOURCES)
    return order.index(source) if source in order else len(order)


def source_text(source: str) -> str:
    library, semantics = SOURCES.get(source, (source, ""))
    return f"{library}: {semantics}" if semantics else library


def other_names_for(names: Iterable[str]) -> list[str]:
    """Other libraries' names that map to a spec of one of these losscli names (describe)."""
    wanted = set(names)
    return sorted(
        other
        for other, (_, specs) in OTHER_NAMES.items()
        if any(spec.split("(")[0] in wanted for spec in specs)
    )


def unknown_name_hint(name: str, known: Iterable[str]) -> str:
    """The "did you mean" text: another library's name, a namespace, then close spellings."""
    known = list(known)
    bare = name.rpartition(".")[2]  # `torch.hubber` → `hubber`
    for key in (name, bare, snake(bare)):
        if key in OTHER_NAMES:
            whose, specs = OTHER_NAMES[key]
            rest = f" (or {', '.join(specs[1:])})" if len(specs) > 1 else ""
            return f"{bare!r} is {whose} name: use {specs[0]}{rest}"
    stems = dict.fromkeys((bare, snake(bare), snake(bare).removesuffix("_loss")))
    in_namespaces = [p + s for s in stems for p in PREFIXES.values() if p + s in known]
    if bare != name and bare in known:
        in_namespaces.insert(0, bare)
    if in_namespaces:
        return f"did you mean {', '.join(in_namespaces)}?"
    # close spellings, also of the part after a namespace (`huberr` → torch.huber too)
    by_bare: dict[str, list[str]] = {}
    for full in known:
        by_bare.setdefault(full.rpartition(".")[2], []).append(full)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    for match in difflib.get_close_matches(bare, list(by_bare), n=3, cutoff=0.6):
        close.extend(f for f in by_bare[match] if f not in close)
    return f"did you mean {', '.join(close[:5])}?" if close else "see `losscli list`"


def snake(name: str) -> str:
    """`HuberLoss` → `huber_loss`; in a dotted name only the last part (`torch.HuberLoss`)."""
    prefix, dot, name = name.rpartition(".")
    out = [prefix, dot]
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper()):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)

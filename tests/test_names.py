"""Families, namespaces and other libraries' names: list --source, describe, did-you-mean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from losscli.cli import app
from losscli.errors import UsageError
from losscli.names import OTHER_NAMES, PREFIXES, SOURCES
from losscli.registry import get, list_losses
from losscli.spec import parse_spec

runner = CliRunner()
PLUGINS = Path(__file__).resolve().parent.parent / "sample_data" / "plugins" / "my_losses.py"


def test_every_other_library_name_maps_to_specs_that_resolve() -> None:
    for other, (_, specs) in OTHER_NAMES.items():
        assert other not in [n for i in list_losses() for n in i.names], other
        for spec in specs:
            parse_spec(spec)  # raises if the spec does not exist


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("log_loss", "use sklearn.log_loss (or binary_crossentropy"),
        ("brier", "use sklearn.brier_score"),
        ("mean_sqared_error", "mean_squared_error"),
        ("max_eror", "sklearn.max_error"),
        ("median_absolute_error", "sklearn.median_absolute_error"),
        ("tfa.huber", "did you mean huber"),
        ("sklearn.mse", "did you mean mse"),
        ("CrossEntropyLoss", "use torch.cross_entropy"),
        ("nll", "use torch.nll"),
        ("smooth_l1", "use torch.smooth_l1"),
        ("sigmoid_cross_entropy_with_logits", "use binary_crossentropy(from_logits=true)"),
        ("triplet_margin_loss", "did you mean torch.triplet_margin"),
        ("MultiMarginLoss", "did you mean torch.multi_margin"),
        ("torch.hubber", "torch.huber"),
        ("SigmoidFocalCrossEntropy", "use tfa.sigmoid_focal_crossentropy"),
        ("GIoULoss", "did you mean tfa.losses.GIoULoss"),
        ("giou_loss", "did you mean tfa.giou"),
        ("WeightedKappaLoss", "did you mean tfa.weighted_kappa"),
        ("TripletSemiHardLoss", "use tfa.triplet_semihard"),
        ("contrastive", "did you mean tfa.contrastive"),
    ],
)
def test_unknown_names_get_the_fix(typed: str, expected: str) -> None:
    with pytest.raises(UsageError) as err:
        get(typed)
    assert expected in (err.value.hint or ""), err.value.hint


def test_keras_names_keep_their_meaning() -> None:
    assert get("huber").source == "keras"
    assert get("mse").source == "keras"


def test_every_builtin_outside_keras_is_namespaced() -> None:
    for info in list_losses():
        if info.source in PREFIXES:
            assert info.name.startswith(PREFIXES[info.source]), info.name
            assert all(n.startswith(PREFIXES[info.source]) for n in info.names), info.names


def test_dotted_specs_parse_with_parameters() -> None:
    bound = parse_spec("sklearn.mean_pinball_loss(alpha=0.9)")
    assert bound.name == "sklearn.mean_pinball_loss" and bound.params == {"alpha": 0.9}
    assert bound.canonical() == "sklearn.mean_pinball_loss(alpha=0.9)"
    assert get("sklearn.metrics.log_loss") is get("sklearn.log_loss")
    assert get("torch.nn.HuberLoss") is get("torch.huber")
    assert get("torch.nn.functional.cross_entropy") is get("torch.cross_entropy")


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_list_source_lists_one_family(source: str) -> None:
    result = runner.invoke(app, ["list", "--source", source, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)["losses"]
    assert {i["source"] for i in listed} <= {source}
    assert sorted(i["name"] for i in listed) == sorted(i.name for i in list_losses(source=source))


def test_list_source_without_numpy_and_unknown_source() -> None:
    code = (
        "import sys; from losscli.cli import main; sys.argv = ['losscli', 'list', '--source', "
        "'sklearn']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'numpy' not in sys.modules, 'list imported numpy'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "sklearn.log_loss" in done.stdout
    result = runner.invoke(app, ["list", "--source", "jax"])
    assert result.exit_code == 2 and "keras, torch, sklearn, tfa, custom" in result.stderr


def test_describe_explains_the_source_and_other_names() -> None:
    result = runner.invoke(app, ["describe", "sklearn.log_loss"])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "scikit-learn (sklearn.metrics)" in text and "mean_with_sample_weight" in text
    assert "sklearn.metrics.log_loss" in text and "other libraries call it: log_loss" in text
    result = runner.invoke(app, ["describe", "mae"])
    assert "other libraries call it: l1, l1_loss" in " ".join(result.stdout.split())
    result = runner.invoke(app, ["describe", "sklearn.max_error"])
    assert "one value for the whole file" in " ".join(result.stdout.split())
    result = runner.invoke(app, ["describe", "sklearn.max_error", "--format", "json"])
    assert json.loads(result.stdout)["source"] == "sklearn"


def test_unknown_loss_on_the_cli_suggests_the_other_librarys_spec(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "p.csv"
    path.write_text("y_true,y_pred\n1,0.9\n0,0.2\n")
    result = runner.invoke(app, ["eval", "log_loss", str(path)])
    assert result.exit_code == 2
    assert "sklearn.log_loss" in result.stderr and "log_cosh" not in result.stderr


def test_plugins_are_the_custom_source() -> None:
    result = runner.invoke(
        app,
        [
            "list",
            "--source",
            "custom",
            "--plugin",
            "sample_data/plugins/my_losses.py",
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    listed = json.loads(result.stdout)["losses"]
    assert listed and {i["source"] for i in listed} == {"custom"}
    assert {i["origin"] for i in listed} != {"built-in"}

"""Custom losses: plugin files and modules, entry points, Keras's wrapper semantics, failures.

The worked example (sample_data/plugins/my_losses.py) is loaded through a real subprocess and
compared with the same functions wrapped by Keras's LossFunctionWrapper. Entry points are
tested with a `*.dist-info/entry_points.txt` put on PYTHONPATH of a subprocess: the same
discovery path (importlib.metadata) as an installed wheel, without installing anything into
the shared venv (which other tests and CI runs would then see).
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from keras_oracle import _configure
from typer.testing import CliRunner

from losscli import plugins
from losscli.api import evaluate
from losscli.cli import app
from losscli.errors import UsageError
from losscli.registry import get

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "sample_data" / "plugins" / "my_losses.py"
REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """A CSV with 3-vectors per row (t_0..t_2, p_0..p_2) and a weight column."""
    rng = np.random.default_rng(7)
    n = 37
    arrays = {
        "y_true": rng.integers(0, 2, size=(n, 3)).astype(float),
        "y_pred": rng.uniform(-1.5, 2.5, size=(n, 3)),
        "w": rng.uniform(0.1, 2.0, size=n),
    }
    header = [*(f"t_{i}" for i in range(3)), *(f"p_{i}" for i in range(3)), "w"]
    rows = np.column_stack([arrays["y_true"], arrays["y_pred"], arrays["w"]])
    path = tmp_path / "vectors.csv"
    lines = [",".join(header)] + [",".join(repr(float(v)) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path, arrays


def keras_wrapped(fn: Any, y_true: Any, y_pred: Any, w: Any, reduction: str, **kw: Any) -> Any:
    """`LossFunctionWrapper(fn, reduction, **kw)(y_true, y_pred, w)` computed in float64."""
    _configure("float64")
    # keras 3.15.1 does not export LossFunctionWrapper under keras.losses; this is its home
    from keras.src.losses.losses import LossFunctionWrapper

    loss = LossFunctionWrapper(fn, reduction=reduction, dtype="float64", **kw)
    return np.asarray(loss(y_true, y_pred, sample_weight=w))


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        # wide enough that rich never wraps a long checkout path inside a line we look for
        env={**os.environ, "COLUMNS": "400", **(env or {})},
        check=False,
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# --- the worked example, each kind, through a real subprocess ---------------------------------


def test_each_kind_through_a_subprocess_matches_keras(registry: None, data: Any) -> None:
    path, a = data
    specs = "squared_log_ratio,contrastive(margin=2.0),pinball(tau=0.9),quantile"
    proc = run_cli(
        "eval", "--plugin", str(EXAMPLE), specs, str(path),
        "--y-true", "t_*", "--y-pred", "p_*", "--sample-weight", "w",
        "--reduction", "sum", "--batch-size", "5", "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    got = {r["spec"]: r["value"] for r in json.loads(proc.stdout)["results"]}
    plugins.load_plugins([str(EXAMPLE)])  # in this process too, for the plain functions
    plain, factory, decorated = (
        inspect.unwrap(get(name).fn) for name in ("squared_log_ratio", "contrastive", "pinball")
    )
    t, p, w = a["y_true"], a["y_pred"], a["w"]
    want = {
        "squared_log_ratio": keras_wrapped(plain, t, p, w, "sum"),
        "contrastive(margin=2.0)": keras_wrapped(factory(margin=2.0), t, p, w, "sum"),
        "pinball(tau=0.9)": keras_wrapped(decorated, t, p, w, "sum", tau=0.9),
        "pinball": keras_wrapped(decorated, t, p, w, "sum"),
    }
    assert got.keys() == want.keys()
    for spec, value in want.items():
        np.testing.assert_allclose(got[spec], value, rtol=1e-13, err_msg=spec)


def test_list_and_describe_show_plugin_losses_like_builtins() -> None:
    proc = run_cli("list", "--plugin", str(EXAMPLE), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    losses = {info["name"]: info for info in json.loads(proc.stdout)["losses"]}
    assert losses["mean_squared_error"]["origin"] == "built-in"
    for name in ("squared_log_ratio", "contrastive", "pinball"):
        assert losses[name]["origin"] == f"plugin {EXAMPLE}"
    assert losses["contrastive"]["summary"].startswith("Contrastive loss (Hadsell")
    assert losses["contrastive"]["parameters"][0] | {"help": ""} == {
        "name": "margin", "type": "float", "default": 1.0, "help": "",
    }  # fmt: skip
    assert losses["pinball"]["aliases"] == ["quantile"]
    assert losses["pinball"]["category"] == "quantile"
    table = run_cli("describe", "--plugin", str(EXAMPLE), "quantile")
    assert table.returncode == 0, table.stderr
    assert "Pinball (quantile) loss" in table.stdout
    assert f"origin: plugin {EXAMPLE}" in table.stdout


# --- Keras's wrapper semantics across reductions and weights (in process, fast) ---------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_reductions_and_weights_equal_keras_wrapper(
    registry: None, data: Any, reduction: str, weighted: bool
) -> None:
    path, a = data
    plugins.load_plugins([str(EXAMPLE)])
    specs = ["squared_log_ratio", "contrastive(margin=0.5)", "pinball(tau=0.25)"]
    evaluation = evaluate(
        str(path), ",".join(specs), y_true="t_*", y_pred="p_*",
        sample_weight="w" if weighted else "none", reduction=reduction, batch_size=8,
    )  # fmt: skip
    factory = inspect.unwrap(get("contrastive").fn)
    wrapped = [
        (get("squared_log_ratio").fn, {}),
        (factory(margin=0.5), {}),
        (get("pinball").fn, {"tau": 0.25}),
    ]
    w = a["w"] if weighted else None
    for result, (fn, kw) in zip(evaluation.results, wrapped, strict=True):
        want = keras_wrapped(fn, a["y_true"], a["y_pred"], w, reduction, **kw)
        got = result.values if reduction == "none" else result.value
        np.testing.assert_allclose(got, want, rtol=1e-13, err_msg=result.loss.canonical())


def test_scalar_columns_arrive_as_n_by_1(registry: None, tmp_path: Path) -> None:
    plugin = write(
        tmp_path / "shapes.py",
        """
        import numpy as np

        SEEN = []

        def recorder(y_true, y_pred):
            SEEN.append((y_true.shape, y_pred.shape, str(y_true.dtype)))
            return np.mean(y_pred - y_true, axis=-1)
        """,
    )
    csv = write(tmp_path / "d.csv", "y_true,y_pred\n1,2\n3,5\n")
    plugins.load_plugins([str(plugin)])
    result = evaluate(str(csv), "recorder").results[0]
    seen = sys.modules[get("recorder").fn.__module__].SEEN
    assert seen == [((2, 1), (2, 1), "float64")]
    assert result.value == 1.5


@pytest.mark.parametrize("reduction", ["sum", "mean_with_sample_weight", "none"])
def test_custom_loss_gets_the_same_engine_as_builtins(
    registry: None, tmp_path: Path, reduction: str
) -> None:
    """A copy of MAE's code as a plugin gives MAE's numbers bit for bit, with class weights,
    a NaN row dropped by --nan-policy omit, and small batches."""
    plugin = write(
        tmp_path / "copy.py",
        """
        import numpy as np

        def my_mae(y_true, y_pred):
            return np.mean(np.abs(y_true - y_pred), axis=-1)
        """,
    )
    rows = ["0,0.2", "1,0.7", "1,nan", "0,0.9", "1,0.1", "0,0.4", "1,1.5"]
    csv = write(tmp_path / "d.csv", "y_true,y_pred\n" + "\n".join(rows) + "\n")
    common = ["--nan-policy", "omit", "--batch-size", "3", "-r", reduction, "-f", "json"]
    args = ["eval", "--plugin", str(plugin), "my_mae,mae", str(csv), *common]
    weighted = runner.invoke(app, [*args, "--class-weight", "0=1.0,1=3.5"])
    plain = runner.invoke(app, args)
    assert weighted.exit_code == 0, weighted.stderr
    key = "values" if reduction == "none" else "value"
    custom, builtin = (r[key] for r in json.loads(weighted.stdout)["results"])
    assert custom == builtin
    assert None not in (custom if isinstance(custom, list) else [custom])  # NaN row omitted
    assert custom != json.loads(plain.stdout)["results"][0][key]  # class weights did apply


# --- how losses are found ----------------------------------------------------------------------


def _f_loss(y_true, y_pred): ...
def _f_loss_params(y_true, y_pred, k=1.0, *, internal=None): ...
def _f_factory(margin=1.0, *, power=2): ...
def _f_helper(x): ...
def _f_three(y_true, y_pred, k): ...
def _f_varargs(*arrays): ...
def _f_no_params(): ...


@pytest.mark.parametrize(
    ("fn", "kind"),
    [
        (_f_loss, "loss"),
        (_f_loss_params, "loss"),
        (_f_factory, "factory"),
        (_f_helper, None),
        (_f_three, None),
        (_f_varargs, None),
        (_f_no_params, None),
    ],
)
def test_kind_of_follows_the_signature(fn: Any, kind: str | None) -> None:
    assert plugins.kind_of(fn) == kind


def test_discovery_skips_private_imported_and_unsuitable(registry: None, tmp_path: Path) -> None:
    plugin = write(
        tmp_path / "mixed.py",
        """
        from numpy import dot  # imported: not ours
        from os.path import join  # imported function: not ours

        def public_loss(y_true, y_pred):
            return (y_pred - y_true)[:, 0]

        def _private_loss(y_true, y_pred):
            return (y_pred - y_true)[:, 0]

        def needs_three(a, b, c):
            return a

        class NotAFunction:
            pass
        """,
    )
    added = plugins.load_plugins([str(plugin)])
    assert [info.name for info in added] == ["public_loss"]
    assert plugins.load_plugins([str(plugin)]) == []  # loading twice is a no-op


def test_dunder_all_chooses_what_is_public(registry: None, tmp_path: Path) -> None:
    plugin = write(
        tmp_path / "chosen.py",
        """
        __all__ = ["chosen"]

        def chosen(y_true, y_pred):
            return y_pred[:, 0]

        def not_listed(y_true, y_pred):
            return y_pred[:, 0]
        """,
    )
    assert [i.name for i in plugins.load_plugins([str(plugin)])] == ["chosen"]


def test_module_plugin_and_base_folder(
    registry: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "pkg_p7" / "__init__.py", "")
    write(
        tmp_path / "pkg_p7" / "losses.py",
        """
        def from_module(y_true, y_pred):
            '''A loss shipped in a module.'''
            return abs(y_pred - y_true)[:, 0]
        """,
    )
    write(tmp_path / "conf" / "rel.py", "def relative(y_true, y_pred):\n    return y_pred[:, 0]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    added = plugins.load_plugins(["pkg_p7.losses", "rel.py"], base=tmp_path / "conf")
    assert {i.name: i.origin for i in added} == {
        "from_module": "plugin pkg_p7.losses",
        "relative": "plugin rel.py",
    }
    assert get("from_module").summary == "A loss shipped in a module."


def test_override_replaces_a_builtin_only_when_asked(registry: None, tmp_path: Path) -> None:
    plugin = write(
        tmp_path / "override.py",
        """
        import numpy as np
        import losscli

        @losscli.register_loss(name="mse", override=True)
        def my_mse(y_true, y_pred):
            '''Half the squared error.'''
            return 0.5 * np.mean(np.square(y_true - y_pred), axis=-1)
        """,
    )
    plugins.load_plugins([str(plugin)])
    assert get("mse").summary == "Half the squared error."
    assert get("mse").origin == f"plugin {plugin}"


# --- failures: one clear line and the right exit code ------------------------------------------


BAD = """
import numpy as np

def raises(y_true, y_pred):
    scale = 2.0
    raise RuntimeError("boom at " + str(scale))

def wrong_shape(y_true, y_pred):
    return np.square(y_true - y_pred)

def makes_nan(y_true, y_pred):
    out = np.mean(y_pred - y_true, axis=-1)
    out[2] = np.nan
    return out

def strings(y_true, y_pred):
    return np.array(["x"] * len(y_pred))

def scalar(y_true, y_pred):
    return np.mean(y_pred)

def not_a_factory(scale: float = 1.0):
    return 42

def picky(scale: float = 1.0):
    if scale <= 0:
        raise ValueError("scale must be positive")
    return lambda y_true, y_pred: scale * np.mean(y_pred - y_true, axis=-1)
"""


@pytest.fixture
def bad(tmp_path: Path) -> tuple[Path, Path]:
    csv = write(tmp_path / "d.csv", "y_true,y_pred\n1,2\n3,5\n4,4\n0,1\n")
    return write(tmp_path / "bad_losses.py", BAD), csv


@pytest.mark.parametrize(
    ("spec", "code", "needle"),
    [
        ("raises", 3, "raised RuntimeError: boom at 2.0 at {file}:{raise}"),
        ("wrong_shape", 3, "at {file}:{wrong_shape} returned shape (4, 1) for 4 rows"),
        ("makes_nan", 3, "row 2: custom loss makes_nan at {file}:{makes_nan} returned NaN"),
        ("strings", 3, "returned <U1 values, not numbers"),
        ("scalar", 3, "returned shape () for 4 rows"),
        ("not_a_factory", 2, "factory not_a_factory at {file}:{not_a_factory} returned int"),
        ("picky(scale=-1)", 2, "raised ValueError: scale must be positive at {file}:{picky}"),
        ("picky(scale='big')", 2, "parameter 'scale' of picky must be float"),
        ("picky(size=1)", 2, "picky has no parameter 'size'"),
    ],
)
def test_custom_loss_failures_exit_cleanly(
    registry: None, bad: tuple[Path, Path], spec: str, code: int, needle: str
) -> None:
    plugin, csv = bad
    lines = {
        "file": plugin,
        "raise": line_of(plugin, 'raise RuntimeError("boom'),
        "wrong_shape": line_of(plugin, "def wrong_shape"),
        "makes_nan": line_of(plugin, "def makes_nan"),
        "not_a_factory": line_of(plugin, "def not_a_factory"),
        "picky": line_of(plugin, 'raise ValueError("scale'),
    }
    result = runner.invoke(app, ["eval", "--plugin", str(plugin), spec, str(csv)])
    assert result.exit_code == code, result.stderr
    assert needle.format(**lines) in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("def broken(y_true, y_pred)\n    return y_pred\n", "syntax error at {file}:1"),
        ("import numpy\n\nx = 1 / 0\n", "ZeroDivisionError: division by zero at {file}:3"),
        ("def mse(y_true, y_pred):\n    return y_pred[:, 0]\n", "'mse' from plugin {file} is"),
    ],
    ids=["syntax", "import-raises", "clash-with-builtin"],
)
def test_broken_plugin_files_are_usage_errors(
    registry: None, tmp_path: Path, source: str, needle: str
) -> None:
    plugin = write(tmp_path / "broken.py", source)
    result = runner.invoke(app, ["list", "--plugin", str(plugin)])
    assert result.exit_code == 2, result.stderr
    assert needle.format(file=plugin) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("missing_p7.py", "plugin file 'missing_p7.py' not found"),
        ("no_such_module_p7.losses", "plugin module 'no_such_module_p7.losses' not found"),
        ("not a module", "is neither a .py file nor a module name"),
    ],
)
def test_plugins_that_cannot_be_found_are_usage_errors(
    registry: None, spec: str, needle: str
) -> None:
    result = runner.invoke(app, ["describe", "mse", "--plugin", spec])
    assert result.exit_code == 2
    assert needle in result.stderr


def test_two_plugins_with_the_same_name_clash(registry: None, tmp_path: Path) -> None:
    one = write(tmp_path / "one.py", "def twin(y_true, y_pred):\n    return y_pred[:, 0]\n")
    two = write(tmp_path / "two.py", "def twin(y_true, y_pred):\n    return y_true[:, 0]\n")
    with pytest.raises(UsageError, match=f"already taken by twin \\(plugin {one}\\)"):
        plugins.load_plugins([str(one), str(two)])


def test_debug_shows_the_traceback_through_the_users_code(bad: tuple[Path, Path]) -> None:
    plugin, csv = bad
    quiet = run_cli("eval", "--plugin", str(plugin), "raises", str(csv))
    assert quiet.returncode == 3
    assert "Traceback" not in quiet.stderr
    loud = run_cli("--debug", "eval", "--plugin", str(plugin), "raises", str(csv))
    assert loud.returncode != 0
    assert "Traceback" in loud.stderr
    assert f'File "{plugin}", line {line_of(plugin, "raise RuntimeError")}' in loud.stderr


# --- installed packages: the losscli.losses entry-point group ----------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 'installed' distributions on a path: a good one and one with broken entry points."""
    root = tmp_path_factory.mktemp("site")
    write(
        root / "acme_losses" / "__init__.py",
        """
        import numpy as np

        def acme_abs(y_true, y_pred):
            '''Acme's absolute error.'''
            return np.mean(np.abs(y_true - y_pred), axis=-1)
        """,
    )
    write(
        root / "acme_losses" / "extra.py",
        """
        import numpy as np

        def scaled(scale: float = 2.0):
            '''Acme's scaled squared error.'''
            return lambda y_true, y_pred: scale * np.mean(np.square(y_true - y_pred), axis=-1)
        """,
    )
    write(root / "acme_losses-1.0.dist-info" / "METADATA", "Name: acme-losses\nVersion: 1.0\n")
    write(
        root / "acme_losses-1.0.dist-info" / "entry_points.txt",
        "[losscli.losses]\nacme = acme_losses\nacme_scaled = acme_losses.extra:scaled\n",
    )
    write(root / "acme_clash.py", "def mse(y_true, y_pred):\n    return y_pred[:, 0]\n")
    write(
        root / "acme_override.py",
        """
        import losscli

        @losscli.register_loss(name="mae", override=True)
        def sneaky(y_true, y_pred):
            return y_pred[:, 0]
        """,
    )
    write(root / "acme_broken-0.1.dist-info" / "METADATA", "Name: acme-broken\nVersion: 0.1\n")
    write(
        root / "acme_broken-0.1.dist-info" / "entry_points.txt",
        "[losscli.losses]\ngone = acme_gone_p7\nclash = acme_clash\noverride = acme_override\n",
    )
    return root


def test_entry_points_are_listed_with_their_package(site: Path) -> None:
    proc = run_cli("list", "--format", "json", env={"PYTHONPATH": str(site)})
    assert proc.returncode == 0, proc.stderr
    losses = {info["name"]: info for info in json.loads(proc.stdout)["losses"]}
    assert losses["acme_abs"]["origin"] == "package acme-losses 1.0"
    assert losses["acme_abs"]["summary"] == "Acme's absolute error."
    assert losses["acme_scaled"]["parameters"][0]["default"] == 2.0
    assert losses["mean_squared_error"]["origin"] == "built-in"  # the clash did not win
    assert losses["mean_absolute_error"]["origin"] == "built-in"  # nor the override
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 3, proc.stderr
    assert all("package acme-broken 0.1" in line for line in warnings)
    assert "No module named 'acme_gone_p7'" in proc.stderr
    assert "loss name 'mse' from package acme-broken 0.1 is already taken" in proc.stderr
    assert "mae: installed packages cannot override losses" in proc.stderr


def test_entry_points_load_lazily_and_evaluate(site: Path, tmp_path: Path) -> None:
    csv = write(tmp_path / "d.csv", "y_true,y_pred\n1,2\n3,5\n")
    env = {"PYTHONPATH": str(site)}
    builtin = run_cli("eval", "mse", str(csv), "--format", "json", env=env)
    assert builtin.returncode == 0
    assert builtin.stderr == ""  # a built-in name never touches entry points
    custom = run_cli("eval", "acme_scaled(scale=3),acme_abs", str(csv), "--format", "json", env=env)
    assert custom.returncode == 0, custom.stderr
    values = [r["value"] for r in json.loads(custom.stdout)["results"]]
    assert values == [7.5, 1.5]
    assert "acme-broken" in custom.stderr  # loading them reports the broken package


def test_entry_point_names_not_found_are_usage_errors(site: Path, tmp_path: Path) -> None:
    csv = write(tmp_path / "d.csv", "y_true,y_pred\n1,2\n")
    proc = run_cli("eval", "gone", str(csv), env={"PYTHONPATH": str(site)})
    assert proc.returncode == 2
    assert "unknown loss 'gone'" in proc.stderr

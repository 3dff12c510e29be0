"""One options model: every eval option is a check key, and a check given the same options
gives the same value as eval; config mistakes are exit 2 naming the file, check, key and line."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from losscli.check_config import CHECK_ONLY, KEY_ALIASES, load_config
from losscli.cli import app
from losscli.errors import UsageError
from losscli.options import Options, options_fields

runner = CliRunner()
SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"


def _eval_params() -> dict[str, object]:
    command = typer.main.get_command(app).commands["eval"]  # type: ignore[attr-defined]
    return {p.name: p for p in command.params}


def test_every_eval_option_has_a_config_key_and_back() -> None:
    """A new eval option must be declared in losscli/options.py (flag, key, help), and every
    key there (but check-only ones) must be an eval option."""
    params = _eval_params()
    model = {f.name: m for _, f, m in options_fields()}
    missing = sorted(set(params) - set(model))
    assert not missing, f"eval options without a config key (declare them in options.py): {missing}"
    for name, m in model.items():
        if m.flag is None:
            assert m.key in {"report_only", "baseline", "max_regression"} | CHECK_ONLY, name
            continue
        assert name in params, f"options.py declares {m.flag} but eval has no such option"
        param = params[name]
        shown = [*param.opts, *getattr(param, "secondary_opts", [])]  # type: ignore[attr-defined]
        if m.flag.startswith("--"):
            assert m.flag in shown, (name, shown)
        assert m.key and m.help, name


def test_every_config_key_is_taken_or_refused_clearly(tmp_path: Path) -> None:
    """No model key is an 'unknown key' in a check: it works, or says why it does not."""
    (tmp_path / "r.csv").write_text("y_true,y_pred\n1,1.5\n2,2\n")
    for _, f, m in options_fields():
        if m.key in ("file", "loss", "head"):
            continue
        config = tmp_path / "c.toml"
        value = json.dumps(f.default if isinstance(f.default, (str, bool, int)) else "x")
        config.write_text(
            f'[[check]]\nfile = "r.csv"\nloss = "mse"\nreport_only = true\n{m.key} = {value}\n'
            if m.key != "report_only"
            else '[[check]]\nfile = "r.csv"\nloss = "mse"\nreport_only = true\n'
        )
        try:
            load_config(str(config))
        except UsageError as exc:
            assert "unknown key" not in str(exc), (m.key, str(exc))
            assert m.key in str(exc) and "line 5" in str(exc), (m.key, str(exc))


@pytest.fixture
def texty(tmp_path: Path) -> Path:
    """Text labels, a ';' delimiter and a NaN row."""
    rows = ["id;y_true;p_cat;p_dog"]
    rows += [
        f"{i};{'cat' if i % 3 else 'dog'};{0.1 + i / 40:.3f};{0.9 - i / 40:.3f}" for i in range(30)
    ]
    rows.append("30;dog;nan;0.5")
    path = tmp_path / "pets.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_check_takes_every_input_option_eval_has(texty: Path, tmp_path: Path) -> None:
    flags = ["--delimiter", ";", "--nan-policy", "omit", "--y-pred", "p_*", "--classes", "cat,dog"]
    flags += ["--batch-size", "7", "--dtype", "float32", "--class-weight", "0=1.0,1=2.0"]
    spec = "sparse_categorical_crossentropy"

    def value(*more: str) -> float:
        done = runner.invoke(app, ["eval", spec, str(texty), *flags, *more, "-f", "json"])
        assert done.exit_code == 0, done.stderr
        return float(json.loads(done.stdout)["results"][0]["value"])

    expected = value("--skip", "2", "--limit", "25")
    assert expected != value()  # skip and limit matter here
    config = tmp_path / "checks.toml"
    config.write_text(
        f"""
[defaults]
delimiter = ";"
nan_policy = "omit"

[[check]]
name = "pets"
file = "{texty.name}"
loss = "sparse_categorical_crossentropy"
y_pred = ["p_cat", "p_dog"]
classes = "cat,dog"
batch_size = 7
dtype = "float32"
skip = 2
limit = 25
class_weight = {{ 0 = 1.0, 1 = 2.0 }}
input_format = "csv"
header = true
strict = false
fail_above = 100
"""
    )
    out = runner.invoke(app, ["check", str(config), "-f", "json"])
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["checks"][0]["value"] == expected


def test_text_labels_work_in_a_check_as_in_eval(tmp_path: Path) -> None:
    """The shared-read path (two checks, one file) converts text labels as eval does."""
    path = tmp_path / "pets.csv"
    path.write_text("y_true,p_cat,p_dog\ncat,0.8,0.2\ndog,0.3,0.7\ndog,0.6,0.4\n")
    direct = runner.invoke(
        app, ["eval", "sparse_categorical_crossentropy", str(path), "--y-pred", "p_*", "-f", "json"]
    )
    assert direct.exit_code == 0, direct.stderr
    config = tmp_path / "c.toml"
    config.write_text(
        '[defaults]\nfile = "pets.csv"\ny_pred = "p_*"\nfail_above = 5\n'
        '[[check]]\nname = "a"\nloss = "sparse_categorical_crossentropy"\n[[check]]\nname = "b"\nloss = "mse"\n'
        'y_true = "p_cat"\ny_pred = "p_dog"\n'
    )
    out = runner.invoke(app, ["check", str(config), "-f", "json"])
    assert out.exit_code == 0, out.stderr
    got = json.loads(out.stdout)["checks"][0]["value"]
    assert got == json.loads(direct.stdout)["results"][0]["value"]
    spec = "sparse_categorical_crossentropy"
    heads = runner.invoke(app, ["eval", spec, str(path), "--head", "y_pred=p_*", "-f", "json"])
    assert heads.exit_code == 0, heads.stderr
    assert json.loads(heads.stdout)["heads"][0]["value"] == got


def test_strict_in_a_check_makes_warnings_errors(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    body = (
        f'[[check]]\nname = "bce on scores"\nfile = "{SAMPLES / "regression.csv"}"\nloss = "bce"\n'
    )
    config.write_text(body + "fail_above = 100\nstrict = true\n")
    out = runner.invoke(app, ["check", str(config)])
    assert out.exit_code == 3
    assert re.search(
        r"\d warnings? and strict = true \(check 'bce on scores', line 6\)", out.stderr
    )
    config.write_text(body + "fail_above = 100\n")
    assert runner.invoke(app, ["check", str(config)]).exit_code == 0
    out = runner.invoke(app, ["check", str(config), "--strict"])
    assert out.exit_code == 3 and re.search(r"\d warnings? and --strict is on", out.stderr)


def test_per_sample_and_keep_in_a_check(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[check]]\nname = "rows"\nfile = "{SAMPLES / "binary.csv"}"\nloss = "bce"\n'
        'per_sample = "rows.csv"\nkeep = ["id", "split"]\nreport_only = true\n'
    )
    out = runner.invoke(app, ["check", str(config)])
    assert out.exit_code == 0, out.stderr
    written = tmp_path / "rows.csv"  # relative to the config, like file =
    rows = list(csv.reader(written.read_text().splitlines()))
    assert rows[0][:3] == ["row", "id", "split"] and len(rows) > 10


def test_a_check_without_a_bound_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[check]]\nname = "x"\nfile = "{SAMPLES / "regression.csv"}"\nloss = "mse"\n'
    )
    out = runner.invoke(app, ["check", str(config)])
    assert out.exit_code == 2
    assert "check 'x': has no bound" in out.stderr and "report_only" in out.stderr
    config.write_text(config.read_text() + "report_only = true\n")
    out = runner.invoke(app, ["check", str(config), "-f", "json"])
    assert out.exit_code == 0 and json.loads(out.stdout)["checks"][0]["value"] > 0
    config.write_text(config.read_text() + "fail_above = 1\n")
    assert runner.invoke(app, ["check", str(config)]).exit_code == 2  # both is a contradiction


def test_bound_failures_cite_config_keys_and_lines(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[defaults]\nfail_below = 100\n\n[[check]]\nname = "x"\n'
        f'file = "{SAMPLES / "regression.csv"}"\nloss = "mse"\n'
    )
    out = runner.invoke(app, ["check", str(config)])
    assert out.exit_code == 1
    assert "(fail_below in check 'x', line 2)" in out.stderr
    assert "--fail" not in out.stdout + out.stderr


def test_data_errors_in_a_check_cite_config_keys(tmp_path: Path) -> None:
    path = tmp_path / "gappy.csv"
    path.write_text("y_true,y_pred\n1,nan\n2,2\n")
    config = tmp_path / "c.toml"
    config.write_text('[[check]]\nname = "g"\nfile = "gappy.csv"\nloss = "mse"\nfail_above = 1\n')
    out = runner.invoke(app, ["check", str(config)])
    assert out.exit_code == 3
    assert "nan_policy" in out.stderr and "--nan-policy" not in out.stderr


BAD_VALUES = [
    ("check = [1, 2]\n", "check must be [[check]] tables", "line 1", "check"),
    ('[[check]]\nname = "a"\nfile = "r.csv"\nhead = []\n', "head must be", "line 4", "'a'"),
    (
        '[[check]]\nname = "a"\nfile = "r.csv"\nloss = "mse"\ny_true = 5\n',
        "y_true",
        "line 5",
        "'a'",
    ),
    ('[[check]]\nfile = ""\nloss = "mse"\n', "file is empty", "line 2", "check 1"),
    ('[[check]]\nname = 3\nfile = "r.csv"\nloss = "mse"\n', "name must be", "line 2", "check 1"),
    (
        '[[check]]\nname = "a"\nfile = "r.csv"\nloss = "mse"\nbatch_size = 99999999999999999999\n',
        "batch_size must be from 1",
        "line 5",
        "'a'",
    ),
    ('[[check]]\nname = "a"\nfile = "r.csv"\nloss = "mse"\nskip = -1\n', "skip", "line 5", "'a'"),
    (
        '[[check]]\nname = "a"\nfile = "r.csv"\nloss = "mse"\nstrict = "yes"\n',
        "strict",
        "line 5",
        "",
    ),
    (
        '[defaults]\nnan_policy = "drop"\n[[check]]\nname = "a"\nfile = "r.csv"\nloss = "mse"\n',
        "nan_policy",
        "line 2",
        "'a'",
    ),
    ('[[check]]\nname = "a"\nfile = "r.csv"\nloss = "mse"\ntop = 3\n', "eval --top", "line 5", ""),
    (
        '[[check]]\nname = "a"\nfile = "r.csv"\nloss = "mse"\ninput_format = "csv"\nformat = "csv"\n',
        "format and input_format are the same option",
        "line 6",
        "'a'",
    ),
    (
        '[[check]]\nname = "a"\nfile = "r.csv"\nreport_only = true\n[[check.head]]\nloss = "mse"\n'
        'reduction = "none"\n',
        "head reduction 'none'",
        "line 7",
        "'a'",
    ),
    (
        '[[check]]\nname = "a"\nfile = "r.csv"\nloss = "mse"\noutput = "x"\n',
        "--output",
        "line 5",
        "",
    ),
]


@pytest.mark.parametrize(("text", "message", "line", "check"), BAD_VALUES)
def test_wrong_config_values_are_usage_errors(
    tmp_path: Path, text: str, message: str, line: str, check: str
) -> None:
    config = tmp_path / "c.toml"
    with_bound = "[[check]]" in text and "report_only" not in text
    config.write_text(text + "report_only = true\n" if with_bound else text)
    with pytest.raises(UsageError) as info:
        load_config(str(config))
    said = str(info.value)
    assert said.startswith(str(config)) and message in said and line in said and check in said


def test_unreadable_configs_through_a_real_process(tmp_path: Path) -> None:
    binary = tmp_path / "latin1.toml"
    binary.write_bytes(b'[[check]]\nname = "caf\xe9"\n')
    env = {**os.environ, "KERAS_BACKEND": "numpy"}
    for path, said in ((binary, "line 2: not UTF-8"), (Path("/dev/zero"), "not a config")):
        done = subprocess.run(
            [sys.executable, "-m", "losscli", "check", str(path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert str(path) in done.stderr and said in done.stderr
        assert done.stderr.count("\n") == 1


def test_the_library_keyword_form_uses_the_model(tmp_path: Path) -> None:
    from losscli import evaluate

    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,1.5\n2,2\n3,nan\n")
    options = Options().with_values(y_true="a", y_pred="b", nan_policy="omit")
    by_options = evaluate(str(path), "mse", options).results[0].value
    by_keywords = evaluate(str(path), "mse", y_true="a", y_pred="b", nan_policy="omit")
    assert by_options == by_keywords.results[0].value == pytest.approx(0.125)
    with pytest.raises(TypeError, match="y_ture"):
        evaluate(str(path), "mse", y_ture="a")
    with pytest.raises(TypeError, match="fail_above"):  # a gate is the caller's, not evaluate's
        evaluate(str(path), "mse", fail_above=["1"])
    with pytest.raises(UsageError, match="--skip must be from 0"):
        evaluate(str(path), "mse", skip=-1)


def test_aliases_are_model_keys() -> None:
    keys = {m.key for _, _, m in options_fields()}
    assert set(KEY_ALIASES.values()) <= keys


def test_usage_errors_found_while_reading_cite_the_key(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[check]]\nname = "w"\nfile = "{SAMPLES / "regression.csv"}"\nloss = "mse"\n'
        'mask = "y_true,y_pred"\nfail_above = 3\n'
    )
    out = runner.invoke(app, ["check", str(config)])
    assert out.exit_code == 2
    assert f"{config}: line 5: check 'w': mask names one column" in out.stderr


def _toml(value: object) -> str:
    """A TOML literal for the values the property test below draws."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == float("inf") else repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value) if isinstance(value, str) else str(value)


_SCALARS = (
    st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
)
_VALUES = (
    _SCALARS
    | st.lists(_SCALARS, max_size=3)
    | st.dictionaries(st.text(max_size=3), _SCALARS, max_size=2)
)


@settings(max_examples=150, deadline=None)
@given(
    key=st.sampled_from(sorted({m.key for _, _, m in options_fields()} | {"name"})), value=_VALUES
)
def test_any_value_of_any_key_is_taken_or_a_usage_error(key: str, value: object) -> None:
    """Whatever a key holds, loading the config ends in a config or in one UsageError that
    names the key — never another exception (exit 4)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "c.toml"
        base = {"name": '"a"', "file": '"r.csv"', "loss": '"mse"', "report_only": "true"}
        base[key] = _toml(value)
        if key == "head":
            del base["loss"]
        config.write_text("[[check]]\n" + "".join(f"{k} = {v}\n" for k, v in base.items()))
        try:
            load_config(str(config))
        except UsageError as exc:
            assert str(config) in str(exc) and "line" in str(exc)


def test_the_readme_lists_every_check_key() -> None:
    readme = (SAMPLES.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### `losscli check`", 1)[1].split("\n### ", 1)[0]
    keys = {m.key for _, _, m in options_fields()} | CHECK_ONLY
    missing = sorted(k for k in keys if f"`{k}`" not in section)
    assert not missing, f"README's check section does not mention {missing}"


def test_a_class_weight_file_is_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "cw.json").write_text('{"0": 1.0, "1": 3.5}')
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[check]]\nname = "b"\nfile = "{SAMPLES / "binary.csv"}"\nloss = "bce"\n'
        'class_weight = "cw.json"\nreport_only = true\n'
    )
    out = runner.invoke(app, ["check", str(config), "-f", "json"])
    direct = runner.invoke(
        app,
        ["eval", "bce", str(SAMPLES / "binary.csv"), "--class-weight", "0=1,1=3.5", "-f", "json"],
    )
    assert out.exit_code == 0, out.stderr
    value = json.loads(out.stdout)["checks"][0]["value"]
    assert value == json.loads(direct.stdout)["results"][0]["value"]


def test_a_check_without_a_header_row(tmp_path: Path) -> None:
    tsv = SAMPLES / "regression_noheader.tsv"
    flags = ["--no-header", "--y-true", "#0", "--y-pred", "#1", "-f", "json"]
    direct = runner.invoke(app, ["eval", "mae", str(tsv), *flags])
    assert direct.exit_code == 0, direct.stderr
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[check]]\nname = "t"\nfile = "{tsv}"\nloss = "mae"\nheader = false\n'
        'y_true = "#0"\ny_pred = "#1"\nfail_above = 10\n'
    )
    out = runner.invoke(app, ["check", str(config), "-f", "json"])
    assert out.exit_code == 0, out.stderr
    value = json.loads(out.stdout)["checks"][0]["value"]
    assert value == json.loads(direct.stdout)["results"][0]["value"]

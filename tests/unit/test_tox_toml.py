"""tox.toml (and [tool.tox]) edited in place; environment names tox will not read as Pythons."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from click.testing import CliRunner
from tox.tox_env.python.api import Python

from rpmkit import cli
from rpmkit.apps import tox_toml as toxtoml
from rpmkit.apps.discover import App
from rpmkit.apps.tox_ini import env_name, render


def _load(text: str) -> dict[str, Any]:
    data: dict[str, Any] = tomlkit.loads(text).unwrap()
    return data


APPS = [
    App("api", Path("/repo/services/api"), "services/api"),
    App("py27-legacy", Path("/repo/legacy"), "legacy"),
]
OWN = """\
# the project's own environments
requires = ["tox>=4.21"]
env_list = ["lint"]

[env.lint]
description = "lint"  # keep this comment
skip_install = true
commands = [["ruff", "check", "."]]

[env.api]
commands = [["something", "old"]]
"""


@pytest.mark.parametrize(
    "name",
    ["py27-legacy", "py3", "pypy-3.10", "api-py311", "cpython3", "3.11-x", "jython-tool", "py3t"],
)
def test_an_app_named_like_a_python_gets_an_environment_tox_reads_no_python_in(name: str) -> None:
    env = env_name(App(name, Path("/x"), "x"))
    assert env != name
    assert Python.extract_base_python(env) is None  # tox's own reading


@pytest.mark.parametrize("name", ["hello-world", "docs-site", "api", "web2", "pyramid-shop"])
def test_other_apps_keep_their_name(name: str) -> None:
    assert env_name(App(name, Path("/x"), "x")) == name


def test_update_replaces_and_adds_the_apps_tables_and_keeps_the_rest() -> None:
    change = toxtoml.update(OWN, APPS)
    assert change.added == ("py27_legacy",)
    assert change.updated == ("api",)
    assert change.text.startswith("# the project's own environments\n")
    assert 'description = "lint"  # keep this comment' in change.text
    data = _load(change.text)
    assert data["env_list"] == ["lint", "api", "py27_legacy"]
    assert data["env"]["lint"]["commands"] == [["ruff", "check", "."]]
    api = data["env"]["api"]
    assert api["commands"] == [[
        {"replace": "env", "name": "RPMKIT", "default": "rpmkit"},
        "run", "{tox_root}/services/api", {"replace": "posargs", "extend": True},
    ]]  # fmt: skip
    assert "DOCKER_*" in api["pass_env"]
    assert toxtoml.update(change.text, APPS).text == change.text  # idempotent


def test_pyproject_tool_tox_is_updated_in_its_table() -> None:
    text = '[project]\nname = "x"\n\n[tool.tox]\nenv_list = ["lint"]\n\n[tool.tox.env.lint]\n'
    data = _load(toxtoml.update(text, APPS, ("tool", "tox")).text)
    assert data["project"] == {"name": "x"}
    assert data["tool"]["tox"]["env_list"] == ["lint", "api", "py27_legacy"]
    assert set(data["tool"]["tox"]["env"]) == {"lint", "api", "py27_legacy"}


def app_tree(root: Path, *names: str) -> Path:
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / "rpmkit.toml").write_text(f'name = "{name}"\n')
    return root


def test_write_edits_the_config_tox_reads_and_never_hides_it(tmp_path: Path) -> None:
    app_tree(tmp_path, "api")
    (tmp_path / "tox.toml").write_text(OWN)
    result = CliRunner().invoke(cli.cli, ["tox", str(tmp_path), "--write"])
    assert result.exit_code == 0, result.output
    assert f"updated {tmp_path / 'tox.toml'}" in result.output
    assert not (tmp_path / "tox.ini").exists()
    assert set(_load((tmp_path / "tox.toml").read_text())["env"]) == {"lint", "api"}

    fresh = app_tree(tmp_path / "fresh", "api")
    result = CliRunner().invoke(cli.cli, ["tox", str(fresh), "--write", "--toml"])
    assert result.exit_code == 0, result.output
    assert _load((fresh / "tox.toml").read_text())["env_list"] == ["api"]

    legacy = app_tree(tmp_path / "legacy", "api")
    (legacy / "pyproject.toml").write_text('[tool.tox]\nlegacy_tox_ini = "[tox]"\n')
    result = CliRunner().invoke(cli.cli, ["tox", str(legacy), "--write"])
    assert result.exit_code != 0
    assert "legacy_tox_ini" in str(result.exception)
    assert not (legacy / "tox.ini").exists()


def run_tox(root: Path, env: str, *args: str) -> str:
    """tox -e ENV with RPMKIT pointing at a script that prints what it got."""
    spy = root / "bin" / "rpmkit"  # the name the environments allow
    spy.parent.mkdir()
    spy.write_text('#!/bin/sh\necho "args: $*"\nenv | grep ^DOCKER_ | sort\n')
    spy.chmod(0o755)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    environ.update(
        RPMKIT=str(spy),
        DOCKER_HOST="tcp://engine.example.invalid:2376",
        DOCKER_TLS_VERIFY="1",
        DOCKER_CERT_PATH="/etc/docker/certs",
        DOCKER_CONTEXT="remote",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "tox", "-e", env, "--workdir", str(root / ".tox"), "--", *args],
        cwd=root, capture_output=True, text=True, timeout=300, env=environ,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("as_toml", [False, True], ids=["tox.ini", "tox.toml"])
def test_tox_runs_the_environment_with_the_engine_settings(tmp_path: Path, as_toml: bool) -> None:
    app_tree(tmp_path, "py27-legacy")
    apps = [App("py27-legacy", tmp_path / "py27-legacy", "py27-legacy")]
    name = "tox.toml" if as_toml else "tox.ini"
    (tmp_path / name).write_text(toxtoml.render(apps) if as_toml else render(apps))
    out = run_tox(tmp_path, "py27_legacy", "--profile", "offline")
    assert f"args: run {tmp_path}/py27-legacy --profile offline" in out
    for line in (
        "DOCKER_CERT_PATH=/etc/docker/certs",
        "DOCKER_CONTEXT=remote",
        "DOCKER_HOST=tcp://engine.example.invalid:2376",
        "DOCKER_TLS_VERIFY=1",
    ):
        assert line in out

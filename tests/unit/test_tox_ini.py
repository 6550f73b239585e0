"""tox.ini with one environment per app: made, updated, and the example kept in step."""

from __future__ import annotations

import configparser
from pathlib import Path

from click.testing import CliRunner

from rpmkit import cli
from rpmkit.apps.discover import App
from rpmkit.apps.tox_ini import BASE, render, update

MONOREPO = Path(__file__).resolve().parents[2] / "examples" / "monorepo"
APPS = [
    App("api", Path("/repo/services/api"), "services/api"),
    App("docs", Path("/repo/docs"), "docs"),
]


def parse(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_render_has_one_environment_per_app_that_runs_rpmkit_run() -> None:
    ini = parse(render(APPS))
    assert ini["tox"]["env_list"] == "api, docs"
    api = ini["testenv:api"]
    assert api["base"] == BASE
    assert api["commands"] == "{env:RPMKIT:rpmkit} run {toxinidir}/services/api {posargs}"
    assert ini["testenv:docs"]["commands"].split()[2] == "{toxinidir}/docs"


def test_environments_install_nothing_and_inherit_nothing_from_testenv() -> None:
    ini = parse(render(APPS))
    base = ini[BASE]
    assert base["skip_install"] == "true"
    assert "deps" not in base
    assert "*/rpmkit" in base["allowlist_externals"]
    for name in ("CI", "DOCKER_*", "XDG_CACHE_HOME", "RPMKIT*"):
        assert name in base["pass_env"]
    assert not ini.has_section("testenv")


def test_an_app_at_the_root_runs_from_toxinidir() -> None:
    ini = parse(render([App("solo", Path("/repo"), ".")]))
    assert ini["testenv:solo"]["commands"].split()[2] == "{toxinidir}"


EXISTING = """\
# the project's own environments
[tox]
envlist = py{310,311}, lint

[testenv]
deps = pytest
commands = pytest

[testenv:api]
commands = something old
# kept: a comment before the next section

[testenv:lint]
commands = ruff check .
"""


def test_update_replaces_and_adds_app_sections_and_keeps_the_rest() -> None:
    change = update(EXISTING, APPS)
    assert change.added == ("docs",)
    assert change.updated == ("api",)
    text = change.text
    assert text.startswith("# the project's own environments\n[tox]\n")
    assert "envlist = py{310,311}, lint, api, docs\n" in text
    assert "# kept: a comment before the next section\n\n[testenv:lint]" in text
    assert "something old" not in text
    ini = parse(text)
    assert ini["testenv"]["deps"] == "pytest"
    assert ini["testenv:lint"]["commands"] == "ruff check ."
    assert ini["testenv:api"]["base"] == BASE
    assert ini["testenv:docs"]["base"] == BASE
    assert ini.has_section(BASE)


def test_update_is_idempotent_and_keeps_a_rendered_file_as_it_is() -> None:
    once = update(EXISTING, APPS).text
    assert update(once, APPS).text == once
    assert update(render(APPS), APPS).text == render(APPS)


def test_update_adds_a_tox_section_or_an_env_list_when_missing() -> None:
    text = update("[testenv]\ncommands = pytest\n", APPS).text
    assert parse(text)["tox"]["env_list"] == "api, docs"
    text = update("[tox]\nmin_version = 4\n", APPS).text
    assert parse(text)["tox"]["env_list"] == "api, docs"
    assert parse(text)["tox"]["min_version"] == "4"


def test_update_extends_a_multi_line_env_list() -> None:
    text = update("[tox]\nenv_list =\n    lint\n    api\n", APPS).text
    assert parse(text)["tox"]["env_list"].split() == ["lint", "api,", "docs"]


def test_the_example_monorepo_tox_ini_is_what_rpmkit_tox_prints() -> None:
    result = CliRunner().invoke(cli.cli, ["tox", str(MONOREPO)])
    assert result.exit_code == 0, result.output
    assert result.output == (MONOREPO / "tox.ini").read_text()


def test_rpmkit_tox_write_creates_then_updates(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "rpmkit.toml").write_text(f'name = "{name}"\n')
    runner = CliRunner()
    result = runner.invoke(cli.cli, ["tox", str(tmp_path), "--write"])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'tox.ini'}: a, b" in result.output
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "rpmkit.toml").write_text('name = "c"\n')
    result = runner.invoke(cli.cli, ["tox", str(tmp_path), "--write"])
    assert result.exit_code == 0, result.output
    assert "added c, replaced a, b" in result.output
    assert parse((tmp_path / "tox.ini").read_text())["tox"]["env_list"] == "a, b, c"


def test_rpmkit_tox_without_apps_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.cli, ["tox", str(tmp_path)])
    assert result.exit_code != 0
    assert "no app below" in str(result.exception)

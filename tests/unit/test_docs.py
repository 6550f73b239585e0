"""The manual: the generated configuration reference, the examples it shows, and the build.

The build tests run mkdocs as `make docs` does (strict: every warning is an
error) and check that a broken link or a page missing from the nav does
fail it, so "the docs build" is a check that can fail.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Annotated, Literal

import pytest
from mkdocs.exceptions import PluginError
from pydantic import AfterValidator, Field

from rpmkit import config, fields, toml
from rpmkit.build import package_config
from rpmkit.check import config as check_config
from rpmkit.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _load(name: str) -> ModuleType:
    """A module of scripts/, imported as the mkdocs hook imports it (by its bare name)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ref = _load("config_reference")
cli_ref = _load("cli_reference")
hooks = _load("mkdocs_hooks")


class Documented(fields.Model):
    """A section for the tests."""

    port: fields.Port = 80
    """Where it listens."""


class Undocumented(fields.Model):
    """A section whose field has no docstring."""

    port: fields.Port = 80


def _toml_blocks(text: str) -> list[str]:
    return re.findall(r"^```toml\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_every_config_key_has_a_row_in_its_section() -> None:
    page = ref.render()
    for section in ref.sections(config.AppConfig):
        start = page.index(f"{{#{section.anchor}}}")
        end = page.find("\n## ", start)
        table = page[start : end if end > 0 else None]
        for name in section.model.model_fields:
            assert f"\n| `{name}` | " in table, f"{section.header}: no row for {name}"


def test_sections_follow_the_toml_layout() -> None:
    headers = [s.header for s in ref.sections(config.AppConfig)]
    assert headers[0] == "Top level"
    assert "[[services]]" in headers
    assert "[health_check.load_balancer]" in headers
    assert "[deploy.environments.<name>]" in headers


def test_the_meaning_comes_from_the_field_docstring() -> None:
    assert ref._docstring(Documented, "port") == "Where it listens."


def test_a_field_without_a_docstring_stops_the_build() -> None:
    with pytest.raises(ref.ReferenceError, match=r"Undocumented\.port has no docstring"):
        ref._docstring(Undocumented, "port")


def test_a_type_without_a_name_stops_the_build() -> None:
    anonymous = Annotated[str, AfterValidator(lambda value: value)]
    with pytest.raises(ref.ReferenceError, match="no name for the type"):
        ref.describe(anonymous)


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (fields.Port, "port 1-65535"),
        (fields.Port | None, "port 1-65535"),
        (list[fields.Line], "list of lines"),
        (Literal["systemd", "sysv"], '`"systemd"` or `"sysv"`'),
        (dict[fields.EnvName, fields.UnitLine], "table of variable name = unit line"),
        (Annotated[int, Field(ge=0)], "integer, at least 0"),
        (bool, "boolean"),
    ],
)
def test_type_names(hint: object, expected: str) -> None:
    assert ref.describe(hint) == expected


def test_defaults_are_written_as_toml() -> None:
    info = check_config.HealthCheck.model_fields
    assert ref._default(info["path"]) == '`"/health_check"`'
    assert ref._default(package_config.Service.model_fields["enabled"]) == "`true`"
    assert ref._default(package_config.Service.model_fields["command"]) == "required"
    assert ref._default(config.AppConfig.model_fields["requires"]) == "`[]`"


def test_the_whole_file_in_the_configuration_page_is_valid(tmp_path: Path) -> None:
    whole = tmp_path / "rpmkit.toml"
    whole.write_text(_toml_blocks((DOCS / "configuration.md").read_text())[0])
    app = config.AppConfig.model_validate(toml.load(whole))
    assert app.deploy.environments["prod"].min == 3


def test_the_bad_file_in_the_configuration_page_is_refused_as_shown(tmp_path: Path) -> None:
    page = (DOCS / "configuration.md").read_text()
    bad = _toml_blocks(page)[1]
    (tmp_path / "rpmkit.toml").write_text(bad)
    with pytest.raises(config.ConfigError) as caught:
        config.load(tmp_path)
    for line in caught.value.message.splitlines():
        shown = line.replace(str(tmp_path), "/tmp/bad")
        assert f"error: {shown}" in page


@pytest.mark.parametrize("page", [ROOT / "README.md", DOCS / "getting-started.md"])
def test_the_example_config_shown_is_the_example_app(page: Path) -> None:
    lines = (ROOT / "examples" / "hello-world" / "rpmkit.toml").read_text().splitlines(True)
    while lines[0].startswith("#"):  # the file's own header comment is not shown
        lines.pop(0)
    assert "".join(lines) in _toml_blocks(page.read_text())


def test_every_command_has_a_section() -> None:
    page = cli_ref.render()
    for name in COMMANDS:
        assert f"\n## `rpmkit {name}`\n" in page
    for name in ("build", "list", "prune"):
        assert f"\n### `rpmkit images {name}`\n" in page


@pytest.mark.parametrize("command", [["check"], ["images", "build"], ["rehearse"]])
def test_the_cli_reference_is_the_help_a_terminal_shows(command: list[str]) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "rpmkit", *command, "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "80"},
    ).stdout
    page = cli_ref.render()
    heading = f"`rpmkit {' '.join(command)}`\n\n```text\n"
    start = page.index(heading) + len(heading)
    assert page[start : page.index("\n```", start)] == shown.rstrip()


def test_the_cli_page_without_its_marker_stops_the_build() -> None:
    page = SimpleNamespace(file=SimpleNamespace(src_uri=hooks.CLI_PAGE))
    with pytest.raises(PluginError, match="must hold the line"):
        hooks.on_page_markdown("# CLI reference\n", page, None, None)


def _build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )


def test_the_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    built = _build(ROOT, tmp_path / "site")
    assert built.returncode == 0, built.stderr
    reference = (tmp_path / "site" / "reference" / "configuration" / "index.html").read_text()
    assert "health_check.load_balancer" in reference
    cli = (tmp_path / "site" / "reference" / "cli" / "index.html").read_text()
    assert "Usage: rpmkit rehearse [OPTIONS] APP" in cli
    assert "environment-variables" in cli


def test_a_broken_link_or_a_page_out_of_the_nav_fails_the_build(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for part in ("docs", "scripts", "examples/ci"):
        shutil.copytree(ROOT / part, copy / part)
    shutil.copy(ROOT / "mkdocs.yml", copy)
    (copy / "docs" / "orphan.md").write_text("# Not in the nav\n")
    with (copy / "docs" / "limits.md").open("a") as page:
        page.write("\n[gone](nowhere.md) and [no anchor](profiles.md#no-such-heading)\n")
    built = _build(copy, tmp_path / "site")
    assert built.returncode != 0
    assert "orphan.md" in built.stderr
    assert "nowhere.md" in built.stderr
    assert "#no-such-heading" in built.stderr

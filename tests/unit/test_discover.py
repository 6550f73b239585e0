"""Finding the apps of a repository."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rpmkit.apps.discover import App, app_name, find_apps, is_app
from rpmkit.errors import ConfigError
from rpmkit.progress import Reporter

MONOREPO = Path(__file__).resolve().parents[2] / "examples" / "monorepo"


def make_app(folder: Path, name: str | None = None, pyproject: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = f'name = "{name or folder.name}"\nversion = "1.0"\n'
    if pyproject:
        (folder / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.rpmkit]\n{body}")
    else:
        (folder / "rpmkit.toml").write_text(body)
    return folder


def test_finds_apps_by_rpmkit_toml_and_by_tool_rpmkit(tmp_path: Path) -> None:
    make_app(tmp_path / "services" / "api")
    make_app(tmp_path / "web", name="storefront", pyproject=True)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "pyproject.toml").write_text("[project]\nname = 'lib'\n")
    apps = find_apps(tmp_path)
    assert apps == [
        App("api", tmp_path / "services" / "api", "services/api"),
        App("storefront", tmp_path / "web", "web"),
    ]


def test_skips_hidden_folders_venvs_and_does_not_look_inside_apps(tmp_path: Path) -> None:
    make_app(tmp_path / "app")
    make_app(tmp_path / "app" / "nested")  # an app's own folders are its sources
    make_app(tmp_path / ".git" / "hooks")
    venv = tmp_path / "env"
    make_app(venv / "lib" / "x")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert [a.relative for a in find_apps(tmp_path)] == ["app"]


def test_folders_are_skipped_by_gitignore_not_by_their_names(tmp_path: Path) -> None:
    # Named like build output, but not ignored: real apps.
    make_app(tmp_path / "services" / "build", name="build-service")
    make_app(tmp_path / "dist")
    make_app(tmp_path / "tools" / "venv", name="venv-tool")
    # Ignored, at any depth, as git reads .gitignore.
    (tmp_path / ".gitignore").write_text("node_modules/\n/out/\n")
    make_app(tmp_path / "web" / "node_modules" / "pkg")
    make_app(tmp_path / "out" / "copy", name="copy")
    (tmp_path / "services" / ".gitignore").write_text("generated*/\n!generated-keep/\n")
    make_app(tmp_path / "services" / "generated-1", name="gen")
    make_app(tmp_path / "services" / "generated-keep", name="kept")
    assert [a.relative for a in find_apps(tmp_path)] == [
        "dist",
        "services/build",
        "services/generated-keep",
        "tools/venv",
    ]


def test_a_gitignore_above_the_searched_folder_counts_inside_a_repository(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("scratch/\n")
    make_app(tmp_path / "apps" / "real")
    make_app(tmp_path / "apps" / "scratch" / "tmp", name="tmp")
    assert [a.relative for a in find_apps(tmp_path / "apps")] == ["real"]
    # Outside a repository, a .gitignore above the searched folder means nothing.
    (tmp_path / ".git").rmdir()
    assert [a.relative for a in find_apps(tmp_path / "apps")] == ["real", "scratch/tmp"]


def test_verbose_discovery_says_what_it_skipped_and_why(tmp_path: Path) -> None:
    make_app(tmp_path / "app")
    (tmp_path / ".gitignore").write_text("# build output\ndist/\n")
    (tmp_path / "dist" / "x").mkdir(parents=True)
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("")
    (tmp_path / ".tox").mkdir()
    stream = io.StringIO()
    find_apps(tmp_path, Reporter(1, stream))
    lines = [line.split("] ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == [
        "  discovery: skipped .tox/: hidden",
        "  discovery: skipped dist/: ignored by .gitignore (dist/)",
        "  discovery: skipped env/: a virtualenv",
    ]
    quiet = io.StringIO()
    find_apps(tmp_path, Reporter(0, quiet))
    assert quiet.getvalue() == ""


def test_the_root_itself_can_be_the_app(tmp_path: Path) -> None:
    make_app(tmp_path, name="solo")
    assert find_apps(tmp_path) == [App("solo", tmp_path, ".")]


def test_a_linked_app_is_found_once_under_its_link_name(tmp_path: Path) -> None:
    real = make_app(tmp_path / "shared" / "hello")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "hello").symlink_to(real)
    (repo / "again").symlink_to(real)
    (repo / "loop").symlink_to(repo)
    apps = find_apps(repo)
    assert [(a.name, a.relative) for a in apps] == [("hello", "again")]


def test_name_falls_back_to_the_folder_when_the_config_has_none_or_is_broken(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "rpmkit.toml").write_text("name = [unclosed\n")
    assert is_app(broken)
    assert app_name(broken) == "broken"
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "rpmkit.toml").write_text('name = "has space"\n')
    assert app_name(odd) == "odd"


def test_a_pyproject_that_is_not_toml_is_not_an_app(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.rpmkit\n")
    assert not is_app(tmp_path)


def test_no_app_is_an_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no app below") as info:
        find_apps(tmp_path)
    assert "rpmkit init" in (info.value.hint or "")


def test_two_apps_with_one_name_are_an_error(tmp_path: Path) -> None:
    make_app(tmp_path / "a", name="same")
    make_app(tmp_path / "b", name="same")
    with pytest.raises(ConfigError, match="two apps are named 'same': a and b"):
        find_apps(tmp_path)


def test_a_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such directory"):
        find_apps(tmp_path / "nowhere")


def test_the_example_monorepo_has_two_apps() -> None:
    apps = find_apps(MONOREPO)
    assert [(a.name, a.relative) for a in apps] == [
        ("docs-site", "docs-site"),
        ("hello-world", "hello-world"),
    ]
    # hello-world is examples/hello-world itself, linked: one app, not a copy to keep in step.
    assert (MONOREPO / "hello-world").resolve() == MONOREPO.parent / "hello-world"

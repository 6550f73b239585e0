"""Many apps in one repository: find every app below a folder.

An app is a folder with `rpmkit.toml`, or a `pyproject.toml` with a
`[tool.rpmkit]` table. Apps do not nest: an app's own folders are not
searched, nor are hidden folders, virtualenvs and build output.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from rpmkit import toml
from rpmkit.config import CONFIG_FILE, PYPROJECT, find_config
from rpmkit.errors import ConfigError, RpmkitError

SKIPPED = frozenset({"node_modules", "dist", "build", "__pycache__", "site-packages", "venv"})
MAX_DEPTH = 6
# What tox and the summary table call an app: its config's name, else its folder's.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


@dataclass(frozen=True)
class App:
    """One app found below the search root."""

    name: str  # the config's `name` (the folder's name when the config has none)
    path: Path  # the app folder, absolute
    relative: str  # the app folder relative to the search root, POSIX style ("." for the root)


def is_app(folder: Path) -> bool:
    """Whether the folder holds an rpmkit config (`rpmkit.toml` or `[tool.rpmkit]`)."""
    return _config_file(folder) is not None


def find_apps(root: Path, max_depth: int = MAX_DEPTH) -> list[App]:
    """Every app at or below `root`, sorted by path; ConfigError when there is none."""
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(f"{root}: no such directory")
    found: list[App] = []
    seen: set[Path] = set()
    _walk(root, root, 0, max_depth, found, seen)
    if not found:
        raise ConfigError(
            f"no app below {root}: no {CONFIG_FILE} and no pyproject.toml with [tool.rpmkit]",
            hint="run `rpmkit init DIR` in an app's folder to make its rpmkit.toml",
        )
    names: dict[str, str] = {}
    for app in found:
        if app.name in names:
            raise ConfigError(
                f"two apps are named {app.name!r}: {names[app.name]} and {app.relative}",
                hint="app names must be unique in a repository (they name RPMs and tox envs)",
            )
        names[app.name] = app.relative
    return sorted(found, key=lambda a: a.relative)


def _walk(
    root: Path, folder: Path, depth: int, max_depth: int, found: list[App], seen: set[Path]
) -> None:
    real = folder.resolve()
    if real in seen:  # a symlink loop, or the same app linked twice
        return
    seen.add(real)
    if is_app(folder):
        relative = folder.relative_to(root).as_posix()
        found.append(App(app_name(folder), folder, relative))
        return
    if depth >= max_depth:
        return
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name in SKIPPED or not entry.is_dir():
            continue
        child = Path(entry.path)
        if (child / "pyvenv.cfg").is_file():
            continue
        _walk(root, child, depth + 1, max_depth, found, seen)


def app_name(folder: Path) -> str:
    """The app's name from its config, read without validating the rest of it."""
    source = _config_file(folder)
    name: object = None
    if source is not None:
        try:
            data = toml.load(source)
        except RpmkitError:
            data = {}
        if source.name == PYPROJECT:
            tool = data.get("tool", {})
            data = tool.get("rpmkit", {}) if isinstance(tool, dict) else {}
        name = data.get("name") if isinstance(data, dict) else None
    if isinstance(name, str) and _SAFE_NAME.match(name):
        return name
    return folder.resolve().name


def _config_file(folder: Path) -> Path | None:
    try:
        return find_config(folder)
    except RpmkitError:  # a pyproject.toml that is not valid TOML: not an app
        return None

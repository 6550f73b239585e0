"""Many apps in one repository: find every app below a folder.

An app is a folder with `rpmkit.toml`, or a `pyproject.toml` with a
`[tool.rpmkit]` table. Apps do not nest: an app's own folders are not
searched. Nor are hidden folders (`.git`, `.tox`), virtualenvs (a folder
holding `pyvenv.cfg`), or folders the repository's `.gitignore` files ignore
(build output, `node_modules`), read as git reads them: each file relative
to its own folder, the deepest deciding, those above the searched folder up
to the repository's top included. With -v each skipped folder is named.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pathspec import GitIgnoreSpec

from rpmkit import toml
from rpmkit.config import CONFIG_FILE, PYPROJECT, find_config
from rpmkit.errors import ConfigError, RpmkitError
from rpmkit.progress import Reporter

MAX_DEPTH = 6
Rules = list[tuple[Path, Path, GitIgnoreSpec]]  # (its folder, the .gitignore, its patterns)
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


def find_apps(
    root: Path, reporter: Reporter | None = None, max_depth: int = MAX_DEPTH
) -> list[App]:
    """Every app at or below `root`, sorted by path; ConfigError when there is none.

    `reporter` hears (at -v) each folder skipped and why.
    """
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(f"{root}: no such directory")
    walk = _Walk(root, max_depth, reporter or Reporter(-1))
    walk.folder(root, 0, _rules_above(root))
    found = walk.found
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


@dataclass
class _Walk:
    root: Path
    max_depth: int
    reporter: Reporter
    found: list[App] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)

    def folder(self, folder: Path, depth: int, rules: Rules) -> None:
        real = folder.resolve()
        if real in self.seen:  # a symlink loop, or the same app linked twice
            return
        self.seen.add(real)
        if is_app(folder):
            relative = folder.relative_to(self.root).as_posix()
            self.found.append(App(app_name(folder), folder, relative))
            return
        if (folder / ".gitignore").is_file():
            rules = [*rules, (folder, folder / ".gitignore", _spec(folder / ".gitignore"))]
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            self._skipped(folder, f"cannot be read: {exc.strerror}")
            return
        for entry in entries:
            if not entry.is_dir():
                continue
            child = Path(entry.path)
            why = self._why_skipped(child, rules)
            if why:
                self._skipped(child, why)
            elif depth + 1 > self.max_depth:
                self._skipped(child, f"deeper than {self.max_depth} levels")
            else:
                self.folder(child, depth + 1, rules)

    def _why_skipped(self, child: Path, rules: Rules) -> str:
        if child.name.startswith("."):
            return "hidden"
        if (child / "pyvenv.cfg").is_file():
            return "a virtualenv"
        for base, source, spec in reversed(rules):
            result = spec.check_file(child.relative_to(base).as_posix() + "/")
            if result.include is not None:
                if not result.include or result.index is None:
                    return ""
                pattern = getattr(spec.patterns[result.index], "pattern", "")
                return f"ignored by {self._show(source)} ({pattern})"
        return ""

    def _skipped(self, folder: Path, why: str) -> None:
        self.reporter.detail(f"discovery: skipped {self._show(folder)}/: {why}")

    def _show(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def _rules_above(root: Path) -> Rules:
    """The .gitignore files above `root` up to the repository's top; none outside one."""
    rules: Rules = []
    if (root / ".git").exists():
        return rules
    for directory in root.parents:
        if (directory / ".gitignore").is_file():
            rules.append((directory, directory / ".gitignore", _spec(directory / ".gitignore")))
        if (directory / ".git").exists():
            return rules[::-1]
    return []


def _spec(ignore: Path) -> GitIgnoreSpec:
    try:
        text = ignore.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return GitIgnoreSpec.from_lines([])
    return GitIgnoreSpec.from_lines(text.splitlines())


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

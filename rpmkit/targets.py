"""What a command was pointed at: an app folder or RPM files, resolved in one place.

`check`, `shell`, `gate`, `bake` and `publish` all take "APP | RPM...": one
app directory (its RPMs from `rpmkit build`, found in its dist/ for the
configured name, version and release) or RPM files. Every RPM file is
validated as an RPM (lead and headers) before anything else runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rpmkit import rpm
from rpmkit.errors import ConfigError

if TYPE_CHECKING:
    from rpmkit.config import LoadedConfig


@dataclass(frozen=True)
class Targets:
    """An app (with its config) and its RPMs, or bare RPM files."""

    rpms: tuple[Path, ...]
    app: LoadedConfig | None
    given: str  # what the user typed: used in hints that say what to run

    @property
    def name(self) -> str:
        """The app's name, else the first RPM's file name part before -VERSION-RELEASE."""
        if self.app is not None:
            return self.app.app.name
        return self.rpms[0].name.rsplit("-", 2)[0] or "rpm"


def split(paths: tuple[Path, ...]) -> tuple[Path | None, tuple[Path, ...]]:
    """(the app directory, the RPM files); ConfigError when both or several apps are given."""
    apps = [p for p in paths if p.is_dir()]
    files = tuple(p for p in paths if not p.is_dir())
    if apps and (files or len(apps) > 1):
        raise ConfigError("give one app directory, or RPM files, not both")
    return (apps[0] if apps else None), files


def resolve(paths: tuple[Path, ...], dist: Path | None = None, must_exist: bool = True) -> Targets:
    """Resolve "APP | RPM...": the app's built RPMs (`must_exist`), or validated RPM files."""
    app_dir, files = split(paths)
    if app_dir is not None:
        from rpmkit import config
        from rpmkit.check.plan import find_rpms

        loaded = config.load(app_dir)
        found = tuple(find_rpms(loaded, dist)) if must_exist else ()
        return Targets(found, loaded, str(app_dir))
    for path in files:
        validate(path)
    return Targets(files, None, " ".join(map(str, files)))


def validate(path: Path) -> None:
    """Refuse what is not a binary RPM file (RpmFormatError or ConfigError, exit 2).

    Headers only: the bytes are hashed once, when they are staged.
    """
    if not path.exists():
        raise ConfigError(f"{path}: no such file or app directory")
    if rpm.check(path).source:
        raise ConfigError(f"{path}: a source RPM; give the binary RPM (NAME-V-R.ARCH.rpm)")


@contextlib.contextmanager
def staged(paths: tuple[Path, ...]) -> Iterator[tuple[rpm.RpmFile, ...]]:
    """The RPMs hashed once and copied read-only into a private folder, removed afterwards."""
    folder = rpm.staging_dir()
    try:
        made = tuple(rpm.stage(list(paths), folder))
        for r in made:
            if r.source:
                raise ConfigError(f"{r.path}: a source RPM; give the binary RPM")
        yield made
    finally:
        rpm.unstage(folder)


@dataclass(frozen=True)
class Target:
    """One RPM to hand off, with its app's config when it was named by its APP directory."""

    rpm: Path
    app: LoadedConfig | None
    given: str
    together: frozenset[str] = frozenset()  # sha256 of every RPM given in the same command


def each(paths: tuple[Path, ...], dist: Path | None = None) -> list[Target]:
    """`resolve`, one Target per RPM."""
    found = resolve(paths, dist)
    together = frozenset(rpm.sha256_file(path) for path in found.rpms)
    return [Target(path, found.app, found.given, together) for path in found.rpms]

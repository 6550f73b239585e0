"""The spec's sources, made on the host: the app's tarball, the wheels, files from the app folder.

Identical inputs give byte-identical files, so the SRPM and the RPM built
from them are identical too.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rpmkit.build import arch, reqfile, tarball, wheelhouse
from rpmkit.config import LoadedConfig
from rpmkit.errors import ConfigError
from rpmkit.progress import Reporter

# 1980-01-01T00:00:00Z: the oldest time a zip archive (and so a wheel) can hold.
FALLBACK_EPOCH = 315532800
TARBALL = "tarball"  # the kinds of source rpmkit makes; "app" is a file from the app folder
WHEELS = "wheels"
APP = "app"


@dataclass
class Stager:
    """Makes each source a spec needs, in `scratch`; the tarball and the wheels once each."""

    loaded: LoadedConfig
    python: str  # the target's, for the wheels
    scratch: Path
    epoch: int
    skip: Sequence[Path]  # the output folder: never in the tarball
    reporter: Reporter
    index_url: str | None = None
    wheels_from: Path | None = None
    _listing: tarball.Listing | None = None
    _wheel_dir: Path | None = None

    def stage(self, needed: Mapping[str, str]) -> dict[str, Path]:
        """Each needed file (name -> TARBALL, WHEELS or APP) as a path on this machine."""
        files = {}
        for name, kind in needed.items():
            if kind == TARBALL:
                files[name] = self.tarball(name)
            elif kind == WHEELS:
                files[name] = wheelhouse.pack(self.wheel_dir(name), self.scratch / name, self.epoch)
            else:
                files[name] = self.loaded.app_dir / name
        return files

    def arch(self) -> arch.Decision:
        """The package's architecture from its payload: the wheels and the app's shipped files."""
        wheels = []
        if self.requires_wheels():
            wheels = sorted(self.wheel_dir("the requirements' wheels").glob("*.whl"))
        shipped = [self.loaded.app_dir / e for e in self.listing().entries]
        return arch.decide(wheels, shipped, root=self.loaded.app_dir)

    def listing(self) -> tarball.Listing:
        """The app folder's shipped files; warns once about likely secrets left out."""
        if self._listing is None:
            app = self.loaded.app
            self._listing = tarball.listing(
                self.loaded.app_dir, app.exclude, app.include, self.skip
            )
            if self._listing.withheld:
                names = ", ".join(map(str, self._listing.withheld))
                self.reporter.warn(
                    f"left out of the source tarball as they may hold secrets: {names} "
                    "(list them in `include` to ship them)"
                )
            for pattern in self._listing.unused_include:
                self.reporter.warn(
                    f"include: {pattern!r} puts back nothing: no likely-secret file it names "
                    "was left out (include undoes only that default, not exclude or .gitignore)"
                )
        return self._listing

    def requires_wheels(self) -> bool:
        """Whether the requirements name anything to install (not just options, or nothing)."""
        app = self.loaded.app
        if app.python.extra_requirements:
            return True
        if app.requirements is None:
            return False
        path = self.loaded.app_dir / app.requirements
        reqs = reqfile.read(path, reqfile.repository_root(self.loaded.app_dir))
        return bool(reqs.local) or any(not line.lstrip().startswith("-") for line in reqs.lines)

    def tarball(self, name: str) -> Path:
        """The app folder as `name`, its top folder the name without `.tar.gz`."""
        top = name.removesuffix(".tar.gz").removesuffix(".tgz")
        (self.scratch / "tarballs").mkdir(exist_ok=True)
        target = self.scratch / "tarballs" / name
        return tarball.write(self.loaded.app_dir, self.listing().entries, target, top, self.epoch)

    def wheel_dir(self, name: str) -> Path:
        """The folder of the requirements' wheels, fetched once."""
        if self._wheel_dir is None:
            app = self.loaded.app
            extra = tuple(app.python.extra_requirements)
            if app.requirements is None and not extra:
                raise ConfigError(
                    f"{self.loaded.source}: the spec installs wheels ({name}) but sets no "
                    "requirements",
                    hint='set requirements = "requirements.txt"',
                )
            requirements = self.loaded.app_dir / app.requirements if app.requirements else None
            self._wheel_dir = wheelhouse.fetch(
                requirements, wheelhouse.target(self.python), self.reporter, self.scratch,
                self.index_url, self.wheels_from, extra,
            )  # fmt: skip
        return self._wheel_dir


def made_names(names: Sequence[tuple[str, str]], tarball_alias: str | None) -> dict[str, str]:
    """The file names rpmkit makes for (name, version) pairs, and the config's tarball name."""
    made = {}
    for name, version in names:
        made[tarball.name(name, version)] = TARBALL
        made[wheelhouse.tar_name(name, version)] = WHEELS
    if tarball_alias:
        made[tarball_alias] = TARBALL
    return made


def source_date_epoch(app_dir: Path, environ: Mapping[str, str] | None = None) -> int:
    """The time every build of the app's current sources is stamped with.

    In order: SOURCE_DATE_EPOCH from the environment (a CI or release script
    that already chose one); else the commit time of the latest git commit
    that touched the app directory, so editing another app in the same
    repository changes nothing here; else FALLBACK_EPOCH, a fixed date, so a
    directory outside git still builds byte-identical RPMs. A timestamp
    derived from the files' contents would change with every edit while
    carrying no meaning as a date, and file mtimes differ between checkouts.
    """
    env = os.environ if environ is None else environ
    explicit = env.get("SOURCE_DATE_EPOCH", "").strip()
    if explicit.isdigit():
        return int(explicit)
    try:
        proc = subprocess.run(
            ["git", "-C", str(app_dir), "log", "-1", "--format=%ct", "--", "."],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return FALLBACK_EPOCH
    stamp = proc.stdout.strip()
    return int(stamp) if proc.returncode == 0 and stamp.isdigit() else FALLBACK_EPOCH


def input_archive(topdir: str, members: Mapping[str, bytes | Path], dest: Path, epoch: int) -> Path:
    """Write the tar that put_archive unpacks into `topdir`'s parent, every entry root-owned.

    `members` maps paths inside `topdir` (`SPECS/x.spec`, `SOURCES/x.tar.gz`)
    to their content, or to the host file holding it.
    """
    top = PurePosixPath(PurePosixPath(topdir).name)
    directories = {top} | {(top / m).parent for m in members}
    directories |= {p for d in directories for p in d.parents if p != PurePosixPath(".")}
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        for directory in sorted(directories):
            tar.addfile(tarball.normalise(tarfile.TarInfo(str(directory)), epoch, directory=True))
        for name, content in sorted(members.items()):
            info = tarfile.TarInfo(str(top / name))
            if isinstance(content, Path):
                info.size = content.stat().st_size
                with content.open("rb") as fh:
                    tar.addfile(tarball.normalise(info, epoch), fh)
            else:
                info.size = len(content)
                tar.addfile(tarball.normalise(info, epoch), io.BytesIO(content))
    return dest

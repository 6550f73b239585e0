"""The spec's sources, made on the host: the app's tarball (Source0), the wheels (Source1).

Identical inputs give byte-identical files, so the SRPM and the RPM built
from them are identical too.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from pathspec import GitIgnoreSpec

from rpmkit import wheelhouse
from rpmkit.config import LoadedConfig
from rpmkit.errors import BuildError, ConfigError
from rpmkit.progress import Reporter

if TYPE_CHECKING:
    from rpmkit.spec import Spec

# 1980-01-01T00:00:00Z: the oldest time a zip archive (and so a wheel) can hold.
FALLBACK_EPOCH = 315532800
# Never part of an app's sources, whatever .gitignore says. `dist/` only at the top:
# a web app's `static/dist/` may well be source.
ALWAYS_EXCLUDED = ("/dist/", ".git", "__pycache__/", "*.pyc", "*.pyo", ".venv/", ".tox/", ".nox/")


def stage(
    loaded: LoadedConfig,
    spec: Spec,
    python: str,
    scratch: Path,
    epoch: int,
    skip: Sequence[Path],
    reporter: Reporter,
    index_url: str | None = None,
    wheels_from: Path | None = None,
) -> dict[str, Path]:
    """Each source the spec names, by file name: made in `scratch`, or found in the app.

    `skip` (the output directory) never goes into the tarball; `python` is the
    target's, for the wheels.
    """
    tarball = tarball_name(spec.name, spec.version)
    wheels = wheelhouse.tar_name(spec.name, spec.version)
    staged: dict[str, Path] = {}
    for source in spec.sources:
        name = PurePosixPath(source).name  # rpm looks a Source URL up by its last part
        if name == tarball:
            staged[name] = make_tarball(
                loaded.app_dir, spec.name, spec.version, scratch, epoch, loaded.app.exclude, skip
            )
        elif name == wheels:
            if loaded.app.requirements is None:
                raise ConfigError(
                    f"{loaded.source}: the spec installs wheels ({name}) but sets no requirements",
                    hint='set requirements = "requirements.txt"',
                )
            requirements = loaded.app_dir / loaded.app.requirements
            found = wheelhouse.fetch(
                requirements, wheelhouse.target(python), reporter, scratch, index_url, wheels_from
            )
            staged[name] = wheelhouse.pack(found, scratch / name, epoch)
        elif (loaded.app_dir / name).is_file():
            staged[name] = loaded.app_dir / name
        else:
            raise BuildError(
                f"the spec's source {source!r} is neither made by rpmkit nor a file in "
                f"{loaded.app_dir}",
                hint=f"rpmkit makes {tarball} (from the app directory) and {wheels} (the "
                "requirements' wheels); put any other source file in the app directory",
            )
    return staged


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


def tarball_name(name: str, version: str) -> str:
    """Source0's file name, as the spec templates expect it."""
    return f"{name}-{version}.tar.gz"


def files(
    app_dir: Path, exclude: Sequence[str] = (), extra_excluded: Sequence[Path] = ()
) -> list[PurePosixPath]:
    """The app's source files and directories, relative to it and sorted.

    Left out: ALWAYS_EXCLUDED, virtualenvs (any directory holding pyvenv.cfg),
    `extra_excluded` (the output directory), the config's `exclude` patterns,
    and what .gitignore files ignore: those inside the app and those above it
    up to the repository's top, each relative to its own directory, the
    deepest deciding, as git does. An ignored directory is not entered.
    """
    app_dir = app_dir.resolve()
    walk = _Walk(
        app_dir,
        GitIgnoreSpec.from_lines([*ALWAYS_EXCLUDED, *exclude]),
        {p.resolve() for p in extra_excluded},
    )
    return sorted(
        PurePosixPath(p.relative_to(app_dir).as_posix())
        for p in walk.entries(app_dir, _parent_rules(app_dir))
    )


Rules = list[tuple[Path, GitIgnoreSpec]]  # (the directory holding a .gitignore, its patterns)


@dataclass(frozen=True)
class _Walk:
    top: Path
    forced: GitIgnoreSpec
    skipped: set[Path]

    def entries(self, directory: Path, rules: Rules) -> Iterator[Path]:
        if (directory / ".gitignore").is_file():
            rules = [*rules, (directory, _spec(directory / ".gitignore"))]
        with os.scandir(directory) as scan:
            found = sorted(scan, key=lambda e: e.name)
        for entry in found:
            path = Path(entry.path)
            is_dir = entry.is_dir(follow_symlinks=False)
            if not (is_dir or entry.is_file(follow_symlinks=False) or entry.is_symlink()):
                continue  # sockets, fifos and devices are no source
            if self.excluded(path, is_dir, rules):
                continue
            yield path
            if is_dir:
                yield from self.entries(path, rules)

    def excluded(self, path: Path, is_dir: bool, rules: Rules) -> bool:
        if self.forced.match_file(_key(path, self.top, is_dir)) or path in self.skipped:
            return True
        if is_dir and (path / "pyvenv.cfg").is_file():
            return True
        for base, spec in reversed(rules):
            result = spec.check_file(_key(path, base, is_dir))
            if result.include is not None:
                return bool(result.include)
        return False


def _key(path: Path, base: Path, is_dir: bool) -> str:
    # gitignore patterns ending in "/" match directories only; pathspec sees that slash.
    return path.relative_to(base).as_posix() + ("/" if is_dir else "")


def _parent_rules(app_dir: Path) -> Rules:
    rules: Rules = []
    for directory in (app_dir, *app_dir.parents):
        if directory != app_dir and (directory / ".gitignore").is_file():
            rules.append((directory, _spec(directory / ".gitignore")))
        if (directory / ".git").exists():
            return rules[::-1]
    return []  # not inside a repository: .gitignore files above the app mean nothing


def _spec(ignore: Path) -> GitIgnoreSpec:
    return GitIgnoreSpec.from_lines(
        ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    )


def make_tarball(
    app_dir: Path,
    name: str,
    version: str,
    dest_dir: Path,
    mtime: int,
    exclude: Sequence[str] = (),
    extra_excluded: Sequence[Path] = (),
) -> Path:
    """Write `<name>-<version>.tar.gz` (top directory `<name>-<version>/`) into dest_dir.

    Deterministic: sorted entries, every mtime `mtime`, owner root (uid/gid 0),
    modes reduced to 0644/0755 as git keeps them, no name or time in the gzip header.
    """
    top = f"{name}-{version}"
    target = dest_dir / tarball_name(name, version)
    entries = files(app_dir, exclude, extra_excluded)
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.addfile(_normalise(tarfile.TarInfo(top), mtime, directory=True))
        for rel in entries:
            path = app_dir / rel
            info = _normalise(tar.gettarinfo(str(path), arcname=f"{top}/{rel}"), mtime)
            if info.isreg():
                with path.open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
    return target


def _normalise(info: tarfile.TarInfo, mtime: int, directory: bool = False) -> tarfile.TarInfo:
    if directory:
        info.type = tarfile.DIRTYPE
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = mtime
    if info.isdir():
        info.mode = 0o755
    elif info.issym():
        info.mode = 0o777
    else:
        info.mode = 0o755 if info.mode & 0o100 else 0o644
    return info


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
            tar.addfile(_normalise(tarfile.TarInfo(str(directory)), epoch, directory=True))
        for name, content in sorted(members.items()):
            info = tarfile.TarInfo(str(top / name))
            if isinstance(content, Path):
                info.size = content.stat().st_size
                with content.open("rb") as fh:
                    tar.addfile(_normalise(info, epoch), fh)
            else:
                info.size = len(content)
                tar.addfile(_normalise(info, epoch), io.BytesIO(content))
    return dest

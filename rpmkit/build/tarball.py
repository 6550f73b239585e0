"""What ships: the app folder's files that go into the source tarball (Source0), and the tarball.

Four layers decide, in order:
1. NEVER_SHIPPED: version control metadata, editor and OS droppings, caches,
   virtualenvs (also any folder holding `pyvenv.cfg`) and the top-level
   `dist/`. Nothing puts these back.
2. The config's `exclude` patterns.
3. `.gitignore` files: inside the app and above it up to the repository's
   top, each relative to its own folder, the deepest deciding, as git does.
4. LIKELY_SECRETS: files that usually hold credentials are left out, with one
   warning naming them, unless the config's `include` names them.

All patterns use gitignore syntax, relative to the app folder. A symlink
that resolves outside the repository (or, outside git, the app folder) is
refused: the RPM would carry a link into the build machine. The repository
is the git work tree holding the app (`rpmkit.build.reqfile.repository_root`).
"""

from __future__ import annotations

import gzip
import os
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pathspec import GitIgnoreSpec

from rpmkit.errors import ConfigError

NEVER_SHIPPED = (
    "/dist/",  # rpmkit's outputs; only at the top: a web app's static/dist/ may be source
    # version control
    ".git*", ".hg*", ".svn/", ".bzr*", "CVS/", ".cvsignore", "_darcs/",
    # editor and OS droppings
    "*~", "*.swp", "*.swo", ".#*", "\\#*#", ".DS_Store", "._*", "Thumbs.db", "desktop.ini",
    ".idea/", ".vscode/",
    # caches and environments
    "__pycache__/", "*.pyc", "*.pyo", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/",
    ".venv/", ".tox/", ".nox/",
)  # fmt: skip
LIKELY_SECRETS = (
    ".env", ".env.*", ".netrc", ".pypirc", ".npmrc", "pip.conf",
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "*.pem", "*.key", "*.p12", "*.pfx",
)  # fmt: skip


@dataclass(frozen=True)
class Listing:
    """The app folder's shipped entries, and what was left out that the user should hear of."""

    entries: tuple[PurePosixPath, ...]  # files, folders and symlinks, relative, sorted
    withheld: tuple[PurePosixPath, ...] = ()  # likely secrets left out
    unused_include: tuple[str, ...] = ()  # include patterns that put nothing back


@dataclass(frozen=True)
class Rules:
    """The layers that decide whether one path ships."""

    top: Path  # the app folder, resolved
    exclude: Sequence[str] = ()
    include: Sequence[str] = ()
    skipped: frozenset[Path] = frozenset()  # more folders never shipped (the output folder)
    never: GitIgnoreSpec = field(init=False)
    excluded: GitIgnoreSpec = field(init=False)
    secrets: GitIgnoreSpec = field(init=False)
    included: GitIgnoreSpec = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "never", GitIgnoreSpec.from_lines(NEVER_SHIPPED))
        object.__setattr__(self, "excluded", GitIgnoreSpec.from_lines(self.exclude))
        object.__setattr__(self, "secrets", GitIgnoreSpec.from_lines(LIKELY_SECRETS))
        object.__setattr__(self, "included", GitIgnoreSpec.from_lines(self.include))

    def left_out(self, path: Path, is_dir: bool, ignores: Ignores) -> str | None:
        """Why `path` does not ship ("" for a likely secret), or None when it ships."""
        key = _key(path, self.top, is_dir)
        hit = _hit(self.never, key)
        if hit is not None:
            return f"rpmkit never ships it (pattern {hit!r})"
        if path in self.skipped or (is_dir and (path / "pyvenv.cfg").is_file()):
            return "rpmkit never ships it (an output folder or a virtualenv)"
        hit = _hit(self.excluded, key)
        if hit is not None:
            return f"exclude pattern {hit!r} leaves it out"
        for base, spec in reversed(ignores):
            result = spec.check_file(_key(path, base, is_dir))
            if result.include is not None:
                if not result.include:
                    break
                pattern = spec.patterns[result.index or 0].pattern
                return f"{base / '.gitignore'} leaves it out (pattern {pattern!r})"
        if not is_dir and self.secrets.match_file(key) and not self.included.match_file(key):
            return ""
        return None


Ignores = list[tuple[Path, GitIgnoreSpec]]  # (a folder holding a .gitignore, its patterns)


def listing(
    app_dir: Path,
    exclude: Sequence[str] = (),
    include: Sequence[str] = (),
    extra_excluded: Sequence[Path] = (),
) -> Listing:
    """The app's shipped files and folders, and the likely secrets left out.

    Raises ConfigError, one line per link, for symlinks that resolve outside
    the repository root. An ignored folder is not entered.
    """
    top = app_dir.resolve()
    rules = Rules(top, exclude, include, frozenset(p.resolve() for p in extra_excluded))
    entries: list[PurePosixPath] = []
    withheld: list[PurePosixPath] = []
    for path, verdict in _walk(rules, top, _parent_ignores(top)):
        rel = PurePosixPath(path.relative_to(top).as_posix())
        if verdict == "":
            withheld.append(rel)
        elif verdict is None:
            entries.append(rel)
    outside = escaping_links(top, [top / e for e in entries])
    if outside:
        raise ConfigError("\n".join(outside))
    shipped_secrets = [e for e in entries if rules.secrets.match_file(str(e))]
    unused = tuple(
        pattern
        for pattern in include
        if not any(GitIgnoreSpec.from_lines([pattern]).match_file(str(e)) for e in shipped_secrets)
    )
    return Listing(tuple(sorted(entries)), tuple(sorted(withheld)), unused)


def _walk(rules: Rules, directory: Path, ignores: Ignores) -> Iterator[tuple[Path, str | None]]:
    if (directory / ".gitignore").is_file():
        ignores = [*ignores, (directory, _spec(directory / ".gitignore"))]
    with os.scandir(directory) as scan:
        found = sorted(scan, key=lambda e: e.name)
    for entry in found:
        path = Path(entry.path)
        is_dir = entry.is_dir(follow_symlinks=False)
        if not (is_dir or entry.is_file(follow_symlinks=False) or entry.is_symlink()):
            continue  # sockets, fifos and devices are no source
        verdict = rules.left_out(path, is_dir, ignores)
        if verdict:
            continue
        yield path, verdict
        if is_dir and verdict is None:
            yield from _walk(rules, path, ignores)


def explain(
    app_dir: Path, rel: str, exclude: Sequence[str] = (), include: Sequence[str] = ()
) -> str | None:
    """Why the file `rel` (relative to the app) is not in the tarball, or None when it is."""
    top = app_dir.resolve()
    rules = Rules(top, exclude, include)
    ignores = _parent_ignores(top)
    path = top
    parts = PurePosixPath(rel).parts
    for i, part in enumerate(parts):
        if (path / ".gitignore").is_file():
            ignores = [*ignores, (path, _spec(path / ".gitignore"))]
        path = path / part
        is_dir = i < len(parts) - 1
        verdict = rules.left_out(path, is_dir, ignores)
        if verdict == "":
            return "it may hold secrets, so rpmkit leaves it out unless `include` names it"
        if verdict is not None:
            return verdict
    return None


def repository_root(app_dir: Path) -> Path:
    """The top of the repository holding the app (`reqfile`'s rule, shared by config)."""
    from rpmkit.build import reqfile

    return reqfile.repository_root(app_dir)


def escaping_links(app_dir: Path, paths: Sequence[Path]) -> list[str]:
    """One line for each symlink among `paths` that resolves outside the repository root."""
    root = repository_root(app_dir)
    lines = []
    for path in paths:
        if not path.is_symlink():
            continue
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(root):
            rel = path.relative_to(app_dir.resolve()) if path.is_relative_to(app_dir) else path
            lines.append(
                f"{app_dir}: {rel} is a symlink to {target}, outside the repository ({root}); "
                "copy the file in, or exclude it"
            )
    return lines


def _hit(spec: GitIgnoreSpec, key: str) -> str | None:
    result = spec.check_file(key)
    if result.include:
        return str(spec.patterns[result.index or 0].pattern)
    return None


def _key(path: Path, base: Path, is_dir: bool) -> str:
    # gitignore patterns ending in "/" match directories only; pathspec sees that slash.
    return path.relative_to(base).as_posix() + ("/" if is_dir else "")


def _parent_ignores(app_dir: Path) -> Ignores:
    ignores: Ignores = []
    for directory in (app_dir, *app_dir.parents):
        if directory != app_dir and (directory / ".gitignore").is_file():
            ignores.append((directory, _spec(directory / ".gitignore")))
        if (directory / ".git").exists():
            return ignores[::-1]
    return []  # not inside a repository: .gitignore files above the app mean nothing


def _spec(ignore: Path) -> GitIgnoreSpec:
    return GitIgnoreSpec.from_lines(
        ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    )


def name(package: str, version: str) -> str:
    """Source0's file name, as the spec templates expect it."""
    return f"{package}-{version}.tar.gz"


def write(
    app_dir: Path, entries: Sequence[PurePosixPath], target: Path, top: str, mtime: int
) -> Path:
    """Write `entries` of the app folder as a gzipped tar at `target`, under folder `top`/.

    Deterministic: sorted entries, every mtime `mtime`, owner root (uid/gid 0),
    modes reduced to 0644/0755 as git keeps them, no name or time in the gzip header.
    """
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        tar.addfile(normalise(tarfile.TarInfo(top), mtime, directory=True))
        for rel in sorted(entries):
            path = app_dir / rel
            info = normalise(tar.gettarinfo(str(path), arcname=f"{top}/{rel}"), mtime)
            if info.isreg():
                with path.open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
    return target


def normalise(info: tarfile.TarInfo, mtime: int, directory: bool = False) -> tarfile.TarInfo:
    """A tar entry owned by root, stamped `mtime`, with git's modes (0644, 0755)."""
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

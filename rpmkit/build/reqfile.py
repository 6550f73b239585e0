"""Requirement files, read and checked before pip sees them.

pip follows what a requirements file says: `-r /etc/passwd` makes it read (and
quote) a host file, a `--index-url` line sends the build elsewhere than the
index rpmkit was given, a VCS URL fetches code nobody pinned. rpmkit reads the
file itself, with pip's syntax (`pip help install`, "Requirements File
Format"): every file it includes (`-r`, `-c`) and every local project must
resolve, symlinks followed, inside the repository; URLs, `--index-url`,
`--extra-index-url`, `--find-links` and `--no-index` lines are refused with
the file and line named (the index comes from rpmkit's own options). pip then
reads only the flattened copy rpmkit writes, never the user's files.

A local project (`.`, `./libs/shared`, also written `-e .`) is built into a
wheel on this machine and installed like any other requirement (not editable:
an RPM ships files, not a link to a checkout).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from rpmkit.errors import ConfigError

# What marks the top of a project when there is no git repository: a monorepo's tox.ini
# (as `rpmkit tox` writes it), an app's config, a Python project's metadata.
MARKERS = ("tox.ini", "rpmkit.toml", "pyproject.toml", "setup.cfg")
MAX_BYTES = 1 << 20
# Options that choose where packages come from: rpmkit's --index-url and --wheelhouse decide.
_INDEX_OPTIONS = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--no-index": "--no-index",
    "--trusted-host": "--trusted-host",
}
_INCLUDES = {"-r": "-r", "--requirement": "-r", "-c": "-c", "--constraint": "-c"}
_EDITABLE = ("-e", "--editable")
# Options pip accepts on a line of their own and that change nothing about where code comes from.
_GLOBAL_OPTIONS = (
    "--pre",
    "--prefer-binary",
    "--only-binary",
    "--no-binary",
    "--require-hashes",
    "--use-feature",
)
_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{[A-Z0-9_]+\}")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^(git|hg|svn|bzr)\+", re.IGNORECASE)
_EXTRAS = re.compile(r"^(?P<path>.*?)(?P<extras>\[[A-Za-z0-9_.,\s-]*\])?$")
_ARCHIVE = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz")


@dataclass(frozen=True)
class LocalProject:
    """A project on disk the requirements name (`.`, `./libs/x`), built into a wheel by rpmkit."""

    path: Path  # resolved, inside the repository
    extras: str = ""  # "[web]" or ""
    marker: str = ""  # "; python_version >= '3.9'" or ""
    where: str = ""  # "requirements.txt:3", for messages


@dataclass(frozen=True)
class Requirements:
    """A requirements file with everything it includes, checked and flattened."""

    lines: tuple[str, ...]  # requirements and global options, in order; local projects apart
    constraints: tuple[str, ...] = ()
    local: tuple[LocalProject, ...] = ()
    files: tuple[Path, ...] = field(default=())  # every file read, resolved

    def text(self, local_lines: tuple[str, ...] = (), constraints: str | None = None) -> str:
        """The flattened requirements file: its lines, `local_lines`, and `-c constraints`."""
        out = [*self.lines, *local_lines]
        if constraints and self.constraints:
            out.append(f"-c {constraints}")
        return "".join(f"{line}\n" for line in out)

    def constraints_text(self) -> str:
        """The flattened constraints file."""
        return "".join(f"{line}\n" for line in self.constraints)


def repository_root(app_dir: Path) -> Path:
    """The top of the repository `app_dir` is in: files it may name must stay inside it.

    The git work tree's root when there is one; else the top-most folder above
    `app_dir` (the home folder and `/` excluded) holding one of MARKERS; else
    `app_dir` itself. Symlinks are resolved.
    """
    app = app_dir.resolve()
    chain = [app, *app.parents]
    for folder in chain:
        if (folder / ".git").exists():
            return folder
    stop = {Path.home().resolve(), Path(app.anchor)}
    top = app
    for folder in chain:
        if folder in stop:
            break
        if any((folder / marker).is_file() for marker in MARKERS):
            top = folder
    return top


def read(path: Path, root: Path) -> Requirements:
    """Read `path` and what it includes; ConfigError names the file and line of a refused one."""
    reader = _Reader(root.resolve(), path.resolve().parent)
    reader.read(path, "-r", None)
    return Requirements(
        tuple(reader.lines), tuple(reader.constraints), tuple(reader.local), tuple(reader.files)
    )


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, symlinks followed, is `root` or below it."""
    return path.resolve().is_relative_to(root.resolve())


class _Reader:
    def __init__(self, root: Path, base: Path) -> None:
        self.root = root
        # pip resolves local project paths against its working directory: the top file's folder.
        self.base = base
        self.lines: list[str] = []
        self.constraints: list[str] = []
        self.local: list[LocalProject] = []
        self.files: list[Path] = []

    def read(self, path: Path, kind: str, where: str | None, written: str | None = None) -> None:
        # `where` is the including line ("requirements.txt:2"), `written` the path as given there.
        shown = f"{where}: {written}" if where else str(path)
        real = path.resolve()
        if not real.is_relative_to(self.root):
            raise ConfigError(
                f"{shown} resolves outside the repository ({self.root})",
                hint="requirement files must live in the repository (a shared file above the "
                "app is fine)",
            )
        if real in self.files:
            return  # included twice, or a cycle: pip reads it once as well
        if not real.is_file():
            raise ConfigError(f"{shown}: no such requirements file")
        if real.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{shown}: larger than {MAX_BYTES} bytes")
        self.files.append(real)
        try:
            text = real.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
            raise ConfigError(f"{shown}: cannot read it as requirements ({reason})") from None
        for number, line in _logical_lines(text):
            self._line(line, f"{self._display(path)}:{number}", real.parent, kind)

    def _display(self, path: Path) -> str:
        # Relative to the repository: `app/requirements.txt:3` says where without a long prefix.
        absolute = Path(os.path.abspath(path))
        for top in (self.root, Path(os.path.abspath(self.root))):
            if absolute.is_relative_to(top):
                return str(absolute.relative_to(top))
        return str(path)

    def _line(self, line: str, where: str, folder: Path, kind: str) -> None:
        if "\0" in line:
            raise ConfigError(f"{where}: contains a NUL byte")
        if _ENV_VAR.search(line):
            raise ConfigError(
                f"{where}: ${{...}} environment variables are not expanded by rpmkit",
                hint="write the value itself; credentials go in --index-url's environment "
                "or a netrc file, never in a requirements file",
            )
        option, value = _split_option(line)
        if option in _INDEX_OPTIONS:
            raise ConfigError(
                f"{where}: {_INDEX_OPTIONS[option]} is not allowed in a requirements file",
                hint="pass --index-url URL or --wheelhouse DIR to rpmkit: the index is "
                "rpmkit's option, so --wheelhouse means what it says",
            )
        if option in _INCLUDES:
            if not value or _URL.match(value):
                raise ConfigError(f"{where}: {option} needs a file in the repository")
            self.read(folder / value, _INCLUDES[option], where, value)
            return
        if option in _EDITABLE:
            if not (_is_path(value) or _is_url(value)):
                raise ConfigError(f"{where}: {option} needs a local project path (such as .)")
            self._requirement(value, where)
            return
        if option and option not in _GLOBAL_OPTIONS:
            raise ConfigError(f"{where}: pip option {option} is not supported by rpmkit")
        if kind == "-c":
            if option or _is_url(line) or _is_path(line):
                raise ConfigError(f"{where}: a constraints file holds only NAME==VERSION lines")
            self.constraints.append(line)
        elif option:
            self.lines.append(line)
        else:
            self._requirement(line, where)

    def _requirement(self, line: str, where: str) -> None:
        if _is_url(line):
            raise ConfigError(
                f"{where}: URL and VCS requirements are not allowed",
                hint="name the package with a version (NAME==VERSION) from the index, or vendor "
                "it in the repository as a local project (./libs/NAME)",
            )
        if not _is_path(line):
            self.lines.append(line)
            return
        spec, _, marker = line.partition(";")
        spec = spec.strip()
        if spec.lower().startswith("file:"):
            spec = unquote(urlsplit(spec).path)
        matched = _EXTRAS.match(spec)
        raw, extras = (matched["path"], matched["extras"] or "") if matched else (spec, "")
        path = (self.base / raw).resolve()
        if not path.is_relative_to(self.root):
            raise ConfigError(
                f"{where}: local project {raw} resolves outside the repository ({self.root})"
            )
        if not path.exists():
            raise ConfigError(f"{where}: local project {raw}: no such file or folder")
        if path.is_dir() and not any((path / f).is_file() for f in ("pyproject.toml", "setup.py")):
            raise ConfigError(f"{where}: {raw} is not a Python project (no pyproject.toml)")
        self.local.append(
            LocalProject(
                path, extras.replace(" ", ""), f"; {marker.strip()}" if marker else "", where
            )
        )


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, line) with comments removed and `\\` continuations joined."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = _COMMENT.sub("", raw)
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            out.append((start, line))
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def _split_option(line: str) -> tuple[str, str]:
    """`-r x.txt`, `--requirement=x.txt`, `-rx.txt` -> ("-r"/"--requirement", "x.txt")."""
    if not line.startswith("-"):
        return "", line
    if line.startswith("--"):
        match = re.match(r"(--[A-Za-z0-9-]+)(?:\s*=\s*|\s+|$)(.*)$", line)
        return (match[1], match[2].strip()) if match else (line, "")
    return line[:2], line[2:].lstrip(" =\t")


def _is_url(text: str) -> bool:
    spec = text.split(";", 1)[0].strip()
    if " @ " in f" {spec} " or re.search(r"\s@\s|@\s*\S+://", spec):
        return True  # PEP 508 direct reference: NAME @ URL
    return bool(_URL.match(spec)) and not spec.lower().startswith("file:")


def _is_path(text: str) -> bool:
    spec = text.split(";", 1)[0].strip()
    if spec.lower().startswith("file:"):
        return True
    return (
        spec.startswith((".", "/", "~"))
        or "/" in spec.split("[", 1)[0]
        or spec.lower().endswith(_ARCHIVE)
    )

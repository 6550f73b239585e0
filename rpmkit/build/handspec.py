"""A hand-written spec as rpm reads it: its NEVRA and the Source and Patch files it needs.

rpm itself reads the spec, in the builder (`rpmspec -P` expands macros and
conditionals, `rpmspec -q --srpm` gives the source package's tags), so
`%{name}`, `%global`, `%if` and `%{?with_x:...}` mean what they mean to
rpmbuild. This module holds the pure part: the argument lists, and reading
their output. Where a Source comes from is rpm's rule too: the file name is
the part after `#/` when the URL has one, else the URL's last path segment
(rpm's build/parsePreamble.c, and `spectool`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

# %{EPOCHNUM} is 0 when the spec sets no Epoch.
QUERY_FORMAT = "%{NAME}|%{EPOCHNUM}|%{VERSION}|%{RELEASE}|%{ARCH}\n"
_TAG = re.compile(r"^(?P<tag>(?:Source|Patch)\d*)\s*:\s*(?P<value>\S.*?)\s*$", re.IGNORECASE)
# Sections after which no preamble tag can follow; %package opens another preamble.
_SECTION = re.compile(
    r"^%(?P<name>package|description|prep|build|install|check|clean|files|changelog|pre|post|"
    r"preun|postun|pretrans|posttrans|preuntrans|postuntrans|verifyscript|sourcelist|patchlist|"
    r"generate_buildrequires|conf|trigger\w*|filetrigger\w*|transfiletrigger\w*)(\s|$)"
)

_STATES = {"package": "preamble", "sourcelist": "sourcelist", "patchlist": "patchlist"}


@dataclass(frozen=True)
class Nevra:
    """The source package's name, epoch, version, release and the arch it builds for."""

    name: str
    epoch: int
    version: str
    release: str
    arch: str  # "noarch" with `BuildArch: noarch`, else the builder's machine

    @property
    def nvr(self) -> str:
        """name-version-release, as rpm names packages in messages."""
        return f"{self.name}-{self.version}-{self.release}"


@dataclass(frozen=True)
class SpecSource:
    """One Source or Patch the spec names: its tag, the value as written, the file rpm opens."""

    tag: str  # "Source1", "Patch0", "%sourcelist"
    value: str
    file: str


def rpmspec_argv(spec_file: str, defines: Sequence[str], *args: str) -> list[str]:
    """`rpmspec` with the build's `--define` arguments: the spec is read as rpmbuild reads it."""
    argv = ["rpmspec", *args]
    for define in defines:
        argv += ["--define", define]
    return [*argv, spec_file]


def parse_argv(spec_file: str, defines: Sequence[str]) -> list[str]:
    """The spec with macros expanded and conditionals applied (`rpmspec -P`)."""
    return rpmspec_argv(spec_file, defines, "-P")


def query_argv(spec_file: str, defines: Sequence[str]) -> list[str]:
    """The source package's NEVRA, one `|`-separated line (`rpmspec -q --srpm --qf`)."""
    return rpmspec_argv(spec_file, defines, "-q", "--srpm", "--qf", QUERY_FORMAT)


def parse_nevra(output: str) -> Nevra:
    """Read `query_argv`'s output; ValueError when it is not one NEVRA line."""
    lines = [line for line in output.splitlines() if line.count("|") == 4]
    if len(lines) != 1:
        raise ValueError(f"expected one NAME|EPOCH|VERSION|RELEASE|ARCH line, got {output!r}")
    name, epoch, version, release, arch = lines[0].strip().split("|")
    return Nevra(name, int(epoch) if epoch.isdigit() else 0, version, release, arch)


def unexpanded(nevra: Nevra) -> str:
    """The NEVRA tags still holding a macro (`Release is '%autorelease'`), or ""."""
    tags = (("Name", nevra.name), ("Version", nevra.version), ("Release", nevra.release))
    return "; ".join(f"{tag} is {value!r}" for tag, value in tags if "%" in value)


def file_name(value: str) -> str:
    """The file rpm looks for in SOURCES: after `#/` if the URL has one, else its last part."""
    if "#/" in value:
        return value.rsplit("#/", 1)[1]
    return PurePosixPath(value.split("?", 1)[0]).name or value


def sources(parsed: str) -> list[SpecSource]:
    """Every Source and Patch in `rpmspec -P` output, with `%sourcelist`/`%patchlist` entries."""
    found = []
    state = "preamble"
    for raw in parsed.splitlines():
        line = raw.strip()
        section = _SECTION.match(line)
        if section:
            state = _STATES.get(section["name"], "body")
            continue
        if state == "preamble":
            match = _TAG.match(line)
            if match:
                tag = match["tag"]
                tag = tag[0].upper() + tag[1:].lower()
                found.append(SpecSource(tag, match["value"], file_name(match["value"])))
        elif state in ("sourcelist", "patchlist") and line and not line.startswith("#"):
            found.append(SpecSource(f"%{state}", line, file_name(line)))
    return found


@dataclass(frozen=True)
class Provision:
    """Where each needed file comes from, and one line for each that has no provider."""

    files: dict[str, str]  # file name -> "app" (the app folder) or a kind rpmkit makes
    missing: tuple[str, ...]


def provide(
    needed: Sequence[SpecSource],
    in_app_folder: Mapping[str, bool],
    made: Mapping[str, str],
    spec_name: str,
    app_dir: str,
    named: Sequence[str] = (),
) -> Provision:
    """Match each needed file to the app folder's file of that name, else to what rpmkit makes.

    `in_app_folder` says, per file name, whether the app folder has that file;
    `made` maps the names rpmkit makes to their kind ("tarball", "wheels");
    `named` are the made names the config asks for (its `tarball`). A file in
    the app folder wins. A Source given as a URL is upstream's file: rpmkit
    makes it only when the config names it, never by a coincidence of names.
    """
    files: dict[str, str] = {}
    missing = []
    for source in needed:
        if source.file in files:
            continue
        is_url = "://" in source.value
        if "%" in source.value:
            missing.append(
                f"{spec_name}: {source.tag}: {source.value!r} holds a macro rpm does not know "
                "here; define it with `defines` (or --define), or write the file's name"
            )
        elif in_app_folder.get(source.file):
            files[source.file] = "app"
        elif source.file in made and (not is_url or source.file in named):
            files[source.file] = made[source.file]
        else:
            where = f" (from {source.value})" if is_url else ""
            missing.append(f"{spec_name}: {source.tag}: {source.file} is not in {app_dir}{where}")
    return Provision(files, tuple(missing))


def missing_hint(made: Mapping[str, str]) -> str:
    """What to do about missing sources: the one hint below their lines."""
    return (
        "put each file in the app folder (rpmkit never downloads; `spectool -g` does); rpmkit "
        f"makes only {', '.join(sorted(made))}, and for a URL only the config's `tarball`"
    )

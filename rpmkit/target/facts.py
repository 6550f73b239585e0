"""What a profile's target is, as data with sources: `images/<profile>/facts.toml`.

The verdicts that depend on the target (a symbol version its glibc lacks, a
path another of its packages owns, a sysctl a container does not have) read
these facts rather than the stand-in's own state, and quote the fact's source
when they fail. A profile that only stands in for another (offline, for
Amazon Linux 2023) names it with `stands_in_for` and uses its facts.

Every table carries `source`: where the fact comes from (release notes,
package lists, the packages' specs, a kernel document). Loading refuses a
fact without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rpmkit import toml
from rpmkit.errors import ConfigError
from rpmkit.resources import images_dir

FILE = "facts.toml"
_VERSION = re.compile(r"\d+(?:\.\d+)*")


@dataclass(frozen=True)
class Symbols:
    """Symbol versions (`prefix` + dotted number) the target's `sonames` define, up to `max`."""

    what: str  # e.g. "glibc 2.34"
    prefix: str  # e.g. "GLIBC_"
    max: str  # e.g. "2.34"
    sonames: tuple[str, ...]
    named: tuple[str, ...]  # versions that are not numbers but exist (GLIBC_PRIVATE)
    source: str

    def defines(self, node: str) -> bool:
        """Whether the target defines the version node `node` (e.g. GLIBC_2.36)."""
        if node in self.named:
            return True
        number = node[len(self.prefix) :]
        if not _VERSION.fullmatch(number):
            return False  # a named node the target does not list (GLIBC_ABI_DT_RELR)
        return version_key(number) <= version_key(self.max)


@dataclass(frozen=True)
class Package:
    """A package the AMI has (`on_ami`) or lacks, and the folders whose files it reads."""

    name: str
    on_ami: bool
    reads: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Owned:
    """Paths a target package owns: another package shipping one conflicts with it."""

    package: str
    paths: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Sysctl:
    """A kernel setting the target has (and a container may not)."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class Facts:
    """The facts of one target; `profile` is the profile they were loaded for."""

    profile: str
    target: str  # e.g. "Amazon Linux 2023"
    stand_in: bool  # the profile stands in for the target (offline)
    symbols: tuple[Symbols, ...]
    packages: tuple[Package, ...]
    owned: tuple[Owned, ...]
    sysctls: tuple[Sysctl, ...]
    boot_empty: tuple[str, ...]
    boot_source: str

    def owner(self, path: str) -> Owned | None:
        """The target package that owns `path`, if the facts name one."""
        return next((o for o in self.owned if path in o.paths), None)

    def symbols_for(self, soname: str, node: str) -> Symbols | None:
        """The fact covering version `node` of `soname`, if any."""
        return next(
            (s for s in self.symbols if soname in s.sonames and node.startswith(s.prefix)), None
        )


def version_key(text: str) -> tuple[int, ...]:
    """A dotted version as a tuple that compares numerically ("2.2.5" < "2.34")."""
    return tuple(int(p) for p in text.split("."))


def path_for(profile: str) -> Path:
    """Where a profile's facts file is."""
    return images_dir() / profile / FILE


@cache
def load(profile: str) -> Facts:
    """The facts a profile's verdicts use; ConfigError naming the file when one is malformed.

    A profile without a facts file has no facts (nothing is judged against them).
    """
    path = path_for(profile)
    if not path.is_file():
        return Facts(profile, profile, False, (), (), (), (), ("/run",), "")
    data = toml.load(path)
    target = data.get("stands_in_for")
    if target is not None:
        if not isinstance(target, str) or target == profile or not path_for(target).is_file():
            raise ConfigError(f"{path}: stands_in_for must name another profile with facts")
        facts = parse(target, toml.load(path_for(target)), path_for(target))
        return Facts(
            profile, facts.target, True, facts.symbols, facts.packages, facts.owned,
            facts.sysctls, facts.boot_empty, facts.boot_source,
        )  # fmt: skip
    return parse(profile, data, path)


def parse(profile: str, data: dict[str, Any], where: Path | str = FILE) -> Facts:
    """Facts from a facts file's data; ConfigError when a fact lacks a field or its source."""
    try:
        boot = data.get("boot", {"empty": ["/run"], "source": "systemd: /run is a tmpfs"})
        return Facts(
            profile=profile,
            target=_text(data, "target", where),
            stand_in=False,
            symbols=tuple(
                Symbols(
                    _text(s, "what", where),
                    _text(s, "prefix", where),
                    _number(s, where),
                    _texts(s, "sonames", where),
                    tuple(s.get("named", ())),
                    _source(s, where),
                )  # fmt: skip
                for s in data.get("symbols", ())
            ),
            packages=tuple(
                Package(
                    _text(p, "name", where),
                    _flag(p, "on_ami", where),
                    tuple(p.get("reads", ())),
                    _source(p, where),
                )  # fmt: skip
                for p in data.get("packages", ())
            ),
            owned=tuple(
                Owned(_text(o, "package", where), _texts(o, "paths", where), _source(o, where))
                for o in data.get("owned", ())
            ),
            sysctls=tuple(
                Sysctl(_text(s, "name", where), _text(s, "value", where), _source(s, where))
                for s in data.get("sysctl", ())
            ),
            boot_empty=_texts(boot, "empty", where),
            boot_source=_source(boot, where),
        )
    except (TypeError, AttributeError) as exc:
        raise ConfigError(f"{where}: malformed facts ({exc})") from exc


def _text(table: dict[str, Any], key: str, where: Path | str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: a fact lacks {key!r}: {_brief(table)}")
    return value


def _source(table: dict[str, Any], where: Path | str) -> str:
    value = table.get("source")
    if not isinstance(value, str) or len(value.strip()) < 10:
        raise ConfigError(
            f"{where}: a fact has no source: {_brief(table)}",
            hint="every fact names where it comes from (release notes, a spec, a manual)",
        )
    return value.strip()


def _texts(table: dict[str, Any], key: str, where: Path | str) -> tuple[str, ...]:
    value = table.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key!r} must be a list of strings: {_brief(table)}")
    return tuple(value)


def _flag(table: dict[str, Any], key: str, where: Path | str) -> bool:
    value = table.get(key)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key!r} must be true or false: {_brief(table)}")
    return value


def _number(table: dict[str, Any], where: Path | str) -> str:
    value = _text(table, "max", where)
    if not _VERSION.fullmatch(value):
        raise ConfigError(f"{where}: 'max' must be a dotted number: {_brief(table)}")
    return value


def _brief(table: dict[str, Any]) -> str:
    for key in ("name", "package", "what", "prefix"):
        if isinstance(table.get(key), str):
            return f"{key} = {table[key]!r}"
    return ", ".join(sorted(table)) or "an empty table"

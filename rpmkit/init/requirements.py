"""What an app's requirements file lists, by distribution name (PEP 503 normalized)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from rpmkit.build.python_config import normalize

# Where apps keep the requirements of the deployed app, in the order looked at.
REQUIREMENTS_FILES = (
    "requirements.txt",
    "requirements/production.txt",
    "requirements/prod.txt",
    "requirements/base.txt",
    "requirements/common.txt",
)
_INCLUDE = re.compile(r"^(?:-r|--requirement)[\s=]+(\S+)")
_OPTIONS_AFTER = re.compile(r"\s+--?[a-z].*$")  # `flask==3.1 --hash=sha256:...`


@dataclass(frozen=True)
class Listed:
    """The names a requirements file lists (includes followed), and whether it names more.

    `opaque` lines (`-e .`, a path, a URL) install packages whose own
    requirements this file does not show.
    """

    names: frozenset[str]
    opaque: tuple[str, ...] = ()

    def lists(self, distribution: str) -> bool:
        """True when the file names `distribution` itself (any case, `-`/`_`/`.` alike)."""
        return normalize(distribution) in self.names


def find(app_dir: Path) -> str | None:
    """The app's requirements file, relative to its folder, if it has one."""
    return next((name for name in REQUIREMENTS_FILES if (app_dir / name).is_file()), None)


def read(path: Path, seen: frozenset[Path] = frozenset()) -> Listed:
    """The distributions `path` lists, following `-r` includes (`-c` constrains, lists nothing)."""
    names: set[str] = set()
    opaque: list[str] = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        include = _INCLUDE.match(line)
        if include:
            target = (path.parent / include[1]).resolve()
            if target.is_file() and target not in seen:
                more = read(target, seen | {path.resolve()})
                names |= more.names
                opaque += more.opaque
            continue
        if line.startswith("-"):
            if line.startswith(("-e", "--editable")):
                opaque.append(line)
            continue
        try:
            requirement = Requirement(_OPTIONS_AFTER.sub("", line))
        except InvalidRequirement:
            opaque.append(line)  # a path or a URL
            continue
        if requirement.url:
            opaque.append(line)
        names.add(normalize(requirement.name))
    return Listed(frozenset(names), tuple(opaque))

"""Which rpmlint findings a build accepts, and why: rpmkit's venv rules and the app's own.

An accepted finding is never hidden: the build prints it (grouped by rule)
and the build log lists each one with its rule's reason. Anything else rpmlint
calls an error fails the build.

Three sources, each rule a check name, an absolute path pattern and a reason:
- `VENV_RULES`: findings inside the vendored virtualenv (`/opt/<name>/venv/`),
  which hold third-party wheels' files as their authors built them; an app
  author cannot fix them, and pip installs them exactly as the wheel has them.
- `declared()`: what the app's config itself declares, such as a directory
  at mode 0750 (rpmlint's `non-standard-dir-perm`).
- `[rpmlint] accept` in the app's config.

Check names are validated against the names the profile's rpmlint knows
(`images/rpmlint/checks-<series>.txt`, one per rpmlint series: Amazon Linux 2
has rpmlint 1.x, Amazon Linux 2023 and the offline builder 2.x).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rpmkit.errors import ConfigError
from rpmkit.resources import images_dir

VENV = "/opt/{name}/venv/**"


@dataclass(frozen=True)
class Rule:
    """Accepts findings of `check` on a file matching `path` (with `{name}` the package's)."""

    check: str
    path: str
    reason: str
    origin: str  # "rpmkit", "[[directories]]", "[[files]]" or "rpmlint.accept[N]"
    detail: str = ""  # a regular expression the rest of the finding's detail must match

    def for_package(self, name: str) -> Rule:
        """The rule with `{name}` in its path replaced by the package's name."""
        return Rule(self.check, self.path.replace("{name}", name), self.reason, self.origin,
                    self.detail)  # fmt: skip

    def matches(self, check: str, path: str, rest: str) -> bool:
        """Whether a finding (its check, the file it names, the words after it) is accepted."""
        if check != self.check or not path:
            return False
        if not glob_regex(self.path).fullmatch(path):
            return False
        return not self.detail or re.fullmatch(self.detail, rest) is not None


VENV_RULES = (
    Rule(
        "non-executable-script", VENV,
        "a wheel's module with a shebang line, installed 0644 as the wheel ships it: it is "
        "imported, never run; its authors keep the line for running it from a checkout",
        "rpmkit",
    ),
    Rule(
        "script-without-shebang", VENV,
        "a wheel's file that its authors marked executable without a shebang line; pip keeps "
        "the wheel's modes and nothing runs the file",
        "rpmkit",
    ),
    Rule(
        "env-script-interpreter", VENV,
        "a wheel's script or template starting with `#!/usr/bin/env python`; the venv's own "
        "entry points in bin/ get the venv's Python from pip, these are never run",
        "rpmkit",
    ),
    Rule(
        "zero-length", VENV,
        "an empty file a wheel ships (type stubs, templates, markers); pip installs what the "
        "wheel's RECORD lists",
        "rpmkit",
    ),
    Rule(
        "binary-or-shlib-defines-rpath", VENV,
        "auditwheel repairs a manylinux wheel by bundling its libraries in <package>.libs/ "
        "and pointing an $ORIGIN-relative RUNPATH at them; only such paths are accepted",
        "rpmkit",
        detail=r"\((?:RPATH|RUNPATH): \$ORIGIN[^\s:]*(?::\$ORIGIN[^\s:]*)*\)",
    ),
    Rule(
        "static-library-without-debuginfo", VENV,
        "a static library a wheel ships for building extensions against it (numpy's "
        "libnpymath.a); built upstream, there is no debuginfo to extract",
        "rpmkit",
    ),
)  # fmt: skip


@cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path pattern as a regular expression: `**` any characters, `*` and `?` within a segment.

    `/opt/web/venv/**` matches every path below that directory; `/var/lib/web`
    only that path.
    """
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def declared(
    directories: Iterable[tuple[str, str]], files: Iterable[tuple[str, str]]
) -> list[Rule]:
    """Rules for modes the app's config declares: (path, mode) of its directories and files.

    A directory at another mode than 0755 draws `non-standard-dir-perm`; a file
    others cannot read (0640, 0600) draws `non-readable`, an executable other than
    0755 `non-standard-executable-perm`. The config asked for them: they are
    accepted for exactly those paths.
    """
    rules = []
    for path, mode in directories:
        if int(mode, 8) & 0o7777 != 0o755:
            rules.append(Rule("non-standard-dir-perm", path,
                              f"the config declares this directory with mode {mode}",
                              "[[directories]]"))  # fmt: skip
    for path, mode in files:
        bits = int(mode, 8) & 0o7777
        reason = f"the config declares this file with mode {mode}"
        if bits & 0o444 != 0o444:
            rules.append(Rule("non-readable", path, reason, "[[files]]"))
        if bits & 0o111 and bits != 0o755:
            rules.append(Rule("non-standard-executable-perm", path, reason, "[[files]]"))
    return rules


@cache
def known_checks(series: str) -> frozenset[str]:
    """The check names rpmlint `series` ("1.x", "2.x") knows; ConfigError for an unknown series."""
    path = checks_file(series)
    if not path.is_file():
        raise ConfigError(f"no list of rpmlint {series} check names ({path})")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(s for s in (line.strip() for line in lines) if s and not s.startswith("#"))


def checks_file(series: str) -> Path:
    """Where the check names of rpmlint `series` are listed."""
    return images_dir() / "rpmlint" / f"checks-{series}.txt"


def unknown(rules: Sequence[Rule], series: str) -> list[Rule]:
    """The rules whose check rpmlint `series` does not know."""
    names = known_checks(series)
    return [rule for rule in rules if rule.check not in names]


def for_series(rules: Sequence[Rule], series: str) -> list[Rule]:
    """The rules whose check exists in rpmlint `series` (rpmkit's own rules name both series)."""
    names = known_checks(series)
    return [rule for rule in rules if rule.check in names]

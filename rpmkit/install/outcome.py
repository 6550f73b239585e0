"""How an install went, read from the exit status and rpm's own lines.

rpm and dnf exit 0 when a `%post` scriptlet fails: the failure is read from
rpm's own messages (`%post(NAME) scriptlet failed`). A scriptlet that prints
such a line can only make the check fail, never pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rpmkit.errors import InstallError
from rpmkit.values import tail

if TYPE_CHECKING:
    from rpmkit.engine import Result

INSTALL_TIMEOUT = 300.0
SCRIPTLET_FAILED = re.compile(
    r"(?:warning|error): %(\w+)\(([^)]*)\) scriptlet failed, (exit status \d+|signal \d+)"
)
DNF_SCRIPTLET_FAILED = re.compile(r"Error in (\w+) scriptlet in rpm package (\S+)")
# A Lua scriptlet (`%post -p <lua>`) that raises: rpm prints only this line.
LUA_SCRIPTLET_FAILED = re.compile(r'error: lua script failed: \[string "%(\w+)\(([^)]*)\)"\]')
# rpm's warnings that explain later failures: ownership, missing users and groups.
RPM_WARNING = re.compile(
    r"^warning: .*(?:does not exist - using root|created as|saved as).*$", re.M
)
# Debian's rpm warns on every install; it says nothing about the package.
DEBIAN_NOISE = ("rpm: RPM should not be used directly", "rpm: However assuming you know")
FAILED_DEPENDENCIES = "error: Failed dependencies:"


@dataclass(frozen=True)
class InstallLog:
    """What the install printed and how it went."""

    output: str  # rpm's (and the package manager's) output, Debian's noise removed
    seconds: float
    resolved_with: str  # "rpm", or the package manager's name when rpm lacked dependencies
    warnings: tuple[str, ...]  # rpm's warnings: users that did not exist, files set aside
    # (NEVRA, repository) of each dependency the package manager installed with the RPMs;
    # None when it could not tell (its query failed), () when rpm installed them alone.
    sources: tuple[tuple[str, str], ...] | None = ()


def scriptlet_failures(text: str) -> list[str]:
    """rpm's and dnf's own lines saying a scriptlet failed, as `%post(NAME) failed: ...`."""
    failures = [f"%{m[0]}({m[1]}) failed: {m[2]}" for m in SCRIPTLET_FAILED.findall(text)]
    failures += [f"%{m[0].lower()}({m[1]}) failed" for m in DNF_SCRIPTLET_FAILED.findall(text)]
    failures += [f"%{m[0]}({m[1]}) failed: Lua error" for m in LUA_SCRIPTLET_FAILED.findall(text)]
    return list(dict.fromkeys(failures))


def clean(text: str) -> str:
    """`text` without the lines Debian's rpm prints on every run."""
    return "\n".join(line for line in text.splitlines() if not line.startswith(DEBIAN_NOISE))


def raise_on_failure(result: Result, log: InstallLog, what: str) -> None:
    """InstallError when the transaction timed out, failed, or a scriptlet failed in it."""
    if result.timed_out:
        raise InstallError(
            f"{what} did not finish in {INSTALL_TIMEOUT:.0f}s (a scriptlet waiting for input?)",
            details=tail(log.output, 30),
        )
    if not result.ok:
        missing = sorted(set(re.findall(r"nothing provides (.+?) needed by", log.output)))
        missing += sorted(set(re.findall(r"^\s+(.+?) is needed by", log.output, re.M)))
        said = f"missing dependencies: {', '.join(dict.fromkeys(missing))}" if missing else ""
        failed = scriptlet_failures(log.output)
        if not said and failed:
            said = "; ".join(failed)
        raise InstallError(
            f"{what} failed (exit {result.rc}" + (f"; {said})" if said else ")"),
            details=tail(log.output, 30),
        )
    failed = scriptlet_failures(log.output)
    if failed:
        raise InstallError(
            f"scriptlet failed during {what}: " + "; ".join(failed)
            + " (rpm and dnf still exit 0 for this)",
            details=tail(log.output, 30),
        )  # fmt: skip

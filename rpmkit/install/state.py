"""What the old version wrote, and whether an upgrade kept it.

Before an upgrade, the container's filesystem diff against the runtime image
(`docker diff`) lists what the install and the running old version wrote.
Kept as state: every path in it outside the disposable paths (`disposable`,
plus what the profile boots empty), the package manager's and the system's
own books (rpm database, accounts, unit links: judged by their own checks)
and the old package's own files; each with its content digest. After the new
version is up, each must still be there with the same digest: a state file
recreated with the same size (a new instance id) is still a loss.

The likely cause is named from the old package's own `%preun`/`%postun`:
rpm runs them during an upgrade too, with `$1 = 1` (the rpm spec's scriptlet
ordering), so a removal step not guarded by `$1` runs on every upgrade.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rpmkit.checks import Check
from rpmkit.install.stage import Instance
from rpmkit.profiles import Profile
from rpmkit.verify.disposable import DEFAULT_DISPOSABLE, kept_state

# Books kept by the system and the package manager, not by the app; each has its own check.
SYSTEM = (
    "/var/lib/rpm", "/usr/lib/sysimage/rpm", "/var/lib/rpm-state", "/var/lib/dnf",
    "/var/lib/yum", "/var/lib/alternatives", "/etc/alternatives", "/etc/ld.so.cache",
    "/etc/passwd", "/etc/passwd-", "/etc/group", "/etc/group-", "/etc/shadow", "/etc/shadow-",
    "/etc/gshadow", "/etc/gshadow-", "/etc/subuid", "/etc/subuid-", "/etc/subgid",
    "/etc/subgid-", "/etc/systemd/system", "/etc/rc.d", "/etc/rc[0-6].d",
    "/etc/yum.repos.d/rpmkit-local.repo", "/rpmkit", "/.rpmkit-go",
)  # fmt: skip
MAX_PATHS = 2000
# Directories many packages share: removing one names no package's own data.
SHARED_DIRS = frozenset(
    {
        "/etc", "/opt", "/srv", "/var", "/var/lib", "/var/opt", "/var/spool", "/var/cache",
        "/var/log", "/home", "/usr", "/usr/lib", "/usr/share", "/usr/local", "/run", "/tmp",
        "/var/tmp",
    }
)  # fmt: skip
ELSEWHERE = (
    "on an immutable server such state belongs outside the instance (a database, a bucket, "
    "a volume): `rpmkit rehearse` checks what instances write"
)
# How `rpm -q --scripts` heads each scriptlet.
SCRIPT_HEAD = re.compile(r"^(\w+) scriptlet(?: \(using [^)]*\))?:\s*$")
UNINSTALL = {"preuninstall": "%preun", "postuninstall": "%postun"}


@dataclass(frozen=True)
class Record:
    """What the old version wrote: path -> `F <sha256>`, `L <target>` or `D`."""

    entries: dict[str, str]


def describe_script() -> str:
    """The shell loop that describes each path given as an argument, one line each."""
    return (
        'for p; do if [ -L "$p" ]; then printf "L %s\\t%s\\n" "$(readlink "$p")" "$p"; '
        'elif [ -f "$p" ]; then printf "F %s\\t%s\\n" "$(sha256sum < "$p" | cut -d" " -f1)" "$p"; '
        'elif [ -d "$p" ]; then printf "D -\\t%s\\n" "$p"; fi; done'
    )


def parse_described(text: str) -> dict[str, str]:
    """`F <digest>\\t<path>` lines -> path -> `F <digest>`."""
    found = {}
    for line in text.splitlines():
        what, sep, path = line.partition("\t")
        if sep and path:
            found[path] = what.rstrip(" -") if what.startswith("D") else what
    return found


def describe(instance: Instance, paths: Sequence[str]) -> dict[str, str]:
    """Each path's kind and content digest inside the instance (absent paths left out)."""
    if not paths:
        return {}
    return parse_described(instance.sh(describe_script(), *paths).stdout)


def record(instance: Instance, profile: Profile) -> Record:
    """What the install and the old version wrote outside disposable paths and its own files."""
    disposable = (*DEFAULT_DISPOSABLE, *profile.boot.empty, *SYSTEM)
    owned = {f.path for f in instance.files}
    written = [
        c.path
        for c in kept_state(instance.container.diff(), disposable)
        if c.kind != "deleted" and c.path not in owned
    ]
    return Record(describe(instance, written[:MAX_PATHS]))


def lost(before: Record, after: dict[str, str]) -> tuple[list[str], list[str]]:
    """(gone, replaced): paths no longer there, and paths whose content or kind changed."""
    gone = sorted(p for p in before.entries if p not in after)
    replaced = sorted(p for p, d in before.entries.items() if p in after and after[p] != d)
    return gone, replaced


def uninstall_scriptlets(rpm_q_scripts: str) -> dict[str, list[str]]:
    """`rpm -q --scripts` output -> {"%preun": lines, "%postun": lines} (uninstall ones only)."""
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in rpm_q_scripts.splitlines():
        head = SCRIPT_HEAD.match(line)
        if head:
            current = UNINSTALL.get(head.group(1))
            if current:
                found.setdefault(current, [])
            continue
        if current:
            found[current].append(line)
    return found


def unguarded(lines: Iterable[str]) -> list[str]:
    """The lines of a scriptlet that run whatever `$1` is.

    Guarded: inside `if ... $1 ...`/`case $1 in` blocks, and `[ $1 ... ] && ...` lines.
    """
    out = []
    depth = guard = 0  # guard: the depth of the block a `$1` test opened (0: none)
    for raw in lines:
        line = raw.strip()
        if re.match(r"^(if|case)\b", line):
            depth += 1
            if not guard and _TESTS_ARG.search(line):
                guard = depth
        tested = _TESTS_ARG.search(line) and ("&&" in line or "||" in line)
        if line and not guard and not tested:
            out.append(line)
        if re.match(r"^(fi|esac)\b", line) or re.search(r";\s*(fi|esac)$", line):
            if guard == depth:
                guard = 0
            depth = max(0, depth - 1)
    return out


_TESTS_ARG = re.compile(r"\$\{?1\b|\$\{?1\}")


def culprits(scripts: dict[str, list[str]], pattern: str) -> list[str]:
    """`%postun: rm -rf /var/lib/x`: unguarded uninstall lines matching `pattern`."""
    rule = re.compile(pattern)
    return [
        f"{name}: {line}"
        for name, lines in scripts.items()
        for line in unguarded(lines)
        if rule.search(line)
    ]


def blame(scripts: dict[str, list[str]], pattern: str) -> str:
    """The likely cause, from the old package's unguarded uninstall scriptlets ("" if none)."""
    found = culprits(scripts, pattern)
    if not found:
        return ""
    return (
        "likely cause: the old package's uninstall scriptlets, which rpm runs during an "
        "upgrade too ($1 = 1) and which do not check $1: " + "; ".join(f"`{f}`" for f in found[:3])
    )


def removal_pattern(paths: Iterable[str]) -> str:
    """Lines that remove one of `paths` or a directory above it."""
    parents = set()
    for path in paths:
        parts = path.rstrip("/").split("/")
        parents |= {"/".join(parts[:i]) for i in range(2, len(parts) + 1)} - SHARED_DIRS
    alternatives = "|".join(re.escape(p) for p in sorted(parents, key=len, reverse=True))
    return rf"\b(rm|rmdir|find|unlink|mv)\b.*(?:{alternatives})(?:/|\*|\s|$|\"|')"


def state_check(before: Record, after: dict[str, str], scripts: dict[str, list[str]]) -> Check:
    """`upgrade kept what the old version wrote`, naming what is gone and the likely cause."""
    title = "upgrade kept what the old version wrote (content digests)"
    check_id = "upgrade.state-kept"
    if not before.entries:
        said = "it wrote nothing outside disposable paths"
        return Check("upgrade", title, True, said, id=check_id)
    gone, replaced = lost(before, after)
    if not gone and not replaced:
        said = f"{len(before.entries)} path(s) unchanged"
        return Check("upgrade", title, True, said, id=check_id)
    parts: list[str] = []
    if gone:
        parts.append(
            f"gone: {', '.join(gone[:5])}" + (f" (+{len(gone) - 5})" if len(gone) > 5 else "")
        )
    if replaced:
        parts.append(
            f"replaced (recreated or rewritten): {', '.join(replaced[:5])}"
            + (f" (+{len(replaced) - 5})" if len(replaced) > 5 else "")
        )
    cause = blame(scripts, removal_pattern([*gone, *replaced]))
    detail = "; ".join([*parts, *([cause] if cause else []), ELSEWHERE])
    evidence = "\n".join(
        f"{p}: {before.entries[p]} -> {after.get(p, 'gone')}" for p in [*gone, *replaced][:50]
    )
    return Check("upgrade", title, False, detail, evidence, id=check_id)

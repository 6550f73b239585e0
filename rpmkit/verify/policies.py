"""Policies the package ships, checked inside the instance with the tools that read them.

A file in /etc/logrotate.d, /etc/sudoers.d or /etc/nginx, or a systemd unit,
is only as good as its reader's opinion of it, and the readers are quiet: a
logrotate policy at mode 0664 is ignored with one line in a journal nobody
reads; sudo skips a drop-in whose name has a dot in it without a word. Each
is asked here, on the installed instance:

- /etc/logrotate.d/*: `logrotate -d FILE`, and `logrotate -d /etc/logrotate.conf`
  as the timer runs it. Fails on any `error:` (bad mode or owner, unknown
  option, duplicate log entry, insecure parent directory); a log that does not
  exist yet is a warning.
- /etc/sudoers.d/*: `visudo -c -f FILE` for the syntax, sudo itself (`sudo -l`)
  for owner and mode, sudoers(5) for the name. Fails on a syntax error, a file
  sudo refuses (not owned by root, world- or group-writable), a name with a
  `.` or ending in `~` (`@includedir` skips those).
- /etc/nginx/**: `nginx -t`. Fails when the configuration test fails.
- systemd units: `systemd-analyze verify`. Fails on a unit systemd refuses
  (no ExecStart=, a command that is not there); other findings are warnings.

The tools' exit statuses come from the engine; their `error:` lines can only
add failures, never remove one.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from rpmkit.checks import Check
from rpmkit.install.stage import UNIT_DIRS, UNIT_SUFFIXES, Instance

LOGROTATE_DIR = "/etc/logrotate.d/"
SUDOERS_DIR = "/etc/sudoers.d/"
NGINX_DIR = "/etc/nginx/"
MISSING_TOOL = 127
# logrotate's complaint about a log that does not exist (yet): it may appear once the
# service has written it, so it is a warning, not a failure.
_NOT_YET = re.compile(r"^error: stat of \S+ failed: No such file or directory$")


def _shipped(instance: Instance, prefix: str) -> list[str]:
    # Regular files only: rpm's mode says what each path is (0o100000 is a regular file).
    return sorted(
        {
            f.path
            for f in instance.files
            if f.path.startswith(prefix) and f.mode & 0o170000 == 0o100000
        }
    )


def logrotate(instance: Instance, policy: str) -> list[Check]:
    """One logrotate policy, read by logrotate alone and within the whole configuration."""
    said = _Said(
        "verify.logrotate-policy:" + policy, f"logrotate policy {policy} is read by logrotate"
    )
    alone = instance.exec(["logrotate", "-d", policy])
    if alone.rc == MISSING_TOOL:
        return [said.no_tool("logrotate")]
    base = policy.rsplit("/", 1)[1]
    # The timer runs the whole configuration, where policies are read from their
    # folder (named without it) and a duplicate log entry skips a whole file.
    whole = instance.exec(["logrotate", "-d", "/etc/logrotate.conf"])
    mine = re.compile(rf"(?:^error: {re.escape(base)}:\d+ |\bin file {re.escape(base)}\b)")
    errors = _errors(alone.output) + [e for e in _errors(whole.output) if mine.search(e)]
    errors = list(dict.fromkeys(errors))
    failing = [e for e in errors if not _NOT_YET.match(e)]
    evidence = f"$ logrotate -d {policy}\n{alone.output.strip()}"
    if failing:
        return [said.fails("; ".join(failing[:3]), evidence)]
    if errors:
        hint = " (add `missingok` if the log may be absent)"
        return [said.warns("; ".join(errors[:3]) + hint, evidence)]
    return [said.holds()]


def _errors(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.startswith("error: ")]


def sudoers(instance: Instance, drop_in: str) -> list[Check]:
    """One sudoers drop-in: its name, visudo's syntax check, and sudo's own file checks."""
    said = _Said("verify.sudoers-drop-in:" + drop_in, f"sudoers drop-in {drop_in} is read by sudo")
    base = drop_in.rsplit("/", 1)[1]
    if "." in base or base.endswith("~"):
        return [
            said.fails(
                f"sudo skips it: @includedir ignores files whose names contain '.' or end "
                f"in '~' (sudoers(5)); name it {base.replace('.', '-').rstrip('~')}"
            )
        ]
    syntax = instance.exec(["visudo", "-c", "-f", drop_in])
    if syntax.rc == MISSING_TOOL:
        return [said.no_tool("visudo")]
    evidence = f"$ visudo -c -f {drop_in}\n{syntax.output.strip()}"
    if not syntax.ok:
        return [said.fails(f"visudo: syntax error (exit {syntax.rc})", evidence)]
    # sudo checks owner and mode when it reads the file (not visudo -f).
    runtime = instance.exec(["sudo", "-n", "-l", "-U", "root"])
    refused = [
        line.strip() for line in runtime.stderr.splitlines() if line.startswith(f"sudo: {drop_in} ")
    ]
    if refused:
        return [said.fails("; ".join(refused), evidence)]
    return [said.holds()]


def nginx(instance: Instance, files: list[str]) -> list[Check]:
    """nginx's configuration test, with the package's files in place."""
    name = f"nginx -t accepts the configuration ({len(files)} file(s) of the package)"
    said = _Said("verify.nginx-config", name)
    result = instance.exec(["nginx", "-t"])
    if result.rc == MISSING_TOOL:
        return [said.no_tool("nginx")]
    evidence = f"$ nginx -t\n{result.output.strip()}\n(the package's files: {', '.join(files)})"
    if not result.ok:
        emerg = [ln.strip() for ln in result.output.splitlines() if "[emerg]" in ln]
        return [said.fails(emerg[0] if emerg else f"nginx -t exited {result.rc}", evidence)]
    warned = [ln.strip() for ln in result.output.splitlines() if "[warn]" in ln]
    if warned:
        return [said.warns("; ".join(warned[:3]), evidence)]
    return [said.holds()]


def unit(instance: Instance, path: str) -> list[Check]:
    """One unit file, loaded by `systemd-analyze verify` as systemd would load it."""
    unit_name = path.rsplit("/", 1)[1]
    said = _Said(
        f"verify.unit-verified:{unit_name}", f"unit {unit_name} passes systemd-analyze verify"
    )
    argv = ["systemd-analyze", "verify", "--man=no", path]
    result = instance.exec(argv)
    if "unrecognized option" in result.output:  # systemd before 235 spells it --no-man
        argv[2] = "--no-man"
        result = instance.exec(argv)
    if result.rc == MISSING_TOOL:
        return [said.no_tool("systemd-analyze")]
    lines = [ln.strip() for ln in result.output.splitlines() if ln.strip()]
    evidence = f"$ {' '.join(argv)}\n" + "\n".join(lines)
    if not result.ok:
        return [said.fails("; ".join(lines[:3]) or f"exit {result.rc}", evidence)]
    if lines:
        return [said.warns("; ".join(lines[:3]), evidence)]
    return [said.holds()]


@dataclasses.dataclass(frozen=True)
class _Said:
    """One policy's check, by its id and line: it holds, fails or warns."""

    id: str
    name: str

    def verdict(self, ok: bool, detail: str = "", evidence: str = "", warn: bool = False) -> Check:
        return Check("verify", self.name, ok, detail, evidence, warning=warn, id=self.id)

    def holds(self) -> Check:
        return self.verdict(True)

    def fails(self, detail: str, evidence: str = "") -> Check:
        return self.verdict(False, detail, evidence)

    def warns(self, detail: str, evidence: str = "") -> Check:
        return self.verdict(False, detail, evidence, warn=True)

    def no_tool(self, tool: str) -> Check:
        return self.warns(
            f"not checked: {tool} is not installed on this instance (and nothing on it reads "
            f"the file unless a package brings {tool})"
        )


def check(instance: Instance) -> list[Check]:
    """Every policy the installed RPMs ship, each checked with its own tool (side by side)."""
    tasks: list[Callable[[], list[Check]]] = []
    tasks += [partial(logrotate, instance, p) for p in _shipped(instance, LOGROTATE_DIR)]
    tasks += [partial(sudoers, instance, p) for p in _shipped(instance, SUDOERS_DIR)]
    nginx_files = _shipped(instance, NGINX_DIR)
    if nginx_files:
        tasks.append(partial(nginx, instance, nginx_files))
    units = [
        f.path
        for f in instance.files
        if f.path.startswith(UNIT_DIRS)
        and f.path.endswith(UNIT_SUFFIXES)
        and "@." not in f.path  # a template is verified through its instances only
        and f.mode & 0o170000 == 0o100000
    ]
    tasks += [partial(unit, instance, p) for p in sorted(set(units))]
    if not tasks:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(tasks))) as pool:
        return [c for found in pool.map(_call, tasks) for c in found]


def _call(task: Callable[[], list[Check]]) -> list[Check]:
    began = time.monotonic()
    found = task()
    return [c.timed(began, time.monotonic()) for c in found]

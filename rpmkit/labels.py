"""Labels that mark what rpmkit makes, and the clean-up that finds it by them.

Everything one run makes carries `rpmkit.run`, `rpmkit.app` and
`rpmkit.owner` (host, pid and the process's start time, so a reused pid is not
mistaken for the owner). Caches carry `rpmkit.cache` instead. Shaped after
testcontainers' `core/labels.py`.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

RUN = "rpmkit.run"
APP = "rpmkit.app"
CACHE = "rpmkit.cache"
PROFILE = "rpmkit.profile"
KEY = "rpmkit.key"
# Which process on which machine owns a run: the reaper and `images prune` leave live runs alone.
OWNER = "rpmkit.owner"
KEEP = "rpmkit.keep"
# What a kept instance shows in `rpmkit instances`.
SUBJECT = "rpmkit.subject"


def new_run_id() -> str:
    """A short random id shared by everything one run makes."""
    return secrets.token_hex(6)


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (proc(5) stat field 22), or ''."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            # The command name (field 2) may hold spaces and parentheses: split after it.
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def owner(pid: int | None = None) -> str:
    """A process as `host:pid:starttime` (this one by default)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


@dataclass(frozen=True)
class Run:
    """One run of rpmkit: what it makes carries these labels (the engine stamps them)."""

    id: str
    app: str
    keep: bool = False
    subject: str = ""

    @classmethod
    def new(cls, app: str, keep: bool = False, subject: str = "") -> Run:
        """A run with a fresh id, owned by this process."""
        return cls(new_run_id(), app, keep, subject)

    def labels(self) -> dict[str, str]:
        """The labels of a container, image or network of this run."""
        made = {RUN: self.id, APP: self.app, OWNER: owner()}
        if self.keep:
            made[KEEP] = "1"
        if self.subject:
            made[SUBJECT] = self.subject[:200]
        return made

    def container_name(self, suffix: str = "") -> str:
        """`rpmkit-<app>-<run id>[-suffix]`, safe as a container name whatever the app name."""
        return safe_name(f"rpmkit-{self.app}-{self.id}" + (f"-{suffix}" if suffix else ""))


def safe_name(text: str) -> str:
    """A container or network name from any text: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "_.-") else "-" for c in text)
    cleaned = cleaned.lstrip("_.-") or "rpmkit"
    return cleaned[:128]


def owner_alive(labels: dict[str, str]) -> bool:
    """Whether the process that made an object (its rpmkit.owner label) still runs here.

    An owner on another host counts as alive: only that host can tell.
    """
    host, _, rest = labels.get(OWNER, "").partition(":")
    pid, _, started = rest.partition(":")
    if not host or not pid.isdigit():
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return not started or _start_time(int(pid)) == started

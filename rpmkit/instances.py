"""Instances you can come back to: the ones `--keep` kept, and those a killed run left.

A kept instance stays as the check left it (after a failed install: in its
post-install state, PID 1 still waiting; after boot: booted). Its verdict is
recorded on this machine when the check ends (the engine cannot relabel a
container), under `$XDG_STATE_HOME/rpmkit/kept/` (default ~/.local/state).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rpmkit import labels, nocache
from rpmkit.engine import Engine
from rpmkit.errors import ConfigError


@dataclass(frozen=True)
class KeptInstance:
    """One instance rpmkit made that is still there."""

    name: str
    app: str
    subject: str
    state: str  # kept, leftover (its run's process is gone), running (its run is in progress)
    status: str  # the engine's: running, exited, ...
    verdict: str  # PASS, FAIL at <stage>, or "" when unknown
    age: float  # seconds since it was made

    def row(self) -> dict[str, str]:
        """A table row."""
        from rpmkit.gate import describe_age

        return {
            "name": self.name, "app": self.app, "rpm": self.subject or "-",
            "verdict": self.verdict or "-", "state": f"{self.state} ({self.status})",
            "age": describe_age(self.age),
        }  # fmt: skip


COLUMNS = ["name", "app", "rpm", "verdict", "state", "age"]


def record_dir() -> Path:
    """Where kept instances' verdicts are recorded."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "rpmkit" / "kept"


def record(name: str, verdict: str) -> None:
    """Record a kept instance's verdict (a warning when it cannot be: the run goes on)."""
    folder = record_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.json").write_text(json.dumps({"verdict": verdict, "at": time.time()}))
    except OSError as exc:
        nocache.warn("record of kept instances", folder, exc)


def _verdict(name: str) -> str:
    try:
        return str(json.loads((record_dir() / f"{name}.json").read_text())["verdict"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def find(engine: Engine) -> list[KeptInstance]:
    """Every container of an rpmkit run that is still there, newest first."""
    found = []
    for container in engine.containers(labels.RUN):
        lab = container.labels
        if lab.get(labels.KEEP):
            state = "kept"
        elif labels.owner_alive(lab):
            state = "running"
        else:
            state = "leftover"
        found.append(
            KeptInstance(
                container.name, lab.get(labels.APP, ""), lab.get(labels.SUBJECT, ""), state,
                container.status(), _verdict(container.name), _age(container.created()),
            )
        )  # fmt: skip
    return sorted(found, key=lambda k: k.age)


def remove(engine: Engine, names: list[str], every: bool, force: bool = False) -> list[str]:
    """Remove the named instances (or every kept and leftover one); what was removed.

    ConfigError (exit 2), before anything is removed, for a name that is not an
    rpmkit instance, or whose run is still in progress (its owner process is
    alive: removing it would fail that run for a reason of no concern to it)
    unless `force`. `every` never takes a running one.
    """
    known = {k.name: k for k in find(engine)}
    if every:
        names = [n for n, k in known.items() if k.state != "running"]
    for name in names:
        if name not in known:
            raise ConfigError(f"no rpmkit instance named {name}", hint="see `rpmkit instances`")
        if known[name].state == "running" and not force:
            raise ConfigError(
                f"{name} belongs to a run still in progress",
                hint="let it finish or stop it (Ctrl-C), or give --force to remove it anyway",
            )
    removed = []
    for name in names:
        container = engine.container(name)
        if container is not None and container.remove():
            removed.append(name)
        with contextlib.suppress(OSError):
            (record_dir() / f"{name}.json").unlink(missing_ok=True)
    return removed


def _age(created: str) -> float:
    try:
        when = datetime.fromisoformat(created[:26].rstrip("Z")).replace(tzinfo=timezone.utc)
    except ValueError:
        return 0.0
    return max(0.0, (datetime.now(timezone.utc) - when).total_seconds())

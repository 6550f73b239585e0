"""A warm spare: one fresh runtime instance, started and waiting, for the next check to take.

Starting a container costs about a quarter second in the engine. After its
verdict, a check may leave one spare: a container made exactly as the next
instance would be (same image, same create options, PID 1 waiting on its
FIFO), into which nothing was installed and which never booted. The next check
whose options digest to the same value takes it instead of starting one.

What makes it indistinguishable from an instance started on demand: the same
create options (digested: image id, command, capabilities, tmpfs mounts,
limits, published ports); the RPMs reach both through one read-only bind of a
folder at `RPM_DIR` (the staging folder on demand; the spare's own folder,
filled when it is taken); `/run` is a tmpfs either way, and the boot script
kills leftover processes and empties what a baked image boots with empty.

The spare's folder on this machine is its claim: `ready/<digest>.<name>` while
it waits; taking it is `rename(2)` to `claimed/<name>@<owner>`, which one
process alone can win, so two checks never take the same spare. A local engine
only (the folder is bind-mounted). The container carries `rpmkit.cache=spare`;
it is removed after `IDLE_SECONDS` unclaimed (by the process that made it, or
by `reap` at a later run), by `rpmkit images prune`, and with the run that took it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpmkit import labels, scratch
from rpmkit.errors import DockerUnavailable
from rpmkit.nocache import cache_dir

if TYPE_CHECKING:
    from rpmkit.engine import Container, Engine
    from rpmkit.rpm import RpmFile

KIND = "spare"
PREFIX = "rpmkit-spare-"
# The spares' folder on this machine (root()), on each spare: another cache home's spare
# is judged by its own folders.
FOLDER = "rpmkit.spare-folder"
# Unclaimed for this long (seconds), a spare is removed; RPMKIT_SPARE_IDLE overrides it.
IDLE_SECONDS = 600.0
RPMS_PLACEHOLDER = "<rpms>"


def idle_seconds() -> float:
    """How long an unclaimed spare waits (seconds): RPMKIT_SPARE_IDLE, else IDLE_SECONDS."""
    try:
        return max(float(os.environ.get("RPMKIT_SPARE_IDLE", IDLE_SECONDS)), 0.0)
    except ValueError:
        return IDLE_SECONDS


def wanted(asked: bool | None, environ: dict[str, str] | None = None) -> bool:
    """Whether to use spares: as asked (`--spare`/`--no-spare`), else on but in CI (CI=true)."""
    if asked is not None:
        return asked
    env = os.environ if environ is None else environ
    return env.get("CI", "").lower() not in ("true", "1", "yes")


def digest(image_id: str, ports: tuple[int, ...], options: dict[str, Any], rpm_dir: str) -> str:
    """The options an instance is created with, as one value (the RPM folder's source left out).

    Two instances with the same digest differ only in their name, labels and
    where their RPMs come from on this machine.
    """
    volumes = {
        (RPMS_PLACEHOLDER if bind.get("bind") == rpm_dir else source): bind
        for source, bind in options.get("volumes", {}).items()
    }
    shape = {**options, "volumes": volumes, "image": image_id, "ports": sorted(ports)}
    text = json.dumps(shape, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def root() -> Path:
    """`$XDG_CACHE_HOME/rpmkit/spares`: the spares' folders (ready/, claimed/, making/)."""
    return cache_dir("spares")


@dataclass
class Taken:
    """A spare this process took: its container and its folder (removed with the run)."""

    container: Container
    folder: Path


@dataclass
class Spares:
    """One check's use of spares: take one now, leave one for the next check later."""

    engine: Engine
    image: str  # the runtime image's tag, as instances are made from it
    image_id: str
    rpm_dir: str  # where the RPMs are inside (the bind's target)
    taken: list[Taken] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)  # names of spares to remove
    # Told each spare's name the moment it is claimed (the teardown's watcher removes it).
    claimed: Callable[[dict[str, str]], None] = lambda _message: None
    request: tuple[str, tuple[int, ...], dict[str, Any]] | None = None  # for `leave`

    def take(
        self, ports: tuple[int, ...], options: dict[str, Any], rpms: tuple[RpmFile, ...]
    ) -> Container | None:
        """A waiting spare made with these options, the RPMs put in its folder; None if none.

        A spare of other options (an older image, other settings), or one no
        longer running, is claimed too and never used: it is removed with the run.
        """
        key = digest(self.image_id, ports, options, self.rpm_dir)
        self.request = (key, ports, options)
        ready, claimed = root() / "ready", root() / "claimed"
        try:
            entries = sorted(os.listdir(ready))
        except OSError:
            return None
        me = labels.owner()
        for entry in entries:
            spare_key, _, name = entry.partition(".")
            if not name.startswith(PREFIX):
                continue
            folder = claimed / f"{name}@{me}"
            try:
                claimed.mkdir(parents=True, exist_ok=True)
                os.rename(ready / entry, folder)  # the claim: one process alone wins it
            except OSError:
                continue  # another check took it first
            self.claimed({"spare": name})
            if spare_key != key:
                self.discarded.append(name)
                shutil.rmtree(folder, ignore_errors=True)
                continue
            container = self._adopt(name, key)
            if container is None:
                self.discarded.append(name)
                shutil.rmtree(folder, ignore_errors=True)
                continue
            _fill(folder, rpms)
            self.taken.append(Taken(container, folder))
            return container
        return None

    def _adopt(self, name: str, key: str) -> Container | None:
        try:
            container = self.engine.container(name)
        except DockerUnavailable:
            return None
        if container is None or not container.running:
            return None
        made = container.labels
        if made.get(labels.KEY) != key or container.image_id != self.image_id:
            return None
        return container

    def release(self) -> None:
        """Remove the spares this check took or discarded, and their folders."""
        for taken in self.taken:
            with contextlib.suppress(DockerUnavailable):
                taken.container.remove()
            shutil.rmtree(taken.folder, ignore_errors=True)
        for name in self.discarded:
            with contextlib.suppress(DockerUnavailable):
                found = self.engine.container(name)
                if found is not None:
                    found.remove()
        self.taken.clear()
        self.discarded.clear()

    def leave_message(self, profile: str) -> dict[str, Any]:
        """How to make the next spare (for `leave_from`), or {} when nothing was asked."""
        if self.request is None:
            return {}
        key, ports, options = self.request
        made = {
            "image": self.image, "rpm_dir": self.rpm_dir, "key": key, "ports": list(ports),
            "options": options, "profile": profile,
        }  # fmt: skip
        return {"leave": made}

    def leave(self, profile: str) -> str | None:
        """Make a new spare with the options `take` was asked for; its name (None if none)."""
        message = self.leave_message(profile)
        return leave_from(self.engine, message["leave"]) if message else None


def leave_from(engine: Engine, made: dict[str, Any]) -> str | None:
    """Make a spare as `Spares.leave_message` says; its name.

    Made in `making/`, published in `ready/` once started.
    """
    name = PREFIX + labels.new_run_id()
    making = root() / "making" / name
    making.mkdir(parents=True, exist_ok=True)
    making.chmod(0o700)  # as a staging folder (mkdtemp): the same inside the instance
    rpm_dir, options = str(made["rpm_dir"]), dict(made["options"])
    volumes = {
        (str(making) if bind.get("bind") == rpm_dir else source): bind
        for source, bind in options.get("volumes", {}).items()
    }
    marks = {
        labels.CACHE: KIND, labels.PROFILE: str(made["profile"]), labels.KEY: str(made["key"]),
        labels.OWNER: labels.owner(), FOLDER: str(root()),
    }  # fmt: skip
    try:
        container = engine.create(
            str(made["image"]), name=name, labels=marks, ports=tuple(made["ports"]),
            **{**options, "volumes": volumes},
        )  # fmt: skip
        container.start()
        ready = root() / "ready"
        ready.mkdir(parents=True, exist_ok=True)
        os.rename(making, ready / f"{made['key']}.{name}")
    except BaseException:
        remove(engine, name)
        raise
    return name


def _fill(folder: Path, rpms: tuple[RpmFile, ...]) -> None:
    """The staged RPMs into a taken spare's folder as NN.rpm (linked when possible), and
    the owner file a staging folder holds (install/stage.py binds either the same way)."""
    scratch.mark(folder)
    for i, rpm in enumerate(rpms):
        target = folder / f"{i:02d}.rpm"
        try:
            os.link(rpm.file, target)
        except OSError:
            shutil.copyfile(rpm.file, target)


def wait_unclaimed(name: str, idle: float, poll: float = 1.0, base: Path | None = None) -> bool:
    """Wait while the spare `name` is unclaimed, at most `idle` seconds; True if it still is.

    Then it is claimed for removal (so no check takes it meanwhile).
    """
    base = base or root()
    deadline = time.monotonic() + idle
    while time.monotonic() < deadline:
        if _ready_entry(name, base) is None:
            return False
        time.sleep(min(poll, max(deadline - time.monotonic(), 0.0)))
    entry = _ready_entry(name, base)
    if entry is None:
        return False
    try:
        claimed = base / "claimed"
        claimed.mkdir(parents=True, exist_ok=True)
        os.rename(entry, claimed / f"{name}@{labels.owner()}")
    except OSError:
        return False
    return True


def _ready_entry(name: str, base: Path) -> Path | None:
    try:
        return next((p for p in (base / "ready").iterdir() if p.name.endswith("." + name)), None)
    except OSError:
        return None


def remove(engine: Engine, name: str, base: Path | None = None) -> None:
    """Remove a spare and its folder, wherever it is."""
    with contextlib.suppress(DockerUnavailable):
        found = engine.container(name)
        if found is not None:
            found.remove()
    for folder in _folders(name, base or root()):
        shutil.rmtree(folder, ignore_errors=True)


def _folders(name: str, base: Path) -> list[Path]:
    found = []
    for sub in ("ready", "claimed", "making"):
        with contextlib.suppress(OSError):
            found += [
                p
                for p in (base / sub).iterdir()
                if p.name == name or p.name.endswith("." + name) or p.name.startswith(name + "@")
            ]
    return found


def reap(engine: Engine, everything: bool = False, dry_run: bool = False) -> list[str]:
    """Remove spares nobody can use: unclaimed past their idle time or not running, claimed
    or being made by a process that is gone (`everything`: every spare not in use, as
    `rpmkit images prune` does). What was removed (`dry_run`: would be).
    """
    removed = []
    idle = idle_seconds()
    for container in engine.containers(f"{labels.CACHE}={KIND}"):
        name = container.name
        base = Path(container.labels.get(FOLDER) or root())
        state = _where(name, base)
        if state == "ready":
            entry = _ready_entry(name, base)
            expired = False
            with contextlib.suppress(OSError):
                expired = entry is not None and time.time() - entry.stat().st_mtime > idle
            if not (everything or expired or not container.running):
                continue
            if dry_run:
                removed.append(f"container {name}")
                continue
            if not wait_unclaimed(name, 0.0, base=base):
                continue  # taken meanwhile
        elif state.startswith("claimed:") or state == "making":
            owner = state.partition(":")[2] or container.labels.get(labels.OWNER, "")
            if labels.owner_alive({labels.OWNER: owner}):
                continue
        elif labels.owner_alive(container.labels) and not everything:
            continue  # still being made
        if not dry_run:
            remove(engine, name, base)
        removed.append(f"container {name}")
    return removed


def _where(name: str, base: Path) -> str:
    for folder in _folders(name, base):
        sub = folder.parent.name
        if sub == "claimed":
            return "claimed:" + folder.name.partition("@")[2]
        return sub
    return ""

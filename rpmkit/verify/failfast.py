"""Watching the boot: the verdict as soon as it is certain, never later than the deadline.

One command per look (about every 0.07 s, in the instance's shell session)
reads systemd's state, its failed units, the shipped units' properties and
the listening sockets. The
watch ends at once, with a FAIL, when:

- a unit that must run failed, exited, or waits for a restart (`NRestarts`,
  `auto-restart`: any restart fails the check), or nothing will start it;
- a static check failed (a missing user, files with the wrong owner);
- the health poll is done and unhealthy (`unhealthy_threshold` bad answers
  in a row once the service is up, or the start period ended);
- systemd booted into maintenance mode, or a unit the package does not ship
  failed that does not fail on the bare runtime image.

It ends with everything judged when systemd has booted, every unit that must
run runs, the static checks are done and health passed; and at the deadline
(the start period) otherwise, a boot still going being a stuck job.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from rpmkit.checks import Check
from rpmkit.verify import units as systemd
from rpmkit.verify.boot import BOOTED, BROKEN
from rpmkit.verify.evidence import Listener, listeners
from rpmkit.verify.health import HealthResult
from rpmkit.verify.shell import Shell

INTERVAL = 0.05  # seconds between looks, on top of the look itself (~20 ms in the session)
MARK = "@@rpmkit-look@@"
HEALTH_FAILED = "health check failed"


@dataclass(frozen=True)
class Snapshot:
    """One look at the instance."""

    system: str  # systemctl is-system-running
    failed: tuple[str, ...]  # units in the failed state
    units: dict[str, systemd.Unit]
    listening: tuple[Listener, ...]

    @property
    def booted(self) -> bool:
        """systemd finished its boot jobs."""
        return self.system in BOOTED


def look(host: Shell, names: Sequence[str], sockets: bool = True) -> Snapshot:
    """What the watch needs, in one exec; an early-boot answer is mostly empty.

    The manager's own `SystemState` and `NFailedUnits` (systemctl show), the
    failed units' names only when there are any, the units' properties, and
    the listening sockets when `sockets` (~20 ms more).
    """
    props = ",".join(systemd.PROPERTIES)
    script = (
        'state=$(systemctl show -p SystemState -p NFailedUnits 2>/dev/null); echo "$state"; '
        f"echo {MARK}; "
        'case "$state" in *NFailedUnits=0*|"") ;; *) '
        "systemctl list-units --state=failed --plain --no-legend --no-pager 2>/dev/null;; esac; "
        f"echo {MARK}; "
        + (f"systemctl show -p {props} -- {' '.join(['%s'] * len(names))} 2>/dev/null; "
           if names else "")
        + f"echo {MARK}; "
        + ("ss -Hltnp 2>/dev/null" if sockets else "true")
    )  # fmt: skip
    out = host.run(script, *names).stdout
    parts = (out.split(MARK) + ["", "", "", ""])[:4]
    manager = dict(line.partition("=")[::2] for line in parts[0].splitlines() if "=" in line)
    listed = tuple(line.split()[0] for line in parts[1].splitlines() if line.split())
    return Snapshot(
        manager.get("SystemState", "").strip(),
        tuple(u for u in listed if u != "●"),
        systemd.parse_show(parts[2]),
        tuple(listeners(parts[3])),
    )


@dataclass
class Plan:
    """What the watch judges."""

    shipped: list[str]  # the shipped units judged by name
    declared: frozenset[str]  # units declared not started at boot
    ports: tuple[int, ...]  # ports that must listen before bad health answers count
    deadline: float  # time.monotonic() when the start period ends
    sysv_on: Callable[[], set[str] | None] = lambda: set()  # generated units of scripts on
    baseline: Callable[[], frozenset[str]] | None = None  # failed units of the bare image


@dataclass
class Watched:
    """How the watch ended."""

    last: Snapshot
    findings: list[tuple[str, systemd.Finding]]
    booted_after: float | None  # seconds from the start until systemd had booted
    timed_out: bool
    failed_by: str = ""  # what made the verdict certain early ("" when none did)
    broken: list[str] = field(default_factory=list)  # units the package broke (not shipped)
    ours: frozenset[str] = frozenset()  # the shipped units, and those of init scripts on

    @property
    def early(self) -> bool:
        """Ended by a failure before the services had their time: what was still pending
        (a port not listening yet) is not judged. An unhealthy health poll ends it only
        once the services are up, or at its deadline: then everything is judged."""
        return bool(self.failed_by) and self.failed_by != HEALTH_FAILED


def sysv_findings(snap: Snapshot, scripts: set[str]) -> list[tuple[str, systemd.Finding]]:
    """`init script X started at boot`: the unit systemd generated from a script on at boot."""
    out = []
    for unit in sorted(scripts):
        state = snap.units.get(unit)
        if state is None:
            continue
        found = systemd.running(state, systemd.Role(systemd.ENABLED_ROLE), snap.booted)
        if found is not None:
            script = unit.removesuffix(".service")
            name = f"init script {script} started at boot"
            check_id = f"verify.init-script-started:{script}"
            out.append((unit, systemd.Finding(name, found.ok, found.detail, found.final, check_id)))
    return out


def watch(
    host: Shell,
    plan: Plan,
    statics: Sequence[Future[tuple[list[Check], float]]],
    health: Future[HealthResult] | None,
    give_up: threading.Event,
    counting: threading.Event,
) -> Watched:
    """Look until the verdict is certain, everything passed, or the deadline; see the module."""
    start = time.monotonic()
    names = set(plan.shipped)
    booted_at: float | None = None
    bare: frozenset[str] | None = None
    # A finished health poll or static check is looked at at once, not after the pause.
    finished = threading.Event()
    futures: list[Future[Any]] = [*statics, *([health] if health is not None else [])]
    for future in futures:
        future.add_done_callback(lambda _future: finished.set())
    while True:
        finished.clear()
        # None until chkconfig has answered: the look that judges the init scripts' units
        # must come after that, or a script on at boot would go unjudged.
        known = plan.sysv_on()
        scripts = known or set()
        sockets = bool(plan.ports) or booted_at is not None
        snap = look(host, sorted(names | scripts), sockets=sockets)
        names |= {n for n in systemd.related(snap.units) if n.count(".") == 1}
        if snap.booted and booted_at is None:
            booted_at = time.monotonic() - start
        found = systemd.findings(snap.units, plan.shipped, plan.declared, snap.booted)
        found += sysv_findings(snap, scripts)
        broken: list[str] = []
        ours = frozenset(plan.shipped) | scripts
        others = [u for u in snap.failed if u not in ours]
        if snap.booted and others and plan.baseline is not None:
            bare = plan.baseline() if bare is None else bare
            broken = [u for u in others if u not in bare]
        why = _certain(snap, found, statics, health, broken)
        now = time.monotonic()
        if why:
            give_up.set()
            return Watched(snap, found, booted_at, False, why, broken, ours)
        pending = [f for _, f in found if not f.ok]
        if _ready(snap, found, plan):
            counting.set()
        everything = (
            snap.booted
            and not pending
            and known is not None
            and all(f.done() for f in statics)
            and (health is None or health.done())
        )
        if everything or now >= plan.deadline:
            return Watched(snap, found, booted_at, not everything, "", broken, ours)
        finished.wait(INTERVAL)


def _certain(
    snap: Snapshot,
    found: list[tuple[str, systemd.Finding]],
    statics: Sequence[Future[tuple[list[Check], float]]],
    health: Future[HealthResult] | None,
    broken: list[str],
) -> str:
    """What makes a FAIL certain now ("" when nothing does yet)."""
    final = [f"{f.name}: {f.detail}" for _, f in found if not f.ok and f.final]
    if final:
        return final[0]
    for future in statics:
        if future.done():
            bad = [c for c in future.result()[0] if not (c.ok or c.warning)]
            if bad:
                return f"{bad[0].name}: {bad[0].detail}"
    if health is not None and health.done() and not health.result().ok:
        return HEALTH_FAILED
    if snap.system in BROKEN:
        return f"systemd is in {snap.system} mode"
    if broken:
        return f"{', '.join(broken)} failed at boot"
    return ""


def _ready(snap: Snapshot, found: list[tuple[str, systemd.Finding]], plan: Plan) -> bool:
    """The services are up: bad health answers count from now on."""
    if not snap.system or any(u not in snap.units for u in plan.shipped):
        return False
    active = [f for _, f in found if f.name.endswith((" active", " started at boot"))]
    if not active and not snap.booted:
        return False
    ports = {x.port for x in snap.listening}
    return all(f.ok for f in active) and all(p in ports for p in plan.ports)

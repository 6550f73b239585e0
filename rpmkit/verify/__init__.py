"""Verify: boot the installed instance, watch it, check it, and poll its health check.

The health poll starts the moment the install finishes, alongside the boot
(a load balancer does not wait either), and the static checks run side by
side with both. A watch of systemd's own state (`failfast`) ends the check
as soon as its verdict is certain, and at the latest when the start period
(`deadline`) ends; then the units that must run are judged (`units`), the
ports, and the health answer, each failure with evidence that names its
cause (`evidence`). With a settle window, the services are then watched for
that long (`settle`).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from rpmkit.checks import Check
from rpmkit.install.stage import Instance
from rpmkit.verify import boot, failfast, settle, static
from rpmkit.verify import units as systemd
from rpmkit.verify.health import HealthResult, Probe, poll
from rpmkit.verify.judge import health_check, port_checks, socket_checks, unit_checks
from rpmkit.verify.shell import Shell

__all__ = ["Expectations", "Shell", "Verification", "declared_units", "verify"]


@dataclass(frozen=True)
class Expectations:
    """What the instance must show: from the app config, or defaults for a bare RPM."""

    ports: tuple[int, ...] = ()
    users: tuple[str, ...] = ()
    files: tuple[tuple[str, str, str], ...] = ()  # (path, owner, group)
    probe: Probe | None = field(default_factory=Probe)
    settle: float = 0.0  # seconds the services must stay up and healthy after health passed
    not_at_boot: tuple[str, ...] = ()  # units declared as not started at boot
    deadline: float = 30.0  # the start period: seconds from the install's end to a verdict


@dataclass(frozen=True)
class Verification:
    """The checks of the boot, verify and health stages, and each stage's time."""

    checks: tuple[Check, ...]
    timings: dict[str, float]


def declared_units(names: tuple[str, ...]) -> frozenset[str]:
    """Unit names as systemd knows them: a bare name is a service."""
    return frozenset(n if "." in n else f"{n}.service" for n in names)


def verify(
    instance: Instance, expect: Expectations, baseline: Callable[[], frozenset[str]] | None = None
) -> Verification:
    """Boot (if booting), watch and check; never raises for a failed check.

    `baseline` gives the units that fail on the bare runtime image (measured
    once per image); without it, any unit the package does not ship that
    failed at boot fails the check.
    """
    timings: dict[str, float] = {}
    checks: list[Check] = []
    host = Shell(instance)
    declared = declared_units(expect.not_at_boot)
    give_up, counting = threading.Event(), threading.Event()
    pool = ThreadPoolExecutor(max_workers=8)
    result: HealthResult | None = None
    try:
        start = time.monotonic()
        probe = _balancer_probe(instance, expect) if instance.booted else None
        health = None
        if probe is not None:
            url = f"http://{instance.address}:{instance.ports[probe.port]}{probe.path}"
            health = pool.submit(poll, url, probe, give_up, counting)
        tasks = static.tasks(host, instance, expect.users, expect.files, declared)
        statics = [pool.submit(_timed, task) for task in tasks]
        watched = None
        booted_at = start
        if instance.booted:
            plan = failfast.Plan(
                shipped=systemd.judged(instance.units()),
                declared=declared,
                ports=expect.ports,
                deadline=start + expect.deadline,
                sysv_on=partial_sysv(statics),
                baseline=baseline,
            )
            watched = failfast.watch(host, plan, statics, health, give_up, counting)
            watch_end = time.monotonic()
            timings["boot"] = (
                watched.booted_after if watched.booted_after is not None else watch_end - start
            )
            booted_at = start + timings["boot"]
        static_done = start
        for future in statics:
            found, finished = future.result()
            checks += found
            static_done = max(static_done, finished)
        after = time.monotonic()
        if watched is not None:
            booted = _boot_checks(host, watched, expect, baseline)
            checks[:0] = [c.timed(start, booted_at) for c in booted]
            judged = unit_checks(host, pool, watched, expect.deadline)
            if not watched.failed_by:
                judged += socket_checks(host, watched)
            judged += port_checks(host, watched, expect.ports, probe)
            checks += [c.timed(start, time.monotonic()) for c in judged]
        if health is not None:
            result = health.result()
        timings["verify"] = (static_done - start) + (time.monotonic() - after)
        if watched is not None and expect.settle > 0 and _all_held(checks, result):
            t = time.monotonic()
            services = [u for u in systemd.judged(instance.units()) if u.endswith(".service")]
            # SysV scripts run as the units systemd-sysv-generator makes of them.
            services += [f"{name}.service" for name in instance.init_scripts()]
            window = settle.watch(
                instance, services, expect.settle, result.url if result else None, probe
            )
            timings["settle"] = time.monotonic() - t
            checks += [c.timed(t, t + timings["settle"]) for c in window]
    finally:
        # On Ctrl-C too: stop the health poll rather than wait out its deadline.
        give_up.set()
        pool.shutdown(wait=True, cancel_futures=True)
    if result is not None:
        timings["health"] = result.seconds
        line = health_check(host, instance, result, checks, watched)
        checks.append(line.timed(start, start + result.seconds))
    return Verification(tuple(checks), timings)


def partial_sysv(
    statics: list[Future[tuple[list[Check], float]]],
) -> Callable[[], set[str] | None]:
    """The units systemd generates from the init scripts on at boot, once chkconfig answered."""

    def on() -> set[str] | None:
        if not all(f.done() for f in statics):
            return None
        return {
            f"{c.name.split()[2]}.service"
            for f in statics
            for c in f.result()[0]
            if c.name.endswith(static.ON_FOR_RUNLEVEL) and c.ok and "declared" not in c.detail
        }

    return on


def _balancer_probe(instance: Instance, expect: Expectations) -> Probe | None:
    """The probe as the balancer sends it: to the instance's address, within the start period."""
    probe = expect.probe
    if probe is None or probe.port not in instance.ports:
        return None
    address = _instance_address(instance)
    host = address if probe.port == 80 or not address else f"{address}:{probe.port}"
    # One timer: the start period. A probe's own shorter deadline still ends its poll.
    deadline = min(probe.deadline, expect.deadline)
    return dataclasses.replace(
        probe, host=host, deadline=deadline, count_gateway=bool(expect.ports)
    )


def _instance_address(instance: Instance) -> str:
    """The instance's own address (what a balancer connects to), or "" if unknown."""
    from rpmkit.errors import DockerUnavailable

    try:
        return instance.container.address()
    except (KeyError, TypeError, DockerUnavailable):
        return ""


def _boot_checks(
    host: Shell,
    watched: failfast.Watched,
    expect: Expectations,
    baseline: Callable[[], frozenset[str]] | None,
) -> list[Check]:
    snap = watched.last
    if snap.booted or snap.system in boot.BROKEN:
        return boot.booted_check(host, snap.system, snap.failed, set(watched.ours), baseline)
    if watched.timed_out:
        return [boot.not_booted(host, snap.system, expect.deadline, snap.units)]
    return [
        Check(
            "boot", boot.TITLE, False,
            f"still {snap.system or 'starting'} when the check failed (not judged)",
            warning=True, id=boot.BOOT_ID,
        )
    ]  # fmt: skip


def _all_held(checks: list[Check], result: HealthResult | None) -> bool:
    return all(c.ok or c.warning for c in checks) and (result is None or result.ok)


def _timed(task: Callable[[], list[Check]]) -> tuple[list[Check], float]:
    began = time.monotonic()
    found = task()
    finished = time.monotonic()
    return [c.timed(began, finished) for c in found], finished

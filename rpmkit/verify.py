"""Verify: boot the installed instance and check it, and poll the health check.

The health poll starts the moment the install finishes, alongside the boot:
a load balancer does not wait either. Checks that depend on services having
started (units active, ports listening) run after the health poll settles, so
a service that crashes a moment after starting is seen as crashed.
"""

from __future__ import annotations

import re
import shlex
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from functools import partial

from rpmkit import settle
from rpmkit.checks import Check
from rpmkit.engine import Result
from rpmkit.errors import DockerUnavailable
from rpmkit.health import HealthResult, Probe, poll
from rpmkit.install import Instance

BOOT_TIMEOUT = 60
ENGINE_PING = 1.0  # seconds between checks that the engine is still there, while waiting
# The runlevel a server boots to (multi-user.target): SysV scripts must be on in it.
RUNLEVEL = 3
ON_FOR_RUNLEVEL = f"on for runlevel {RUNLEVEL}"


@dataclass(frozen=True)
class Expectations:
    """What the instance must show: from the app config, or defaults for a bare RPM."""

    ports: tuple[int, ...] = ()
    users: tuple[str, ...] = ()
    files: tuple[tuple[str, str, str], ...] = ()  # (path, owner, group)
    probe: Probe | None = field(default_factory=Probe)
    settle: float = 0.0  # seconds the services must stay up and healthy after health passed


@dataclass(frozen=True)
class Verification:
    """The checks of the boot, verify and health stages, and each stage's time."""

    checks: tuple[Check, ...]
    timings: dict[str, float]


class Shell:
    """Commands on the instance, testinfra-style: `run("rpm -q %s", name)` quotes each argument."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance

    def run(self, command: str, *args: str) -> Result:
        """Run `command % quoted(args)` with /bin/sh inside the instance."""
        return self.instance.sh(command % tuple(shlex.quote(a) for a in args))


def verify(instance: Instance, expect: Expectations) -> Verification:
    """Boot (if booting), then run every check; never raises for a failed check."""
    timings: dict[str, float] = {}
    checks: list[Check] = []
    host = Shell(instance)
    give_up = threading.Event()
    # Each check is one or two `docker exec`s: run them side by side.
    pool = ThreadPoolExecutor(max_workers=8)
    try:
        health = None
        health_started = time.monotonic()
        if instance.booted and expect.probe is not None:
            port = instance.ports[expect.probe.port]
            url = f"http://{instance.address}:{port}{expect.probe.path}"
            health = pool.submit(poll, url, expect.probe, give_up)
        start = time.monotonic()
        static = [pool.submit(_timed, task) for task in _static_tasks(host, instance, expect)]
        if instance.booted:
            boot = _wait_booted(instance).timed(start, time.monotonic())
            timings["boot"] = time.monotonic() - start
            checks.append(boot)
            if not (boot.ok or boot.warning):
                give_up.set()
        static_done = start
        for future in static:
            found, finished = future.result()
            checks += found
            static_done = max(static_done, finished)
        # The verify stage's time is the time its checks took: the static ones (run
        # alongside the boot) and the ones after the health poll, not the wait between.
        verify_seconds = static_done - start
        result = _await(health, instance, give_up) if health is not None else None
        after_health = time.monotonic()
        enabled = {c.name.split()[1] for c in checks if c.name.endswith("enabled at boot") and c.ok}
        scripts_on = {
            c.name.split()[2] for c in checks if c.name.endswith(ON_FOR_RUNLEVEL) and c.ok
        }
        if instance.booted:
            # After the health poll settles: a service that crashes a moment after
            # starting has crashed by now.
            running = [pool.submit(_timed, partial(_active, host, u)) for u in sorted(enabled)]
            running += [pool.submit(_timed, partial(_started, host, n)) for n in sorted(scripts_on)]
            running.append(pool.submit(_timed, partial(_ports, host, expect)))
            services = settle.services(instance)
            running.append(pool.submit(_timed, partial(settle.restart_checks, instance, services)))
            for after in running:
                checks += after.result()[0]
        timings["verify"] = verify_seconds + (time.monotonic() - after_health)
        healthy = result is None or result.ok
        if instance.booted and expect.settle > 0 and healthy and _all_held(checks):
            t = time.monotonic()
            watched = settle.watch(
                instance, services, expect.settle, result.url if result else None, expect.probe
            )
            timings["settle"] = time.monotonic() - t
            checks += [c.timed(t, t + timings["settle"]) for c in watched]
    finally:
        # On Ctrl-C too: stop the health poll rather than wait out its deadline.
        give_up.set()
        pool.shutdown(wait=True, cancel_futures=True)
    if result is not None:
        timings["health"] = result.seconds
        health_check = _health_check(host, result, checks)
        checks.append(health_check.timed(health_started, health_started + result.seconds))
    return Verification(tuple(checks), timings)


def _await(
    health: Future[HealthResult], instance: Instance, give_up: threading.Event
) -> HealthResult:
    """The health poll's result; an engine that goes away meanwhile is noticed within a second
    (DockerUnavailable), not at the poll's deadline."""
    while True:
        try:
            return health.result(timeout=ENGINE_PING)
        except FutureTimeout:
            try:
                instance.container.engine_alive()
            except DockerUnavailable:
                give_up.set()
                raise


def _all_held(checks: list[Check]) -> bool:
    return all(c.ok or c.warning for c in checks)


def _timed(task: Callable[[], list[Check]]) -> tuple[list[Check], float]:
    began = time.monotonic()
    found = task()
    finished = time.monotonic()
    return [c.timed(began, finished) for c in found], finished


def _static_tasks(
    host: Shell, instance: Instance, expect: Expectations
) -> list[Callable[[], list[Check]]]:
    tasks: list[Callable[[], list[Check]]] = []
    for rpm in instance.rpms:
        nevra = rpm.nevra
        tasks.append(partial(_package, host, nevra.name, f"{nevra.version}-{nevra.release}"))
    tasks.append(partial(_users, host, instance, expect))
    for path, owner, group in expect.files:
        tasks.append(partial(_declared_file, host, path, owner, group))
    # `systemctl is-enabled` reads the unit links; it needs no running systemd.
    tasks += [partial(_enabled, host, unit) for unit in instance.units()]
    # So does `chkconfig --list`: the runlevel links.
    tasks += [partial(_runlevel_on, host, name) for name in instance.init_scripts()]
    return tasks


def _wait_booted(instance: Instance) -> Check:
    deadline = time.monotonic() + BOOT_TIMEOUT
    state = ""
    while time.monotonic() < deadline:
        left = max(1.0, deadline - time.monotonic())
        state = instance.exec(
            ["systemctl", "is-system-running", "--wait"], timeout=left
        ).stdout.strip()
        if state in ("running", "degraded"):
            break
        time.sleep(0.05)  # systemd not up yet: no bus to ask
    if state == "running":
        return Check("boot", "systemd reached running", True, id=BOOT_ID)
    if state == "degraded":
        failed = instance.exec(["systemctl", "--failed", "--no-legend", "--plain", "--no-pager"])
        names = " ".join(line.split()[0] for line in failed.stdout.splitlines() if line.strip())
        # systemd itself booted; the failed units are checked (and blamed) in verify.
        return Check(
            "boot", "systemd reached running", False, f"degraded: failed {names}",
            warning=True, id=BOOT_ID,
        )  # fmt: skip
    return Check(
        "boot", "systemd reached running", False, f"state {state!r} after {BOOT_TIMEOUT}s",
        id=BOOT_ID,
    )  # fmt: skip


SPLIT = "@@rpmkit-verify rc="
BOOT_ID = "boot.systemd-running"
HEALTH_ID = "health.http"


def _package(host: Shell, name: str, want: str) -> list[Check]:
    """The package at the expected version, and rpm -V minus digests, sizes and times.

    One `docker exec` for both: each exec costs ~70 ms of the engine's time.
    """
    out = host.run(
        "rpm -q --qf '%%{VERSION}-%%{RELEASE}\\n' %s; echo " + SPLIT + "$?; "
        "rpm -V --nofiledigest --nosize --nomtime --nordev --nocaps %s",
        name,
        name,
    )
    query, _, verified = out.stdout.partition(SPLIT)
    rc, _, verified = verified.partition("\n")
    got = query.strip()
    ok = rc.strip() == "0" and got == want
    detail = "" if ok else (got or out.stderr.strip())
    # Config files may be edited by design; anything else deviating is a defect.
    problems = [line for line in verified.splitlines() if line.strip() and " c /" not in line]
    return [
        Check(
            "verify",
            f"package {name} {want} installed",
            ok,
            detail,
            id=f"verify.package-installed:{name}",
        ),  # fmt: skip
        Check(
            "verify",
            f"files of {name} present with their owners and modes",
            not problems,
            "; ".join(problems[:5]),
            id=f"verify.package-files:{name}",
        ),
    ]


def _users(host: Shell, instance: Instance, expect: Expectations) -> list[Check]:
    """The service users exist: the config's, and User= of the unit files the RPM ships.

    Reading the unit files needs no running systemd; one exec does it all.
    """
    units = set(instance.units())
    unit_files = [f.path for f in instance.files if f.path.rsplit("/", 1)[-1] in units]
    names = sorted(expect.users)
    script = (
        "for u in "
        + " ".join(["%s"] * len(names))
        + (
            " $(sed -n 's/^User=//p' " + " ".join(["%s"] * len(unit_files)) + ")"
            if unit_files
            else ""
        )
        + '; do if getent passwd "$u" >/dev/null; then echo "$u yes"; else echo "$u no"; fi; done'
    )
    if not names and not unit_files:
        return []
    out = host.run(script, *names, *unit_files)
    found: dict[str, bool] = {}
    for line in out.stdout.splitlines():
        user, _, answer = line.strip().rpartition(" ")
        if user:
            found[user] = answer == "yes"
    return [
        Check("verify", f"user {user} exists", ok, id=f"verify.user-exists:{user}")
        for user, ok in sorted(found.items())
    ]


def _declared_file(host: Shell, path: str, owner: str, group: str) -> list[Check]:
    out = host.run("stat -c '%%U:%%G' -- %s", path)
    exists = out.rc == 0
    found = out.stdout.strip()
    ok = exists and found == f"{owner}:{group}"
    detail = "" if ok else ("missing" if not exists else f"owned by {found}")
    title = f"{path} exists, owned by {owner}:{group}"
    return [Check("verify", title, ok, detail, id=f"verify.file-owned:{path}")]


# What `systemctl is-enabled` prints for a unit file (anything else is an error).
UNIT_FILE_STATES = frozenset(
    {
        "enabled", "enabled-runtime", "linked", "linked-runtime", "alias", "masked",
        "masked-runtime", "static", "indirect", "disabled", "generated", "transient", "bad",
        "not-found",
    }
)  # fmt: skip


def _enabled(host: Shell, unit: str) -> list[Check]:
    # systemctl directly, not testinfra's Service module: choosing that module
    # probes the init system with half a dozen sequential execs (~0.4 s).
    # This runs while systemd boots, when systemctl may find no bus yet and
    # print an error instead of a state: ask again until it answers.
    deadline = time.monotonic() + 10
    state = ""
    while True:
        state = host.run("systemctl is-enabled %s", unit).stdout.strip()
        if state in UNIT_FILE_STATES or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if state in ("enabled", "enabled-runtime", "static", "alias", "indirect", "generated"):
        return [Check("verify", f"unit {unit} enabled at boot", True, state, id=_enabled_id(unit))]
    return [_not_enabled(unit)]


def _not_enabled(unit: str) -> Check:
    return Check(
        "verify",
        f"unit {unit} enabled at boot",
        False,
        "installed but not enabled at boot: nothing starts it on a new instance",
        warning=True,
        id=_enabled_id(unit),
    )


def _enabled_id(unit: str) -> str:
    return f"verify.unit-enabled:{unit}"


def _runlevel_on(host: Shell, name: str) -> list[Check]:
    """A SysV init script registered with chkconfig and on for the boot runlevel."""
    title = f"init script {name} {ON_FOR_RUNLEVEL}"
    check_id = f"verify.init-script-on:{name}"
    out = host.run("chkconfig --list %s", name)
    if out.rc != 0:
        detail = (
            "chkconfig is not installed: nothing registers it (does the package have "
            "`Requires(post): chkconfig`?)"
            if out.rc == 127
            else f"not registered with chkconfig: nothing starts it at boot (%post must run "
            f"`chkconfig --add {name}`)"
        )
        evidence = f"$ chkconfig --list {name}\n{(out.stdout + out.stderr).rstrip()}"
        return [Check("verify", title, False, detail, evidence, id=check_id)]
    if re.search(rf"\b{RUNLEVEL}:on\b", out.stdout):
        return [Check("verify", title, True, id=check_id)]
    # Registered but off: a package may ship a service off on purpose (chkconfig: -).
    return [
        Check(
            "verify",
            title,
            False,
            "registered with chkconfig but off: nothing starts it on a new instance",
            f"$ chkconfig --list {name}\n{out.stdout.rstrip()}",
            warning=True,
            id=check_id,
        )
    ]


def _started(host: Shell, name: str) -> list[Check]:
    """A SysV script on for the runlevel ran at boot: systemd's unit generated from it is active."""
    return _active(
        host, f"{name}.service", f"init script {name} started at boot",
        f"verify.init-script-started:{name}",
    )  # fmt: skip


def _active(
    host: Shell, unit: str, label: str | None = None, check_id: str | None = None
) -> list[Check]:
    state = host.run("systemctl is-active %s", unit).stdout.strip()
    active = state == "active"
    return [
        Check(
            "verify",
            label or f"unit {unit} active",
            active,
            "" if active else state,
            "" if active else unit_evidence(host, unit),
            id=check_id or f"verify.unit-active:{unit}",
        )
    ]


def unit_evidence(host: Shell, unit: str) -> str:
    """`systemctl status` and the journal tail of a unit."""
    status = host.run("systemctl status --no-pager -l -n 0 %s", unit).stdout
    journal = host.run("journalctl -u %s -n 25 --no-pager -o cat", unit).stdout
    return f"$ systemctl status {unit}\n{status.rstrip()}\n$ journalctl -u {unit}\n{journal}"


def _ports(host: Shell, expect: Expectations) -> list[Check]:
    if not expect.ports:
        return []
    listening = listening_ports(host.run("ss -Hltn").stdout)
    checks = []
    for port in expect.ports:
        ok = port in listening
        checks.append(
            Check(
                "verify",
                f"port {port} listening",
                ok,
                "" if ok else "nothing listens",
                id=f"verify.port-listening:{port}",
            )  # fmt: skip
        )
    return checks


def listening_ports(ss_output: str) -> set[int]:
    """The TCP ports in `ss -Hltn` output (State Recv-Q Send-Q Local:Port Peer:Port)."""
    ports = set()
    for line in ss_output.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[3].rpartition(":")[2].isdigit():
            ports.add(int(fields[3].rpartition(":")[2]))
    return ports


def _health_check(host: Shell, result: HealthResult, checks: list[Check]) -> Check:
    if result.ok:
        return Check("health", "health check", True, result.summary(), id=HEALTH_ID)
    evidence = [f"last status: {result.status}", f"last body: {result.body[:500]!r}"]
    log = host.run("tail -n 20 /var/log/nginx/error.log 2>/dev/null").stdout
    if log.strip():
        evidence.append(f"$ tail /var/log/nginx/error.log\n{log.rstrip()}")
    detail = result.summary()
    causes = [
        f"{c.name.split()[1]} not enabled at boot"
        for c in checks
        if c.warning and not c.ok and c.name.startswith("unit ") and "enabled at boot" in c.name
    ]
    causes += [
        f"{c.name.split()[2]} not {ON_FOR_RUNLEVEL}"
        for c in checks
        if not c.ok and c.name.startswith("init script ") and c.name.endswith(ON_FOR_RUNLEVEL)
    ]
    if causes:
        detail += f"; likely cause: {', '.join(causes)}"
    return Check("health", "health check", False, detail, "\n".join(evidence), id=HEALTH_ID)

"""The report lines of a watched boot: units, sockets, ports and health, with their evidence.

A line that the watch could not settle because another check had already
failed is reported as not judged (a warning), never as a second cause.
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import Executor

from rpmkit.checks import Check
from rpmkit.install.stage import Instance
from rpmkit.verify import units as systemd
from rpmkit.verify.evidence import (
    SS_AS_EACH_USER,
    journal,
    merged_listeners,
    named_listeners,
    port_detail,
    readable,
)
from rpmkit.verify.failfast import MARK, Watched
from rpmkit.verify.health import HealthResult, Probe
from rpmkit.verify.shell import Shell

NOT_JUDGED = "not judged: the check had already failed"
HEALTH_ID = "health.http"
LOOPBACK_ONLY = (
    "listening on 127.0.0.1 only: the load balancer connects to the instance's address "
    "(bind 0.0.0.0)"
)


EVIDENCE = (
    "journalctl -b -u %s --no-pager -o cat -n 2000; echo " + MARK + "; "
    "systemctl status --no-pager -l -n 0 %s; echo " + MARK + "; "
    "systemd-analyze verify %s 2>&1"
)


def unit_evidence(host: Shell, unit: str) -> str:
    """The unit's own messages first (its journal), then `systemctl status`, then what
    `systemd-analyze verify` says of its unit file (a value cut at a space, say); one exec."""
    out = host.run(EVIDENCE, unit, unit, unit).stdout
    logged, status, analyzed = (out.split(MARK) + ["", "", ""])[:3]
    lines = readable(logged, 40) or ["(no entries)"]
    parts = [f"$ journalctl -b -u {unit}", *lines, f"$ systemctl status {unit}", status.strip()]
    mentions = [line for line in analyzed.splitlines() if unit in line]
    if mentions:
        parts += [f"$ systemd-analyze verify {unit}", *mentions[:10]]
    return "\n".join(parts)


def unit_checks(host: Shell, pool: Executor, watched: Watched, deadline: float) -> list[Check]:
    """One line per finding; failing units get their evidence, gathered side by side."""
    rows: list[tuple[str, Check]] = []
    for unit, found in watched.findings:
        if found.ok:
            rows.append((unit, Check("verify", found.name, True, found.detail, id=found.id)))
        elif not found.final and watched.early:
            detail = f"{found.detail} ({NOT_JUDGED})"
            check = Check("verify", found.name, False, detail, warning=True, id=found.id)
            rows.append((unit, check))
        else:
            detail = found.detail if found.final else f"{found.detail} after {deadline:g}s"
            rows.append((unit, Check("verify", found.name, False, detail, id=found.id)))
    # A unit that never ran has no messages of its own: its line says why it did not
    # (unless systemd could not load it: then systemd-analyze says why).
    ran = {
        u
        for u, s in watched.last.units.items()
        if s.started or s.active != "inactive" or s.load not in ("loaded", "")
    }
    failing = list(dict.fromkeys(u for u, c in rows if not (c.ok or c.warning) and u in ran))
    evidence = {u: pool.submit(unit_evidence, host, u) for u in failing}
    shown: set[str] = set()
    out = []
    for unit, check in rows:
        if unit in evidence and not (check.ok or check.warning) and unit not in shown:
            shown.add(unit)  # once per unit: its later lines refer to it
            check = dataclasses.replace(check, evidence=evidence[unit].result())
        out.append(check)
    return out


def socket_checks(host: Shell, watched: Watched) -> list[Check]:
    """`socket X accepts connections`: each stream socket that runs at boot takes a connection,
    and the service it activates does not fail (systemd.socket(5))."""
    checks = []
    for unit, found in watched.findings:
        state = watched.last.units.get(unit)
        if state is None or state.kind != "socket" or not found.name.endswith(" active"):
            continue
        if not found.ok:
            continue
        for listen in state.listen:
            address, _, kind = listen.rpartition(" ")
            if kind != "(Stream)":
                continue
            checks.append(_accepts(host, state, address))
    return checks


def _accepts(host: Shell, socket: systemd.Unit, address: str) -> Check:
    name = f"socket {socket.id} accepts connections on {address}"
    check_id = f"verify.socket-accepts:{socket.id}:{address}"
    if address.startswith(("/", "@")):
        script = (
            "timeout 3 python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); "
            "s.connect(sys.argv[1])' %s"
        )
        out = host.run(script, address.replace("@", "\0", 1))
    else:
        where, _, port = address.rpartition(":")
        target = "127.0.0.1" if where in ("[::]", "0.0.0.0", "*", "") else where.strip("[]")
        out = host.run("timeout 3 bash -c 'exec 3<>/dev/tcp/$1/$2' _ %s %s", target, port)
    if not out.ok:
        said = f"connecting failed: {out.output.strip()[:200]}"
        return Check("verify", name, False, said, id=check_id)
    # The connection made systemd start the service: it must not fail doing so. A
    # fixed pause was not enough on a loaded machine (the service had not yet failed):
    # it has to hold for ACTIVATION_STEADY seconds, within ACTIVATION_WAIT.
    names = list(socket.triggers)
    if names:
        bad = _activated(host, names)
        if bad is not None:
            unit, why = bad
            return Check(
                "verify", name, False, f"accepted, but {unit.id} {why}: {unit.describe()}",
                journal(host, unit.id), id=check_id,
            )  # fmt: skip
    return Check("verify", name, True, ", ".join(names), id=check_id)


ACTIVATION_WAIT = 10.0  # seconds an activated service has to start (a client would give up)
ACTIVATION_STEADY = 1.0  # seconds it must stay up (or have ended with success) to pass
ACTIVATION_POLL = 0.1  # seconds between looks


def _activated(host: Shell, names: list[str]) -> tuple[systemd.Unit, str] | None:
    """The activated unit that failed or never started, and why; None once all held."""
    start = time.monotonic()
    steady_since: float | None = None
    pids: dict[str, int] = {}
    query = (
        "systemctl show -p " + ",".join(systemd.PROPERTIES) + " -- " + " ".join(["%s"] * len(names))
    )
    while True:
        units = list(systemd.parse_show(host.run(query, *names).stdout).values())
        now = time.monotonic()
        for unit in units:
            if unit.active == "failed" or unit.restarts or unit.sub == "auto-restart":
                return unit, "failed when activated"
            # Ended without taking the connection, so the socket started it again (a
            # restart NRestarts does not count): a new main process.
            first = pids.setdefault(unit.id, unit.main_pid)
            if first and unit.main_pid and unit.main_pid != first:
                why = f"ended and was activated again (main pid {first}, then {unit.main_pid})"
                return unit, why
        # Started (systemd has seen the connection) and up, or started and ended well.
        up = all(
            u.started
            and (u.active == "active" or (u.active == "inactive" and u.result == "success"))
            for u in units
        )
        steady_since = (steady_since or now) if up and units else None
        if steady_since is not None and now - steady_since >= ACTIVATION_STEADY:
            return None
        if now - start >= ACTIVATION_WAIT:
            waiting = next((u for u in units if not u.started or u.active != "active"), None)
            if waiting is None:
                return None
            return waiting, f"did not start within {ACTIVATION_WAIT:.0f} s of being activated"
        time.sleep(ACTIVATION_POLL)


def port_checks(
    host: Shell, watched: Watched, ports: tuple[int, ...], probe: Probe | None
) -> list[Check]:
    """Each declared port has a listener; the balancer's port is reachable from outside."""
    listening = list(watched.last.listening)
    at_probe = [x for x in listening if probe is not None and x.port == probe.port]
    loopback_only = bool(at_probe) and all(x.loopback for x in at_probe)
    missing = any(p not in {x.port for x in listening} for p in ports)
    if loopback_only or (missing and not watched.early):
        listening = named_listeners(host)  # the processes' names, for the evidence
    listing = "$ ss -ltnp\n" + "\n".join(str(x) for x in listening)
    checks = []
    for port in ports:
        here = [x for x in listening if x.port == port]
        check_id = f"verify.port-listening:{port}"
        if here:
            checks.append(Check("verify", f"port {port} listening", True, id=check_id))
            continue
        detail = port_detail(port, listening, ports)
        early = watched.early
        checks.append(
            Check(
                "verify", f"port {port} listening", False,
                f"{detail} ({NOT_JUDGED})" if early else detail, listing, warning=early,
                id=check_id,
            )
        )  # fmt: skip
    if probe is not None and loopback_only:
        checks.append(
            Check(
                "verify", f"port {probe.port} reachable from outside the instance", False,
                LOOPBACK_ONLY, listing, id=f"verify.port-reachable:{probe.port}",
            )
        )  # fmt: skip
    return checks


def health_check(
    host: Shell,
    instance: Instance,
    result: HealthResult,
    checks: list[Check],
    watched: Watched | None,
) -> Check:
    """The health line; when it fails, the services' own journals lead its evidence."""
    if result.ok:
        return Check("health", "health check", True, result.summary(), id=HEALTH_ID)
    if result.stopped:
        return Check("health", "health check", False, result.summary(), warning=True, id=HEALTH_ID)
    evidence = [f"last status: {result.status}", f"last body: {result.body[:500]!r}"]
    services = [u for u in systemd.judged(instance.units()) if u.endswith(".service")][:3]
    # One exec for all of it: the services' journals, nginx's error log, what listens.
    script = "".join(
        f"journalctl -b -u %s --no-pager -o cat -n 2000; echo {MARK}; " for _ in services
    )
    script += f"tail -n 200 /var/log/nginx/error.log 2>/dev/null; echo {MARK}; {SS_AS_EACH_USER}"
    parts = host.run(script, *services).stdout.split(MARK)
    for unit, logged in zip(services, parts, strict=False):
        evidence += [f"$ journalctl -b -u {unit}", *(readable(logged, 30) or ["(no entries)"])]
    log = parts[len(services)] if len(parts) > len(services) else ""
    if log.strip():
        evidence.append("$ tail /var/log/nginx/error.log\n" + "\n".join(readable(log, 10)))
    if watched is not None:
        found = merged_listeners(parts[-1]) if len(parts) > len(services) + 1 else []
        evidence.append("$ ss -ltnp\n" + "\n".join(str(x) for x in found))
    causes = [
        c.name.removeprefix("unit ")
        .removesuffix(" at boot")
        .replace(" enabled", " not enabled at boot")
        for c in checks
        if not c.ok and c.name.startswith("unit ") and c.name.endswith("enabled at boot")
    ]
    causes += [
        c.name.removeprefix("init script ").replace(" on for", " not on for")
        for c in checks
        if not c.ok and c.name.startswith("init script ") and " on for runlevel " in c.name
    ]
    causes += [c.detail.split(":")[0] + f" on port {c.name.split()[1]}" for c in checks
               if not c.ok and c.name.endswith("reachable from outside the instance")]  # fmt: skip
    detail = result.summary()
    if causes:
        detail += f"; likely cause: {', '.join(causes)}"
    return Check("health", "health check", False, detail, "\n".join(evidence), id=HEALTH_ID)

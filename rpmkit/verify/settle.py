"""Crash loops: the settle window after health passes.

A service that dies every few seconds and is restarted by systemd can answer
one health check and look fine. systemd counts its restarts (`NRestarts`,
systemd.exec(5) / `systemctl show`): any restart seen during the check fails
it, at every tier (`units.restarted`). With a settle window (`--settle SECONDS`, config
`[check] settle`), the service must also stay up, with the same main PID and
no restart, and its health check keep passing, for that long after health
first passed. A load balancer keeps a target only while it stays healthy;
a crash loop shows only after the first crash.
"""

from __future__ import annotations

import time

from rpmkit.checks import Check
from rpmkit.install.stage import Instance
from rpmkit.verify.evidence import readable
from rpmkit.verify.health import Probe, poll_once
from rpmkit.verify.units import PROPERTIES, Unit, parse_show

INTERVAL = 0.5  # seconds between looks during the settle window


def states(instance: Instance, units: list[str]) -> dict[str, Unit]:
    """The services' states, in one exec."""
    if not units:
        return {}
    result = instance.exec(["systemctl", "show", "-p", ",".join(PROPERTIES), "--", *units])
    return parse_show(result.stdout)


def watch(
    instance: Instance, units: list[str], seconds: float, url: str | None, probe: Probe | None
) -> list[Check]:
    """Watch the services (and health) for `seconds`; one check for the whole window.

    Fails at the first restart, main PID change, unit leaving `active`, or
    health answer other than the expected status.
    """
    title = f"services stayed up and healthy for the {seconds:g}s settle window"
    # Services that run: one a trigger starts now and then (a timer's oneshot) is not watched.
    before = {u: s for u, s in states(instance, units).items() if s.active == "active"}
    deadline = time.monotonic() + seconds
    while True:
        changed = _changed(instance, units, before, title)
        if changed is not None:
            return [changed]
        if url is not None and probe is not None:
            answer = poll_once(url, probe)
            if answer != probe.expected_status:
                # Usually the service just died: name that (an OOM kill, a crash) if systemd
                # has seen it by now, rather than the balancer-side symptom.
                time.sleep(INTERVAL)
                changed = _changed(instance, units, before, title)
                if changed is not None:
                    return [changed]
                return [
                    Check(
                        "settle", title, False,
                        f"health answered {answer or 'nothing'} during the settle window, "
                        f"not {probe.expected_status}", id=SETTLED_ID,
                    )
                ]  # fmt: skip
        if time.monotonic() >= deadline:
            return [
                Check("settle", title, True, f"{len(before)} service(s) watched", id=SETTLED_ID)
            ]
        time.sleep(min(INTERVAL, max(0.0, deadline - time.monotonic())))


def _changed(
    instance: Instance, units: list[str], before: dict[str, Unit], title: str
) -> Check | None:
    """A failed check naming the first watched service that left `active` or restarted."""
    now = states(instance, units)
    for unit, was in before.items():
        state = now.get(unit)
        if state is None or state.active != "active":
            return _failed(instance, title, unit, f"left active: {_desc(state)}")
        if state.restarts != was.restarts or state.main_pid != was.main_pid:
            return _failed(
                instance, title, unit, f"restarted during the settle window ({_desc(state)})"
            )
    return None


# One test for the whole window, whatever its length (the title names the seconds).
SETTLED_ID = "settle.services-stayed-up"


def _desc(state: Unit | None) -> str:
    return state.describe() if state is not None else "unit gone"


def _failed(instance: Instance, title: str, unit: str, why: str) -> Check:
    return Check("settle", title, False, f"{unit} {why}", _journal(instance, unit), id=SETTLED_ID)


def _journal(instance: Instance, unit: str) -> str:
    out = instance.exec(["journalctl", "-u", unit, "-b", "-n", "2000", "--no-pager", "-o", "cat"])
    return "\n".join([f"$ journalctl -b -u {unit}", *readable(out.stdout, 30)])

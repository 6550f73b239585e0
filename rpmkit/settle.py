"""Crash loops: restart counts at the verdict, and the settle window after health passes.

A service that dies every few seconds and is restarted by systemd can answer
one health check and look fine. systemd counts its restarts (`NRestarts`,
systemd.exec(5) / `systemctl show`): any restart seen during the check fails
it, at every tier. With a settle window (`--settle SECONDS`, config
`[check] settle`), the service must also stay up, with the same main PID and
no restart, and its health check keep passing, for that long after health
first passed. A load balancer keeps a target only while it stays healthy;
a crash loop shows only after the first crash.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rpmkit.checks import Check
from rpmkit.health import Probe, poll_once
from rpmkit.install import Instance

PROPERTIES = ("Id", "NRestarts", "ActiveState", "SubState", "MainPID", "Result")
INTERVAL = 0.5  # seconds between looks during the settle window


@dataclass(frozen=True)
class UnitState:
    """What `systemctl show` says of a service."""

    unit: str
    restarts: int
    active: str
    sub: str
    main_pid: int
    result: str

    def describe(self) -> str:
        """`active (running), pid 123, 2 restarts`."""
        return (
            f"{self.active} ({self.sub}), main pid {self.main_pid or 'none'}, "
            f"{self.restarts} restart{'s' if self.restarts != 1 else ''}, result {self.result}"
        )


def parse_show(text: str) -> dict[str, UnitState]:
    """`systemctl show -p ... a.service b.service` output: blocks of KEY=VALUE lines."""
    found: dict[str, UnitState] = {}
    for block in text.strip().split("\n\n"):
        values = dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line)
        unit = values.get("Id", "")
        if not unit:
            continue
        found[unit] = UnitState(
            unit,
            int(values["NRestarts"]) if values.get("NRestarts", "").isdigit() else 0,
            values.get("ActiveState", ""),
            values.get("SubState", ""),
            int(values["MainPID"]) if values.get("MainPID", "").isdigit() else 0,
            values.get("Result", ""),
        )
    return found


def states(instance: Instance, units: list[str]) -> dict[str, UnitState]:
    """The services' states, in one exec."""
    if not units:
        return {}
    result = instance.exec(["systemctl", "show", "-p", ",".join(PROPERTIES), "--", *units])
    return parse_show(result.stdout)


def services(instance: Instance) -> list[str]:
    """The service units the package ships."""
    return [u for u in instance.units() if u.endswith(".service")]


def restart_checks(instance: Instance, units: list[str]) -> list[Check]:
    """One check per service: no restart since boot (systemd's NRestarts)."""
    checks = []
    for unit, state in sorted(states(instance, units).items()):
        ok = state.restarts == 0
        checks.append(
            Check(
                "verify",
                f"unit {unit} not restarted",
                ok,
                ""
                if ok
                else f"restarted {state.restarts} times by systemd: a crash loop "
                f"({state.describe()})",
                "" if ok else _journal(instance, unit),
                id=f"verify.unit-not-restarted:{unit}",
            )
        )
    return checks


def watch(
    instance: Instance, units: list[str], seconds: float, url: str | None, probe: Probe | None
) -> list[Check]:
    """Watch the services (and health) for `seconds`; one check for the whole window.

    Fails at the first restart, main PID change, unit leaving `active`, or
    health answer other than the expected status.
    """
    title = f"services stayed up and healthy for the {seconds:g}s settle window"
    before = states(instance, units)
    deadline = time.monotonic() + seconds
    while True:
        now = states(instance, units)
        for unit, was in before.items():
            state = now.get(unit)
            if state is None or state.active != "active":
                return [_failed(instance, title, unit, f"left active: {_desc(state)}")]
            if state.restarts != was.restarts or state.main_pid != was.main_pid:
                return [
                    _failed(
                        instance, title, unit,
                        f"restarted during the settle window ({_desc(state)})",
                    )
                ]  # fmt: skip
        if url is not None and probe is not None:
            answer = poll_once(url, probe)
            if answer != probe.expected_status:
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


# One test for the whole window, whatever its length (the title names the seconds).
SETTLED_ID = "settle.services-stayed-up"


def _desc(state: UnitState | None) -> str:
    return state.describe() if state is not None else "unit gone"


def _failed(instance: Instance, title: str, unit: str, why: str) -> Check:
    return Check("settle", title, False, f"{unit} {why}", _journal(instance, unit), id=SETTLED_ID)


def _journal(instance: Instance, unit: str) -> str:
    out = instance.exec(["journalctl", "-u", unit, "-b", "-n", "30", "--no-pager", "-o", "cat"])
    return f"$ journalctl -u {unit}\n{out.stdout.rstrip()}"

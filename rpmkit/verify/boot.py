"""The boot: systemd's own state, the jobs it is stuck on, and the units it failed.

`systemctl is-system-running` says `running` or `degraded` once every boot
job is done (systemctl(1)). A boot that never gets there is stuck on a start
job (`systemctl list-jobs`): a `Type=notify` service that never sends
READY=1, a `Type=forking` one whose `PIDFile=` never appears. The verdict
names that job and the unit's own messages.

A degraded boot fails the check when a unit failed that does not fail on the
bare runtime image (the baseline, measured once per image): the package broke
it (nginx refusing the package's config, for one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rpmkit.checks import Check
from rpmkit.verify.evidence import first_lines, journal
from rpmkit.verify.shell import Shell
from rpmkit.verify.units import Unit

BOOTED = ("running", "degraded")
# systemd's states when the boot itself went wrong (emergency or rescue mode).
BROKEN = ("maintenance",)
TITLE = "systemd reached running"
BOOT_ID = "boot.systemd-running"
# Hints read from a stuck unit's own type and messages.
STUCK_HINTS = (
    ("notify", "", "Type=notify: the service never sent READY=1 (sd_notify), so systemd waits"),
    ("forking", "PID file", "Type=forking: PIDFile= names a file the service never writes"),
)


def stuck_jobs(list_jobs: str) -> list[tuple[str, str, str]]:
    """(unit, job type, state) of each job in `systemctl list-jobs --no-legend` output."""
    jobs = []
    for line in list_jobs.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[0].isdigit():
            jobs.append((fields[1], fields[2], fields[3]))
    return jobs


def not_booted(host: Shell, state: str, seconds: float, units: dict[str, Unit]) -> Check:
    """The boot check when systemd did not finish booting in time: the stuck jobs, named."""
    listing = host.run("systemctl list-jobs --no-legend --no-pager").stdout
    jobs = stuck_jobs(listing)
    running = [j for j in jobs if j[2] == "running"] or jobs
    if not running:
        detail = f"systemd state {state or 'unknown'!r} after {seconds:.0f}s"
        return Check("boot", TITLE, False, detail, _system_journal(host), id=BOOT_ID)
    named = ", ".join(f"the {kind} job of {unit}" for unit, kind, _ in running[:5])
    evidence = [f"$ systemctl list-jobs\n{listing.rstrip()}"]
    hints = []
    for unit, _, _ in running[:3]:
        log = journal(host, unit)
        evidence.append(log)
        kind = units[unit].type if unit in units else ""
        for want, said, hint in STUCK_HINTS:
            if kind == want and said in log:
                hints.append(f"{unit}: {hint}")
    detail = f"boot stuck after {seconds:.0f}s: systemd still runs {named}"
    if hints:
        detail += "; " + "; ".join(hints)
    return Check("boot", TITLE, False, detail, "\n".join(evidence), id=BOOT_ID)


def _system_journal(host: Shell) -> str:
    out = host.run("journalctl -b -n 30 --no-pager -o cat").stdout
    return f"$ journalctl -b\n{out.rstrip()}"


def booted_check(
    host: Shell,
    state: str,
    failed: Iterable[str],
    ours: set[str],
    baseline: Callable[[], frozenset[str]] | None,
) -> list[Check]:
    """The boot check once systemd finished booting, and one check per unit the package broke.

    Failed units the package ships are judged (and blamed) in verify; any
    other failed unit not failed on the bare runtime image fails here.
    """
    if state in BROKEN:
        said = f"systemd is in {state} mode"
        return [Check("boot", TITLE, False, said, _system_journal(host), id=BOOT_ID)]
    if state == "running":
        return [Check("boot", TITLE, True, id=BOOT_ID)]
    failed = sorted(set(failed))
    others = [u for u in failed if u not in ours]
    bare = baseline() if (others and baseline is not None) else frozenset()
    broken = [u for u in others if u not in bare]
    # systemd itself booted: the failed units are blamed in their own lines.
    said = f"degraded: failed {' '.join(failed)}"
    checks = [Check("boot", TITLE, False, said, warning=True, id=BOOT_ID)]
    for unit in broken:
        log = journal(host, unit)
        emerg = first_lines(log, "[emerg]")
        detail = "failed at boot; it does not fail on the bare runtime image: the package broke it"
        if emerg:
            detail += f" ({emerg[0]})"
        checks.append(
            Check(
                "boot",
                f"unit {unit} not failed",
                False,
                detail,
                "\n".join([*emerg, log]),
                id=f"boot.unit-not-failed:{unit}",
            )
        )
    return checks

"""systemd units: what `systemctl show` says of each, and what a shipped unit must be.

A unit runs on a new instance only when something starts it at boot
(systemd.unit(5), systemd.special(7)):

- it is enabled: its `[Install]` links exist (`UnitFileState=enabled`);
- a trigger that is started itself activates it: a `.timer`, `.socket` or
  `.path` unit (`TriggeredBy=`);
- a unit that is started wants or requires it (`WantedBy=`, `RequiredBy=`).

Amazon Linux's default preset disables every unit no preset names
(systemd.preset(5)), so a unit nothing starts never runs there: that fails the
check unless the config declares it (`enabled = false` on a service,
`[check] not_at_boot`, `--not-at-boot`). Template units (`name@.service`) are
judged through the instances their triggers make, not by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

PROPERTIES = (
    "Id", "LoadState", "UnitFileState", "ActiveState", "SubState", "Result", "NRestarts",
    "MainPID", "Type", "TriggeredBy", "Triggers", "WantedBy", "RequiredBy", "BoundBy",
    "NextElapseUSecRealtime", "NextElapseUSecMonotonic", "Listen", "ExecMainStatus",
    "InactiveExitTimestampMonotonic",
)  # fmt: skip
# `systemctl is-enabled` / UnitFileState values that start a unit at boot by its own links.
ENABLED = frozenset({"enabled", "enabled-runtime", "alias", "generated"})
TRIGGERS = ("timer", "socket", "path")
# How a shipped unit comes to run on a new instance.
ENABLED_ROLE, TRIGGERED, WANTED, DECLARED, NOTHING, MASKED = (
    "enabled", "triggered", "wanted", "declared", "nothing", "masked",
)  # fmt: skip


@dataclass(frozen=True)
class Unit:
    """One unit as `systemctl show` reports it."""

    id: str
    load: str = ""  # loaded, not-found, bad-setting, masked, ...
    file_state: str = ""  # UnitFileState: enabled, disabled, static, indirect, masked, ...
    active: str = ""  # ActiveState
    sub: str = ""  # SubState: running, exited, dead, auto-restart, listening, waiting, ...
    result: str = ""
    restarts: int = 0  # NRestarts: automatic restarts since the unit was loaded
    main_pid: int = 0
    type: str = ""  # services: simple, exec, forking, oneshot, notify, ...
    triggered_by: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    wanted_by: tuple[str, ...] = ()  # WantedBy, RequiredBy and BoundBy together
    next_elapse: str = ""  # timers: when it fires next ("" when nothing is scheduled)
    listen: tuple[str, ...] = ()  # sockets: "[::]:9090 (Stream)", "/run/x.sock (Stream)"
    exit_status: str = ""  # ExecMainStatus
    started: bool = False  # left the inactive state at least once since it was loaded

    @property
    def kind(self) -> str:
        """service, socket, timer, path, target, ..."""
        return self.id.rpartition(".")[2]

    def describe(self) -> str:
        """`failed (failed), main pid none, 5 restarts, result exit-code`."""
        text = f"{self.active or 'unknown'} ({self.sub or '?'})"
        if self.kind == "service":
            text += (
                f", main pid {self.main_pid or 'none'}, "
                f"{self.restarts} restart{'s' if self.restarts != 1 else ''}"
            )
        if self.result and self.result != "success":
            text += f", result {self.result}"
        return text


def parse_show(text: str) -> dict[str, Unit]:
    """`systemctl show -p ... A B` output: one block of KEY=VALUE lines per unit."""
    found: dict[str, Unit] = {}
    for block in text.strip().split("\n\n"):
        values: dict[str, list[str]] = {}
        for line in block.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values.setdefault(key, []).append(value)
        if values.get("Id", [""])[0]:
            unit = _unit(values)
            found[unit.id] = unit
    return found


def _unit(values: dict[str, list[str]]) -> Unit:
    def one(key: str) -> str:
        return values.get(key, [""])[0]

    def words(*keys: str) -> tuple[str, ...]:
        return tuple(w for k in keys for v in values.get(k, []) for w in v.split())

    return Unit(
        id=one("Id"),
        load=one("LoadState"),
        file_state=one("UnitFileState"),
        active=one("ActiveState"),
        sub=one("SubState"),
        result=one("Result"),
        restarts=_int(one("NRestarts")),
        main_pid=_int(one("MainPID")),
        type=one("Type"),
        triggered_by=words("TriggeredBy"),
        triggers=words("Triggers"),
        wanted_by=words("WantedBy", "RequiredBy", "BoundBy"),
        next_elapse=_next_elapse(one("NextElapseUSecRealtime"), one("NextElapseUSecMonotonic")),
        listen=tuple(v for v in values.get("Listen", []) if v),
        exit_status=one("ExecMainStatus"),
        started=_int(one("InactiveExitTimestampMonotonic")) > 0,
    )


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _next_elapse(realtime: str, monotonic: str) -> str:
    # systemd prints "n/a", "infinity" or nothing for "not scheduled".
    for value in (realtime, monotonic):
        if value and value not in ("n/a", "infinity", "0"):
            return value
    return ""


def judged(shipped: Iterable[str]) -> list[str]:
    """The shipped units judged by name: every one but templates (`name@.service`)."""
    return sorted(u for u in shipped if "@." not in u)


@dataclass(frozen=True)
class Role:
    """How a shipped unit comes to run on a new instance, and through which units."""

    how: str  # ENABLED_ROLE, TRIGGERED, WANTED, DECLARED, NOTHING, MASKED
    by: tuple[str, ...] = ()
    certain: bool = True  # False: something may still start it (the boot is not over)


def role(unit: Unit, units: Mapping[str, Unit], declared: frozenset[str], booted: bool) -> Role:
    """How `unit` runs on a new instance, from its own state and its triggers' and wanters'.

    `booted`: systemd has finished its boot jobs, so whatever was to start has started.
    """
    if unit.file_state == "masked" or unit.load == "masked":
        return Role(DECLARED if unit.id in declared else MASKED)
    if unit.file_state in ENABLED:
        return Role(ENABLED_ROLE)
    starters = [t for t in unit.triggered_by if _starts(units.get(t))]
    if starters:
        return Role(TRIGGERED, tuple(starters))
    wanters = [w for w in unit.wanted_by if _starts(units.get(w))]
    if wanters:
        return Role(WANTED, tuple(wanters))
    if unit.id in declared:
        return Role(DECLARED)
    if unit.started:
        return Role(WANTED, ("a unit started at boot",))
    # Triggers or wanters that have not started yet may still do so while systemd boots.
    maybe = [n for n in (*unit.triggered_by, *unit.wanted_by) if _could_start(units.get(n), booted)]
    return Role(NOTHING, certain=not maybe)


def _starts(other: Unit | None) -> bool:
    if other is None:
        return False
    return other.file_state in ENABLED or other.active in ("active", "activating", "reloading")


def _could_start(other: Unit | None, booted: bool) -> bool:
    """Whether a unit not started yet may still be, by the boot going on."""
    if booted:
        return False
    if other is None:
        return True  # not looked at yet
    return bool(other.wanted_by or other.triggered_by or other.started)


def with_triggers(units: Mapping[str, Unit]) -> dict[str, Unit]:
    """The units with `TriggeredBy=` completed from the triggers' own `Triggers=`.

    systemd fills in a unit's TriggeredBy only once its trigger is loaded; a
    trigger nothing references is loaded by the same `systemctl show` that asks
    for both, after the unit it triggers may already have been printed.
    """
    by: dict[str, list[str]] = {}
    for trigger in units.values():
        for target in trigger.triggers:
            by.setdefault(target, []).append(trigger.id)
    return {
        name: replace(u, triggered_by=tuple(dict.fromkeys((*u.triggered_by, *by.get(name, ())))))
        for name, u in units.items()
    }


def related(units: Mapping[str, Unit]) -> set[str]:
    """The triggers and wanters the shipped units name: their states decide the roles."""
    return {n for u in units.values() for n in (*u.triggered_by, *u.wanted_by)}


@dataclass(frozen=True)
class Finding:
    """One check's outcome for a unit, and whether it can still change (`final`)."""

    name: str
    ok: bool
    detail: str
    final: bool = True
    id: str = ""  # the check's stable id: "verify.<kind>:<unit>"


def enablement(unit: Unit, found: Role, units: Mapping[str, Unit]) -> Finding:
    """`unit X enabled at boot`: something starts it on a new instance, or it is declared."""
    name, check_id = f"unit {unit.id} enabled at boot", f"verify.unit-enabled:{unit.id}"
    if found.how == ENABLED_ROLE:
        return Finding(name, True, unit.file_state, id=check_id)
    if found.how == TRIGGERED:
        said = f"{unit.file_state}: started by {', '.join(found.by)}"
        return Finding(name, True, said, id=check_id)
    if found.how == WANTED:
        said = f"{unit.file_state}: wanted by {', '.join(found.by)}"
        return Finding(name, True, said, id=check_id)
    if found.how == DECLARED:
        return Finding(name, True, "declared not started at boot (not_at_boot)", id=check_id)
    if found.how == MASKED:
        return Finding(name, False, "masked: it can never start", id=check_id)
    return Finding(name, False, _why_nothing(unit, units), final=found.certain, id=check_id)


def _why_nothing(unit: Unit, units: Mapping[str, Unit]) -> str:
    declare = "(enable it with a preset, or declare it: [check] not_at_boot)"
    state = unit.file_state or "not enabled"
    if unit.kind in TRIGGERS:
        runs = ", ".join(unit.triggers) or "the unit it triggers"
        return f"{state}: nothing starts it on a new instance, so {runs} never runs {declare}"
    idle = [t for t in unit.triggered_by if t in units]
    if idle:
        return (
            f"{unit.file_state}: started only by {', '.join(idle)}, which nothing starts {declare}"
        )
    if unit.file_state in ("static", "indirect"):
        return (
            f"{state} (no [Install] section) and no trigger or started unit wants it: "
            f"it never runs {declare}"
        )
    return (
        f"installed but not enabled at boot ({state}): nothing starts it on a new instance "
        f"{declare}"
    )


def running(unit: Unit, found: Role, booted: bool) -> Finding | None:
    """`unit X active` for a unit that runs at boot (None for the others).

    A service that failed, was restarted or waits to be: final at once. One
    inactive after the boot: exited (a `Type=oneshot` that succeeded is done,
    not dead). One still activating: not final until the deadline.
    """
    if found.how == TRIGGERED or (
        found.how not in (ENABLED_ROLE, WANTED) and unit.active != "failed"
    ):
        return None
    name, check_id = f"unit {unit.id} active", f"verify.unit-active:{unit.id}"
    if unit.active == "failed":
        return Finding(name, False, unit.describe(), id=check_id)
    if unit.sub == "auto-restart":
        return Finding(
            name, False, f"{unit.describe()}: it exited and systemd restarts it", id=check_id
        )
    if unit.active == "active":
        detail = (
            f"next elapse {unit.next_elapse}" if unit.kind == "timer" and unit.next_elapse else ""
        )
        return Finding(name, True, detail, id=check_id)
    if unit.active == "inactive" and unit.type == "oneshot" and unit.started:
        ok = unit.result == "success"
        return Finding(
            name, ok, "ran at boot and exited" + ("" if ok else f": {unit.describe()}"), id=check_id
        )
    if unit.active == "inactive" and booted:
        what = "exited" if unit.started else "never started"
        return Finding(
            name, False, f"{unit.describe()}: {what}, and nothing will start it", id=check_id
        )
    return Finding(name, False, unit.describe(), final=False, id=check_id)


def trigger_ready(unit: Unit, found: Role, units: Mapping[str, Unit]) -> Finding | None:
    """`unit X started by T`: a triggered unit's trigger is active (a timer: scheduled).

    The triggered unit need not run at the verdict (a `static` oneshot of a
    timer), but must not have failed.
    """
    if found.how != TRIGGERED:
        return None
    name = f"unit {unit.id} started by {', '.join(found.by)}"
    check_id = f"verify.unit-started-by:{unit.id}"
    if unit.active == "failed" or unit.restarts:
        return Finding(name, False, unit.describe(), id=check_id)
    for trigger in (units[t] for t in found.by if t in units):
        if trigger.active != "active":
            return Finding(
                name, False, f"{trigger.id} {trigger.describe()}", final=False, id=check_id
            )
        if trigger.kind == "timer" and not trigger.next_elapse and trigger.sub != "running":
            ran = unit.started and unit.result == "success"
            if not ran:
                return Finding(
                    name, False, f"{trigger.id} has nothing scheduled ({trigger.sub})", id=check_id
                )
    timers = [units[t] for t in found.by if t in units and units[t].kind == "timer"]
    detail = "; ".join(f"{t.id} next elapse {t.next_elapse}" for t in timers if t.next_elapse)
    return Finding(name, True, detail or f"{unit.active} ({unit.sub})", id=check_id)


def restarted(unit: Unit) -> Finding | None:
    """`unit X not restarted`: any automatic restart since boot is a crash (NRestarts)."""
    if unit.kind != "service":
        return None
    ok = unit.restarts == 0 and unit.sub != "auto-restart"
    if unit.restarts:
        detail = f"restarted {unit.restarts} times by systemd: a crash loop ({unit.describe()})"
    else:
        detail = "" if ok else f"it exited and systemd is about to restart it ({unit.describe()})"
    return Finding(
        f"unit {unit.id} not restarted", ok, detail, id=f"verify.unit-not-restarted:{unit.id}"
    )


def findings(
    units: Mapping[str, Unit], shipped: Iterable[str], declared: frozenset[str], booted: bool
) -> list[tuple[str, Finding]]:
    """Every finding on the shipped units, as (unit, finding), in a stable order."""
    units = with_triggers(units)
    out: list[tuple[str, Finding]] = []
    for name in judged(shipped):
        unit = units.get(name)
        if unit is None:
            continue
        found = role(unit, units, declared, booted)
        out.append((name, enablement(unit, found, units)))
        for extra in (running(unit, found, booted), trigger_ready(unit, found, units)):
            if extra is not None:
                out.append((name, extra))
    for name in judged(shipped):
        unit = units.get(name)
        again = restarted(unit) if unit is not None else None
        if again is not None:
            out.append((name, again))
    return out

"""The checks that need no running service: package, files, users, runlevel links.

Each is one `docker exec` (~70 ms of the engine's time); they run side by
side while the instance boots. An ownership failure names rpm's own install
warning as the likely cause (`user X does not exist - using root`): rpm lays
the files down before `%post` runs, so a user made there is too late.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import partial

from rpmkit.checks import Check
from rpmkit.install.stage import Instance
from rpmkit.verify import units as systemd
from rpmkit.verify.evidence import rpm_warning_causes
from rpmkit.verify.shell import Shell

# The runlevel a server boots to (multi-user.target): SysV scripts must be on in it.
RUNLEVEL = 3
ON_FOR_RUNLEVEL = f"on for runlevel {RUNLEVEL}"
SPLIT = "@@rpmkit-verify rc="
# What `systemctl is-enabled` prints for a unit file (anything else is an error).
UNIT_FILE_STATES = frozenset(
    {
        "enabled", "enabled-runtime", "linked", "linked-runtime", "alias", "masked",
        "masked-runtime", "static", "indirect", "disabled", "generated", "transient", "bad",
        "not-found",
    }
)  # fmt: skip


def tasks(
    host: Shell,
    instance: Instance,
    users: tuple[str, ...],
    files: tuple[tuple[str, str, str], ...],
    not_at_boot: frozenset[str],
) -> list[Callable[[], list[Check]]]:
    """The static checks, each a callable returning its checks."""
    out: list[Callable[[], list[Check]]] = []
    causes = rpm_warning_causes(instance.log.warnings)
    for rpm in instance.rpms:
        nevra = rpm.nevra
        out.append(partial(package, host, nevra.name, f"{nevra.version}-{nevra.release}", causes))
    out.append(partial(service_users, host, instance, users))
    for path, owner, group in files:
        out.append(partial(declared_file, host, path, owner, group, causes))
    if not instance.booted:
        # Without systemd running: `systemctl is-enabled` reads the unit links.
        out.append(partial(enabled_links, host, instance, not_at_boot))
    # `chkconfig --list` reads the runlevel links.
    out += [partial(runlevel_on, host, name, not_at_boot) for name in instance.init_scripts()]
    return out


def _likely(causes: list[str]) -> str:
    if not causes:
        return ""
    return (
        f"; likely cause: rpm at install: {'; '.join(causes)} (create users in %pre, before "
        "rpm lays down the files they own)"
    )


def package(host: Shell, name: str, want: str, causes: list[str]) -> list[Check]:
    """The package at the expected version, and rpm -V minus digests, sizes and times.

    One `docker exec` for both.
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
    # Config files may be edited by design; anything else deviating is a defect. rpm -V
    # prints the attributes, the file's type (`c` for %config) and the path (rpm(8),
    # VERIFY OPTIONS): the type is read from its column, never from the path.
    problems = [line for line in verified.splitlines() if line.strip() and not _config(line)]
    owners = any(re.match(r"^\S*[UG]", p) for p in problems)
    return [
        Check(
            "verify",
            f"package {name} {want} installed",
            ok,
            detail,
            id=f"verify.package-installed:{name}",
        ),
        Check(
            "verify",
            f"files of {name} present with their owners and modes",
            not problems,
            "; ".join(problems[:5]) + (_likely(causes) if owners else ""),
            id=f"verify.package-files:{name}",
        ),
    ]


def service_users(host: Shell, instance: Instance, users: tuple[str, ...]) -> list[Check]:
    """The service users exist: the config's, and User= of the unit files the RPM ships."""
    shipped = set(instance.units())
    unit_files = [f.path for f in instance.files if f.path.rsplit("/", 1)[-1] in shipped]
    names = sorted(users)
    if not names and not unit_files:
        return []
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


def declared_file(host: Shell, path: str, owner: str, group: str, causes: list[str]) -> list[Check]:
    """A `[[files]]`/`[[directories]]` entry exists with its owner and group."""
    out = host.run("stat -c '%%U:%%G' -- %s", path)
    exists = out.rc == 0
    found = out.stdout.strip()
    ok = exists and found == f"{owner}:{group}"
    detail = "" if ok else ("missing" if not exists else f"owned by {found}{_likely(causes)}")
    title = f"{path} exists, owned by {owner}:{group}"
    return [Check("verify", title, ok, detail, id=f"verify.file-owned:{path}")]


def enabled_links(host: Shell, instance: Instance, not_at_boot: frozenset[str]) -> list[Check]:
    """The static tier's `unit X enabled at boot`, from the unit links alone.

    A `static` unit passes when a shipped trigger (timer, socket, path) that
    names it is enabled; without systemd running, one wanted by another unit
    cannot be told apart from one nothing starts: a warning, left to the booted tier.
    """
    shipped = systemd.judged(instance.units())
    states = {unit: is_enabled(host, unit) for unit in shipped}
    triggers = trigger_targets(host, instance)
    checks = []
    for unit in shipped:
        state = states[unit]
        name = f"unit {unit} enabled at boot"
        check_id = f"verify.unit-enabled:{unit}"
        by = [
            t
            for t, target in triggers.items()
            if target == unit and states.get(t) in systemd.ENABLED
        ]
        if state in systemd.ENABLED:
            checks.append(Check("verify", name, True, state, id=check_id))
        elif by:
            said = f"{state}: started by {', '.join(by)}"
            checks.append(Check("verify", name, True, said, id=check_id))
        elif unit in not_at_boot:
            said = "declared not started at boot (not_at_boot)"
            checks.append(Check("verify", name, True, said, id=check_id))
        elif state in ("static", "indirect"):
            checks.append(
                Check(
                    "verify", name, False,
                    f"{state}: runs only if a trigger or another unit starts it (judged booted)",
                    warning=True, id=check_id,
                )
            )  # fmt: skip
        else:
            unit_ = systemd.Unit(unit, file_state=state, triggers=(triggers.get(unit, ""),))
            checks.append(Check("verify", name, False, systemd.enablement(
                unit_, systemd.Role(systemd.NOTHING), {}).detail, id=check_id))  # fmt: skip
    return checks


def is_enabled(host: Shell, unit: str) -> str:
    """`systemctl is-enabled`; asked again while systemd has no bus yet (early boot)."""
    deadline = time.monotonic() + 10
    while True:
        state = host.run("systemctl is-enabled %s", unit).stdout.strip()
        if state in UNIT_FILE_STATES or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def trigger_targets(host: Shell, instance: Instance) -> dict[str, str]:
    """Shipped timer/socket/path units -> the unit each activates (`Unit=`, `Service=`, or
    the same name as a service: systemd.timer(5), systemd.socket(5), systemd.path(5))."""
    paths = [
        f.path for f in instance.files
        if f.path.endswith(tuple(f".{k}" for k in systemd.TRIGGERS))
        and f.path.rsplit("/", 1)[-1] in set(instance.units())
    ]  # fmt: skip
    if not paths:
        return {}
    out = host.run("grep -H -E '^(Unit|Service)=' " + " ".join(["%s"] * len(paths)), *paths)
    named = {}
    for line in out.stdout.splitlines():
        path, _, setting = line.partition(":")
        named[path.rsplit("/", 1)[-1]] = setting.partition("=")[2].strip()
    return {
        p.rsplit("/", 1)[-1]: named.get(p.rsplit("/", 1)[-1])
        or p.rsplit("/", 1)[-1].rpartition(".")[0] + ".service"
        for p in paths
    }


def runlevel_on(host: Shell, name: str, not_at_boot: frozenset[str] = frozenset()) -> list[Check]:
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
    listing = f"$ chkconfig --list {name}\n{out.stdout.rstrip()}"
    if name in not_at_boot or f"{name}.service" in not_at_boot:
        said = "off: declared not started at boot (not_at_boot)"
        return [Check("verify", title, True, said, id=check_id)]
    return [
        Check(
            "verify", title, False,
            "registered with chkconfig but off: nothing starts it on a new instance (turn it "
            "on, or declare it: [check] not_at_boot)",
            listing, id=check_id,
        )
    ]  # fmt: skip


def _config(line: str) -> bool:
    """Whether an `rpm -V` line is about a %config file (`S.5....T.  c /etc/x`)."""
    return re.match(r"^\S+\s+c\s+/", line) is not None

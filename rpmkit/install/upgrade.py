"""Upgrade and erase on a booted instance: what `yum upgrade` and `yum remove` would do.

An upgrade must not run erase-only cleanup: after it, the accounts, the
units' enablement, whatever the old package's directories held and whatever
the old version wrote (`state`) are still there. When they are not, the
likely cause named is the old package's own uninstall scriptlets. An erase
must leave nothing behind but `%config(noreplace)` files an admin may have
edited.
"""

from __future__ import annotations

import dataclasses
import shlex
from dataclasses import dataclass

from rpmkit.checks import Check
from rpmkit.errors import InstallError
from rpmkit.install import repos as repositories
from rpmkit.install import state
from rpmkit.install.outcome import scriptlet_failures
from rpmkit.install.stage import Instance, rpm_archive, transact
from rpmkit.profiles import Profile
from rpmkit.rpm import RpmFile

NEW_DIR = "/rpmkit/upgrade"
MARKER = ".rpmkit-upgrade-marker"
UPGRADED_ID = "upgrade.upgraded"  # passing, or failed with the transaction's error
# Where packages keep data; a marker left in the package's own directories here
# must survive an upgrade.
DATA_ROOTS = ("/opt/", "/var/lib/", "/var/opt/", "/srv/", "/etc/")


def data_dirs(instance: Instance) -> list[str]:
    """The package's own top-level directories under the usual data locations."""
    paths = {f.path for f in instance.files}
    dirs = [
        p
        for p in sorted(paths)
        if p.startswith(DATA_ROOTS)
        and p.count("/") >= 2
        and p.rsplit("/", 1)[0] not in paths
        and any(q.startswith(p + "/") for q in paths)
    ]
    return dirs


def _exec(instance: Instance, script: str) -> str:
    return instance.sh(script).output


ENABLED = ("enabled", "enabled-runtime", "alias", "on")
DISABLING = r"(systemctl\b.*\b(disable|mask)\b|chkconfig\b.*(--del\b|\boff\b))"


@dataclass(frozen=True)
class Upgraded:
    """The upgraded instance, the upgrade's own checks, and what to compare once it is up."""

    instance: Instance
    checks: list[Check]
    before: state.Record  # what the old version wrote
    scripts: dict[str, list[str]]  # the old package's %preun/%postun lines
    disabled: tuple[str, ...] = ()  # units the upgrade disabled
    removed: tuple[str, ...] = ()  # accounts the upgrade removed


def accounts(instance: Instance) -> set[str]:
    """The user and group names on the instance, as `user:NAME` and `group:NAME`."""
    out = instance.sh("getent passwd | cut -d: -f1 | sed 's/^/user:/'; "
                      "getent group | cut -d: -f1 | sed 's/^/group:/'").stdout  # fmt: skip
    return set(out.split())


def enablement(instance: Instance, units: list[str], scripts: list[str]) -> dict[str, str]:
    """Unit -> `systemctl is-enabled`; init script -> on/off for runlevel 3."""
    script = (
        'for u in "$@"; do case "$u" in '
        '*.service|*.socket|*.timer|*.path) echo "$u $(systemctl is-enabled "$u" 2>/dev/null)";; '
        '*) chkconfig --list "$u" 2>/dev/null | grep -q "3:on" && echo "$u on" || echo "$u off";; '
        "esac; done"
    )
    out = instance.sh(script, *units, *scripts).stdout
    return {
        w[0]: (w[1] if len(w) > 1 else "") for w in (line.split() for line in out.splitlines()) if w
    }


def upgrade(instance: Instance, profile: Profile, rpms: tuple[RpmFile, ...]) -> Upgraded:
    """Upgrade the running instance to `rpms`; the new instance and the upgrade's own checks.

    What the old version wrote is recorded first; `state.state_check` compares
    it once the new version is up.
    """
    before = state.record(instance, profile)
    names = [r.name for r in instance.rpms]
    scripts = state.uninstall_scriptlets(instance.sh('rpm -q --scripts -- "$@"', *names).stdout)
    users_before = accounts(instance)
    enabled_before = enablement(instance, instance.units(), instance.init_scripts())
    markers = [f"{d}/{MARKER}" for d in data_dirs(instance)]
    if markers:
        _exec(instance, " ".join(["touch", *map(shlex.quote, markers)]))
    instance.container.put_archive("/", rpm_archive(rpms, NEW_DIR))
    old = instance.nevras
    new = ", ".join(str(r.nevra) for r in rpms)
    title = f"upgrade {old} -> {new}, every scriptlet succeeded"
    if instance.repos:  # they left before boot: back for the upgrade, as on a bake machine
        repositories.put(instance.container, instance.repos)
    try:
        log = transact(
            instance.container, profile, rpms, NEW_DIR, upgrade=True, repos=instance.repos
        )
    except InstallError as exc:
        raise InstallError(f"{title}: {exc.message}", details=exc.details) from None
    finally:
        if instance.repos:
            instance.sh(repositories.removal(instance.keep_repos))
    checks = [
        Check(
            "upgrade", title, True, f"{log.seconds:.2f}s", "\n".join(log.warnings),
            id=UPGRADED_ID,
        )
    ]  # fmt: skip
    removed = sorted(users_before - accounts(instance))
    accounts_lost = r"\b(userdel|groupdel|deluser|delgroup)\b"
    checks.append(_kept("accounts", removed, scripts, accounts_lost, "upgrade.accounts-kept"))
    upgraded = dataclasses.replace(instance, rpms=rpms, log=log)
    enabled_after = enablement(upgraded, upgraded.units(), upgraded.init_scripts())
    disabled = sorted(
        u for u, was in enabled_before.items()
        if was in ENABLED and u in enabled_after and enabled_after[u] not in ENABLED
    )  # fmt: skip
    checks.append(
        _kept("units' enablement at boot", disabled, scripts, DISABLING, "upgrade.enablement-kept")
    )
    if markers:
        out = _exec(
            instance,
            f'for f in {" ".join(map(shlex.quote, markers))}; do [ -e "$f" ] || echo "$f"; done',
        )
        gone = [line.rsplit("/", 1)[0] for line in out.splitlines() if line.strip()]
        _exec(instance, " ".join(["rm", "-f", *map(shlex.quote, markers)]))
        checks.append(
            Check(
                "upgrade",
                "upgrade kept the data in " + ", ".join(d.rsplit("/", 1)[0] for d in markers),
                not gone,
                f"emptied or removed by the upgrade: {', '.join(gone)} (erase-only cleanup "
                "must be guarded by `if [ $1 -eq 0 ]`)"
                if gone
                else "",
                id="upgrade.data-kept",
            )
        )
    return Upgraded(
        upgraded, checks, before, scripts,
        tuple(disabled), tuple(n.partition(":")[2] for n in removed if n.startswith("user:")),
    )  # fmt: skip


def _kept(
    what: str, lost: list[str], scripts: dict[str, list[str]], pattern: str, check_id: str
) -> Check:
    title = f"upgrade kept the {what}"
    if not lost:
        return Check("upgrade", title, True, id=check_id)
    cause = state.blame(scripts, pattern) or (
        "likely cause: the upgrade's scriptlets (the new package's %pre/%post, then the old "
        "package's %preun/%postun with $1 = 1)"
    )
    listing = "\n".join(
        f"{n}:\n" + "\n".join(f"  {x.rstrip()}" for x in lines if x.strip())
        for n, lines in scripts.items()
    )
    said = ", ".join(x.replace(":", " ", 1) for x in lost)
    return Check(
        "upgrade", title, False, f"lost: {said}; {cause}",
        f"the old package's uninstall scriptlets:\n{listing}" if listing else "", id=check_id,
    )  # fmt: skip


def erase_script(profile: Profile, names: list[str]) -> str:
    """The shell line that erases the packages with the profile's package manager."""
    erase_cmd = " ".join(
        " ".join(map(shlex.quote, names)) if a == "{packages}" else shlex.quote(a)
        for a in profile.package_manager.erase
    )
    return f"exec {erase_cmd} 2>&1"


def erase(instance: Instance, profile: Profile) -> list[Check]:
    """Erase the packages; report failed scriptlets and anything left behind."""
    names = [r.name for r in instance.rpms]
    result = instance.sh(erase_script(profile, names))
    failures = scriptlet_failures(result.output)
    ok = result.ok and not failures
    checks = [
        Check(
            "erase",
            f"erase {', '.join(names)}, every scriptlet succeeded",
            ok,
            "; ".join(failures) or ("" if result.ok else f"exit {result.rc}"),
            "" if ok else result.output[-3000:],
            id="erase.erased",
        )
    ]
    keep = {f.path for f in instance.files if f.config}
    paths = sorted({f.path for f in instance.files} - keep)
    listing = "\n".join(paths)
    out = _exec(
        instance,
        'while IFS= read -r p; do { [ -e "$p" ] || [ -L "$p" ]; } && echo "$p"; done <<\'EOF\'\n'
        f"{listing}\nEOF",
    )
    left = [line for line in out.splitlines() if line.strip() and not _is_shared_dir(line)]
    checks.append(
        Check(
            "erase",
            "erase left nothing behind but %config(noreplace) files",
            not left,
            f"{len(left)} left: {', '.join(left[:8])}" if left else "",
            "\n".join(left[:100]),
            id="erase.nothing-left",
        )
    )
    return checks


def _is_shared_dir(path: str) -> bool:
    # Standard directories a package may list (e.g. %dir /etc/nginx/conf.d) outlive it.
    return path.rstrip("/") in {
        "/etc", "/opt", "/usr", "/usr/lib", "/usr/lib/systemd", "/usr/lib/systemd/system",
        "/usr/lib/systemd/system-preset", "/etc/nginx", "/etc/nginx/conf.d", "/usr/share",
        "/var", "/var/lib", "/var/log", "/srv",
    }  # fmt: skip

"""Upgrade and erase on a booted instance: what `yum upgrade` and `yum remove` would do.

An upgrade must not run erase-only cleanup: after it, the service users and
whatever the old package's directories held are still there. An erase must
leave nothing behind but `%config(noreplace)` files an admin may have edited.
"""

from __future__ import annotations

import dataclasses
import shlex

from rpmkit.checks import Check
from rpmkit.errors import InstallError
from rpmkit.install import Instance, rpm_archive, scriptlet_failures, transact
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


def upgrade(
    instance: Instance, profile: Profile, rpms: tuple[RpmFile, ...]
) -> tuple[Instance, list[Check]]:
    """Upgrade the running instance to `rpms`; the new instance and the upgrade's own checks."""
    markers = [f"{d}/{MARKER}" for d in data_dirs(instance)]
    if markers:
        _exec(instance, " ".join(["touch", *map(shlex.quote, markers)]))
    instance.container.put_archive("/", rpm_archive(rpms, NEW_DIR))
    old = instance.nevras
    new = ", ".join(str(r.nevra) for r in rpms)
    title = f"upgrade {old} -> {new}, every scriptlet succeeded"
    try:
        log = transact(instance.container, profile, rpms, NEW_DIR, upgrade=True)
    except InstallError as exc:
        raise InstallError(f"{title}: {exc.message}", details=exc.details) from None
    checks = [
        Check(
            "upgrade", title, True, f"{log.seconds:.2f}s", "\n".join(log.warnings),
            id=UPGRADED_ID,
        )
    ]  # fmt: skip
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
    return dataclasses.replace(instance, rpms=rpms, log=log), checks


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

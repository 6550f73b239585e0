"""The check's plan: which RPMs, what their instance must show, and how to run it.

Built from an app's config (`app_plan`) or from bare RPMs (`rpm_plan`), then
adjusted by the command line (`adjust`). A plan is a value: the check reads it,
the receipt records what it asked for, and the cache key digests it.
"""

from __future__ import annotations

import dataclasses
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpmkit.errors import ConfigError
from rpmkit.install.repos import Repo
from rpmkit.install.stage import Limits
from rpmkit.rpm import RpmFile
from rpmkit.verify import Expectations, declared_units
from rpmkit.verify.health import Probe

if TYPE_CHECKING:
    from rpmkit.config import AppConfig, LoadedConfig


@dataclass(frozen=True)
class CheckPlan:
    """What to check and how."""

    rpms: tuple[RpmFile, ...]
    app: str  # the name used in labels and the container name
    expect: Expectations = field(default_factory=Expectations)
    boot: bool = True
    app_tests: Path | None = None  # a folder of testinfra tests using the `host` fixture
    keep: bool = False
    upgrade_from: tuple[RpmFile, ...] = ()  # install these first, boot, then upgrade to `rpms`
    erase: bool = False  # erase at the end and report what is left behind
    config_app: str = ""  # the app whose config defined these expectations ("" for bare RPMs)
    bake_max_age: float = 0.0  # the app's bake.max_receipt_age (seconds; 0: the default)
    limits: Limits = field(default_factory=Limits)
    spare: bool | None = None  # take and leave a warm spare (None: unless in CI)
    repos: tuple[Repo, ...] = ()  # the repositories the install sees (install/repos.py)
    keep_repos: bool = False  # they stay in /etc/yum.repos.d when the instance boots
    network: str = ""  # an engine network the instance joins ("": the engine's default)


def expectations(app: AppConfig, health: bool = True) -> Expectations:
    """What an app's config says its instance must show."""
    ports = [s.port for s in app.services if s.port]
    kind = app.kind
    if kind is not None and kind.nginx:
        ports.append(app.nginx.port if app.nginx is not None else 80)
    users = {s.user or app.name for s in app.services}
    files = [(f.dest, f.owner, f.group) for f in app.files]
    files += [(d.path, d.owner, d.group) for d in app.directories]
    hc = app.health_check
    probe = Probe(
        hc.path, hc.port, hc.expected_status, hc.interval, hc.timeout,
        hc.healthy_threshold, hc.deadline, hc.unhealthy_threshold,
    )  # fmt: skip
    # A hand-written spec is checked for HTTP unless told otherwise (--no-health).
    serves_http = kind is None or kind.serves_http
    off = [unit for s, unit in zip(app.services, app.service_names(), strict=True) if not s.enabled]
    return Expectations(
        ports=tuple(dict.fromkeys(ports)),
        users=tuple(sorted(users)),
        files=tuple(files),
        probe=probe if health and serves_http else None,
        settle=app.check.settle,
        not_at_boot=tuple(sorted(declared_units((*off, *app.check.not_at_boot)))),
        deadline=hc.deadline,
    )


def probe_text(probe: Probe | None) -> str:
    """A probe as receipts record it: "PORT PATH STATUS" ("" for none)."""
    return f"{probe.port} {probe.path} {probe.expected_status}" if probe is not None else ""


def app_plan(loaded: LoadedConfig, rpms: tuple[RpmFile, ...], health: bool = True) -> CheckPlan:
    """The check an app's config asks for, with its own testinfra tests if it has any."""
    from rpmkit.install import repos

    infra = loaded.app_dir / "tests" / "infra"
    settings = loaded.app.check
    install = loaded.app.install
    return CheckPlan(
        rpms,
        loaded.app.name,
        expectations(loaded.app, health),
        config_app=loaded.app.name,
        bake_max_age=loaded.app.bake.max_receipt_age,
        app_tests=infra if any(infra.glob("test_*.py")) else None,
        limits=Limits(settings.memory_mib, settings.pids),
        repos=repos.from_settings(install, loaded.app_dir, loaded.source.name),
        keep_repos=install.keep_repos,
    )


def rpm_plan(rpms: tuple[RpmFile, ...], health: bool = True) -> CheckPlan:
    """The check of bare RPMs: the default health check, what the RPMs themselves ship."""
    return CheckPlan(rpms, rpms[0].name, Expectations(probe=Probe() if health else None))


def adjust(
    plan: CheckPlan,
    *,
    path: str | None = None,
    port: int | None = None,
    expected_status: int | None = None,
    settle: float | None = None,
    not_at_boot: tuple[str, ...] = (),
    **changes: Any,
) -> CheckPlan:
    """The plan with command-line overrides of the health check and the check's options.

    `not_at_boot` adds to the units the config declares as not started at boot.
    """
    expect = plan.expect
    if settle is not None:
        expect = dataclasses.replace(expect, settle=settle)
    if not_at_boot:
        declared = declared_units((*expect.not_at_boot, *not_at_boot))
        expect = dataclasses.replace(expect, not_at_boot=tuple(sorted(declared)))
    if expect.probe is not None:
        probe_changes: dict[str, Any] = {
            "path": path,
            "port": port,
            "expected_status": expected_status,
        }
        probe = dataclasses.replace(
            expect.probe, **{k: v for k, v in probe_changes.items() if v is not None}
        )
        expect = dataclasses.replace(expect, probe=probe)
    return dataclasses.replace(plan, expect=expect, **changes)


def find_rpms(loaded: LoadedConfig, dist: Path | None = None) -> list[Path]:
    """The binary RPMs `rpmkit build` wrote for the app's current name, version and release.

    Only `dist/` itself: a failed build's outputs under `dist/failed/` are never picked.
    """
    import re

    app = loaded.app
    where = dist or loaded.app_dir / "dist"
    # NAME-VERSION-RELEASE[.dist].ARCH.rpm, and not release 10 when asked for 1.
    exact = re.compile(
        rf"{re.escape(app.name)}-{re.escape(app.version)}-{re.escape(app.release)}"
        r"(\.[A-Za-z0-9_+~^]+)+\.rpm"
    )
    found = sorted(
        p
        for p in where.glob(f"{glob_escape(app.name)}-*.rpm")
        if exact.fullmatch(p.name) and not p.name.endswith(".src.rpm") and p.is_file()
    )
    if not found:
        failed = where / "failed"
        stem = f"{glob_escape(app.name)}-{glob_escape(app.version)}-"
        kept = any(exact.fullmatch(p.name) for p in failed.glob(f"{stem}*.rpm"))
        kept = kept or any(failed.glob(f"{stem}*.build.log"))
        last = " (the last build failed: its files are in failed/, never checked)" if kept else ""
        raise ConfigError(
            f"no built RPM for {app.name} {app.version}-{app.release} in {where}{last}",
            hint=f"build it first with `rpmkit build {shlex.quote(str(loaded.app_dir))}`, "
            "or use `rpmkit run`",
        )
    return found


def glob_escape(text: str) -> str:
    """`text` with glob's special characters taken literally."""
    import glob

    return glob.escape(text)

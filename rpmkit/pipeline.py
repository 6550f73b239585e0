"""The check, stage by stage: install -> verify -> app tests -> report -> receipts.

Everything one check makes carries the run's labels and is removed when it
ends, on pass, failure and Ctrl-C, unless `keep` asks otherwise. The RPMs are
staged (hashed once, copied read-only) before anything starts; what is
installed, reported and bound into the receipt is those bytes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpmkit import __version__, baseline, policies, receipt, setaside, state, upgrade
from rpmkit.checks import Check
from rpmkit.errors import ConfigError, DockerUnavailable, InstallError
from rpmkit.health import Probe
from rpmkit.install import Instance, Limits, install
from rpmkit.labels import Run
from rpmkit.profiles import Profile
from rpmkit.progress import Reporter
from rpmkit.report import Report
from rpmkit.rpm import RpmFile, sha256_file
from rpmkit.target import fits
from rpmkit.verify import Expectations, declared_units, verify

if TYPE_CHECKING:
    from rpmkit.config import AppConfig, LoadedConfig
    from rpmkit.engine import Engine
    from rpmkit.images import RuntimeImage


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


@dataclass(frozen=True)
class CheckOutcome:
    """The report, and the instance when it was kept."""

    report: Report
    kept: str | None  # the instance's name when `keep` kept it (whatever the verdict)
    image_id: str


def check(
    engine: Engine, profile: Profile, runtime: RuntimeImage, plan: CheckPlan, reporter: Reporter
) -> CheckOutcome:
    """Install, boot and verify the RPMs in a fresh container; never raises for a failed check."""
    engine.reap()
    subject = ", ".join(str(r.nevra) for r in plan.rpms)
    run = Run.new(plan.app, keep=plan.keep, subject=subject)
    start = time.monotonic()
    timings: dict[str, float] = {}
    checks: list[Check] = []
    instance: Instance | None = None
    bare = _baseline(engine, profile, runtime, run)
    try:
        publish = (plan.expect.probe.port,) if plan.boot and plan.expect.probe else ()
        first = plan.upgrade_from or plan.rpms
        names = ", ".join(r.path.name for r in first)
        with reporter.step(f"installing {names} into a fresh {profile.name} runtime"):
            try:
                checks += fits.check(profile, plan.rpms)  # the target's facts, before anything runs
                instance = install(
                    engine, profile, runtime.tag, first, run,
                    boot=plan.boot or bool(plan.upgrade_from), publish=publish,
                    limits=plan.limits,
                )  # fmt: skip
            except fits.Unfit as exc:  # would not install on the target: nothing installed
                checks.append(exc.check.timed(start, time.monotonic()))
            except InstallError as exc:
                failed = Check(
                    "install", "install", False, exc.message, exc.details or "", id=INSTALLED_ID
                )
                checks.append(failed.timed(start, time.monotonic()))
        timings["install"] = time.monotonic() - start
        upgraded: upgrade.Upgraded | None = None
        if instance is not None:
            checks.append(_installed(instance).timed(start, start + timings["install"]))
            checks += setaside.checks(instance.log.output, fresh=True)
            if plan.upgrade_from:
                upgraded = _upgrade(instance, profile, plan, checks, timings, reporter, bare)
                instance = upgraded.instance if upgraded is not None else None
        if instance is not None:
            label = "booting and checking" if plan.boot else "checking (no boot)"
            with reporter.step(label):
                verification = verify(instance, plan.expect, bare)
            if upgraded is not None:
                t = time.monotonic()
                after = state.describe(instance, list(upgraded.before.entries))
                state_kept = state.state_check(upgraded.before, after, upgraded.scripts)
                at = max(i for i, c in enumerate(checks) if c.stage == "upgrade") + 1
                checks.insert(at, state_kept.timed(t, time.monotonic()))
                checks += blamed_on_upgrade(verification.checks, upgraded)
            else:
                checks += verification.checks
            if instance.booted and not all(c.ok or c.warning for c in checks):
                checks += memory_check(instance, plan.limits)
            timings.update(verification.timings)
            t = time.monotonic()
            checks += policies.check(instance)  # what the package ships, read by its own tools
            timings["verify"] = timings.get("verify", 0.0) + time.monotonic() - t
            for line in stage_progress(verification.checks, verification.timings):
                reporter.info(line)
            if plan.app_tests is not None and not instance.booted:
                checks.append(
                    Check(
                        "app-tests", f"tests in {plan.app_tests}", False,
                        "not run: they test a booted instance (--no-boot)", warning=True,
                        id=APP_TESTS_ID,
                    )
                )  # fmt: skip
            elif plan.app_tests is not None:
                t = time.monotonic()
                with reporter.step(f"running the app's own tests in {plan.app_tests}"):
                    checks += run_app_tests(instance, plan.app_tests)
                timings["app-tests"] = time.monotonic() - t
            if plan.erase:
                t = time.monotonic()
                with reporter.step(f"erasing {subject}"):
                    erased = upgrade.erase(instance, profile)
                timings["erase"] = time.monotonic() - t
                checks += [c.timed(t, t + timings["erase"]) for c in erased]
        timings["total"] = time.monotonic() - start
        report = Report(subject, profile.name, tuple(checks), timings)
        kept = (
            run.container_name() if plan.keep and engine.container(run.container_name()) else None
        )
        return CheckOutcome(report, kept, runtime.id)
    finally:
        if not plan.keep:
            # If the engine went away, the next run's reaper removes what is left.
            with contextlib.suppress(DockerUnavailable):
                engine.remove_run(run.id)


def _baseline(
    engine: Engine, profile: Profile, runtime: RuntimeImage, run: Run
) -> Callable[[], frozenset[str]]:
    """The failed units of the bare runtime image, measured at most once, when first asked."""
    found: list[frozenset[str]] = []

    def failed() -> frozenset[str]:
        if not found:
            found.append(baseline.failed_units(engine, profile, runtime.tag, runtime.id, run))
        return found[0]

    return failed


def issue_receipts(
    outcome: CheckOutcome,
    plan: CheckPlan,
    profile: Profile,
    runtime: RuntimeImage,
    cache_key: str = "",
) -> tuple[list[Path], list[str]]:
    """Write a receipt for each checked RPM whose file still holds the bytes checked.

    Returns the receipts written and a line for each RPM that got none
    (its file changed or vanished during the check: the verdict is about the
    staged bytes, not what is in dist/ now).
    """
    report = outcome.report
    if not report.ok:
        raise ValueError("receipts are written only for a passing check")
    written, refused = [], []
    tier = "static"
    if any(c.stage == "boot" for c in report.checks):
        tier = "upgrade" if plan.upgrade_from else "booted"
    health = any(c.stage == "health" for c in report.checks)
    probe = probe_text(plan.expect.probe) if health else ""
    for rpm in plan.rpms:
        try:
            now = sha256_file(rpm.path)
        except OSError:
            now = ""
        if now != rpm.sha256:
            refused.append(f"{rpm.path} changed during the check: no receipt for it")
            continue
        content = receipt.Receipt(
            rpm=receipt.RpmRecord(rpm.path.name, rpm.sha256, rpm.size, rpm.nevra),
            check=receipt.CheckRecord(
                tier=tier,
                health_checked=probe != "",
                settle=plan.expect.settle,
                not_at_boot=tuple(sorted(declared_units(plan.expect.not_at_boot))),
                upgrade_from=tuple(r.sha256 for r in plan.upgrade_from),
                checks=tuple((c.stage, c.name, c.ok, c.warning) for c in report.checks),
                app=plan.config_app,
                with_rpms=tuple(r.sha256 for r in plan.rpms if r is not rpm),
                probe=probe,
            ),
            target=receipt.TargetRecord(
                profile.name, profile.arch, runtime.tag, runtime.id, runtime.stand_in
            ),
            checked_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            rpmkit_version=__version__,
            cache_key=cache_key,
            timings={k: round(v, 3) for k, v in report.timings.items()},
        )
        written.append(receipt.write(content, receipt.path_for(rpm.path)))
    return written, refused


def memory_check(instance: Instance, limits: Limits) -> list[Check]:
    """After a failure: whether the instance reached its memory limit (the likely OOM kill).

    Read from the engine's cgroup statistics, which the package cannot forge; a
    service killed by the kernel shows in systemd only as `result signal` on cgroup v1.
    """
    peak, limit = instance.container.memory()
    if not limit or peak < 0.95 * limit:
        return []
    return [
        Check(
            "verify", "instance stayed within its memory limit", False,
            f"it reached {peak / 2**20:.0f} MiB of its {limit / 2**20:.0f} MiB limit "
            f"([check] memory_mib = {limits.memory_mib}): the kernel's OOM killer killed "
            "what used the most, most likely the service",
            id="verify.memory-limit",
        )
    ]  # fmt: skip


def stage_progress(checks: tuple[Check, ...], timings: dict[str, float]) -> list[str]:
    """One progress line per stage that ran: how many of its checks passed, and its time."""
    lines = []
    for stage in dict.fromkeys(c.stage for c in checks):
        ran = [c for c in checks if c.stage == stage]
        failed = sum(1 for c in ran if not (c.ok or c.warning))
        verdict = f"{failed} of {len(ran)} failed" if failed else f"{len(ran)} passed"
        took = f" in {timings[stage]:.2f}s" if stage in timings else ""
        lines.append(f"  {stage}: {verdict}{took}")
    return lines


INSTALLED_ID = "install.installed"
APP_TESTS_ID = "app-tests.run"  # the pytest run itself; each test has its own id
OLD_HEALTHY_ID = "upgrade.old-version-healthy"


def _installed(instance: Instance) -> Check:
    warnings = "\n".join(instance.log.warnings)
    return Check(
        "install",
        f"{instance.nevras} installed, every scriptlet succeeded",
        True,
        f"{instance.log.seconds:.2f}s",
        warnings,
        id=INSTALLED_ID,
    )


def _upgrade(
    instance: Instance,
    profile: Profile,
    plan: CheckPlan,
    checks: list[Check],
    timings: dict[str, float],
    reporter: Reporter,
    bare: Callable[[], frozenset[str]],
) -> upgrade.Upgraded | None:
    """Boot the old version, check it is healthy, then upgrade it in place."""
    began = time.monotonic()
    with reporter.step("booting the old version"):
        before = verify(instance, plan.expect, bare)
    healthy = "old version healthy before the upgrade"
    if not all(c.ok or c.warning for c in before.checks):
        bad = [c for c in before.checks if not (c.ok or c.warning)]
        checks.append(
            Check(
                "upgrade", healthy, False,
                "; ".join(f"{c.name}: {c.detail}" for c in bad),
                "\n".join(c.evidence for c in bad if c.evidence), id=OLD_HEALTHY_ID,
            ).timed(began, time.monotonic())
        )  # fmt: skip
        return None
    checks.append(Check("upgrade", healthy, True, id=OLD_HEALTHY_ID).timed(began, time.monotonic()))
    t = time.monotonic()
    with reporter.step(f"upgrading to {', '.join(r.path.name for r in plan.rpms)}"):
        try:
            upgraded = upgrade.upgrade(instance, profile, plan.rpms)
        except InstallError as exc:
            failed = Check(
                "upgrade", exc.message, False, "", exc.details or "", id=upgrade.UPGRADED_ID
            )
            checks.append(failed.timed(t, time.monotonic()))
            return None
    timings["upgrade"] = time.monotonic() - t
    checks += [c.timed(t, t + timings["upgrade"]) for c in upgraded.checks]
    checks += setaside.checks(upgraded.instance.log.output, fresh=False)
    return upgraded


def blamed_on_upgrade(checks: tuple[Check, ...], upgraded: upgrade.Upgraded) -> list[Check]:
    """The new version's checks, a unit the upgrade disabled or a user it removed named as such.

    "Not enabled at boot" would point at the new package; the upgrade stage names the cause.
    """
    lost = {f"unit {u} enabled at boot" for u in upgraded.disabled}
    lost |= {f"user {u} exists" for u in upgraded.removed}
    note = "lost during the upgrade: see the upgrade stage for the likely cause"
    return [
        dataclasses.replace(c, detail="; ".join(filter(None, (c.detail, note))))
        if c.name in lost and not c.ok
        else c
        for c in checks
    ]


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or ["failed"])[0][:300]


def app_tests_command(tests: Path, instance_name: str, junit: Path) -> list[str]:
    """pytest with the plugin's `host` and `rpm_host` fixtures on the instance."""
    # `-c /dev/null`: no ini file applies, so an `rpmkit_app` there cannot make the
    # plugin build and boot a second instance; --rpmkit-instance names this one.
    return [
        sys.executable, "-m", "pytest", str(tests),
        f"--rpmkit-instance={instance_name}",
        "-p", "no:cacheprovider",
        "-c", "/dev/null",
        f"--rootdir={tests}",
        "-q", "--no-header",
        f"--junitxml={junit}",
    ]  # fmt: skip


def run_app_tests(instance: Instance, tests: Path) -> list[Check]:
    """Run the app's testinfra tests against the instance; one check per test.

    Each test's time is pytest's own (from its JUnit report), laid out to end when
    the run ended: pytest's start-up counts towards the first test.
    """
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rpmkit-tests-") as tmp:
        junit = Path(tmp) / "junit.xml"
        proc = subprocess.run(
            app_tests_command(tests, instance.name, junit),
            capture_output=True,
            text=True,
            timeout=600,
        )
        finished = time.monotonic()
        if not junit.is_file():
            return [
                Check(
                    "app-tests", f"tests in {tests}", False, f"pytest exited {proc.returncode}",
                    (proc.stdout + proc.stderr)[-3000:], id=APP_TESTS_ID,
                ).timed(began, finished)
            ]  # fmt: skip
        checks = []
        for case in ET.parse(junit).getroot().iter("testcase"):
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
            check_id = f"app-tests.test:{name}"
            seconds = _seconds(case.get("time"))
            if case.find("skipped") is not None:
                checks.append(
                    Check("app-tests", name, True, "skipped", warning=True, id=check_id,
                          seconds=seconds)
                )  # fmt: skip
                continue
            checks.append(
                Check(
                    "app-tests",
                    name,
                    problem is None,
                    "" if problem is None else _first_line(problem.get("message") or "failed"),
                    "" if problem is None else (problem.text or "")[-3000:],
                    id=check_id,
                    seconds=seconds,
                )
            )
        if proc.returncode == 5 or not checks:
            checks.append(
                Check("app-tests", f"tests in {tests}", False, "no tests collected",
                      id=APP_TESTS_ID).timed(began, finished)
            )  # fmt: skip
        return _end_at(checks, finished)


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value or 0))
    except ValueError:
        return 0.0


def _end_at(checks: list[Check], finished: float) -> list[Check]:
    """Sequential checks with their own durations, placed so the last ends at `finished`."""
    out: list[Check] = []
    at = finished
    for check in reversed(checks):
        if check.started is not None:  # already placed
            out.insert(0, check)
            continue
        seconds = check.seconds or 0.0
        at -= seconds
        out.insert(0, dataclasses.replace(check, started=at, seconds=seconds))
    return out


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
    infra = loaded.app_dir / "tests" / "infra"
    settings = loaded.app.check
    return CheckPlan(
        rpms,
        loaded.app.name,
        expectations(loaded.app, health),
        config_app=loaded.app.name,
        bake_max_age=loaded.app.bake.max_receipt_age,
        app_tests=infra if any(infra.glob("test_*.py")) else None,
        limits=Limits(settings.memory_mib, settings.pids),
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

"""The check, stage by stage: install -> verify -> app tests -> report -> receipts.

Everything one check makes carries the run's labels and is removed when it
ends, on pass, failure and Ctrl-C, unless `keep` asks otherwise. The RPMs are
staged (hashed once, copied read-only) before anything starts; what is
installed, reported and bound into the receipt is those bytes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rpmkit.check import teardown
from rpmkit.check.app_tests import APP_TESTS_ID, run_app_tests
from rpmkit.check.plan import CheckPlan
from rpmkit.checks import Check
from rpmkit.errors import DockerUnavailable, InstallError
from rpmkit.install import setaside, spare
from rpmkit.install.spare import Spares
from rpmkit.install.stage import RPM_DIR, Instance, Limits, install
from rpmkit.labels import Run
from rpmkit.profiles import Profile
from rpmkit.progress import Reporter
from rpmkit.report.text import Report
from rpmkit.target import fits
from rpmkit.verify import baseline, policies, verify

if TYPE_CHECKING:
    from rpmkit.engine import Engine
    from rpmkit.images import RuntimeImage
    from rpmkit.install import upgrade


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
    subject = ", ".join(str(r.nevra) for r in plan.rpms)
    run = Run.new(plan.app, keep=plan.keep, subject=subject)
    # From here on, a detached watcher removes what the run makes once this process ends.
    watcher = None if plan.keep else teardown.watch(_teardown)
    if watcher is not None:
        watcher.send({"run": run.id})
        watcher.send({"reap": True})  # what killed runs left: after this one, not before it
    else:
        engine.reap()
    spares = _spares(engine, plan, runtime, watcher)
    start = time.monotonic()
    timings: dict[str, float] = {}
    checks: list[Check] = []
    instance: Instance | None = None
    bare = _baseline(engine, profile, runtime, run)
    try:
        # With spares, published unbooted too (nothing listens): one kind of instance, one
        # spare for both tiers. Without, the static tier saves the engine's port set-up.
        probe = plan.expect.probe
        publish = (probe.port,) if probe and (plan.boot or spares is not None) else ()
        first = plan.upgrade_from or plan.rpms
        names = ", ".join(r.path.name for r in first)
        with reporter.step(f"installing {names} into a fresh {profile.name} runtime"):
            try:
                checks += fits.check(profile, plan.rpms)  # the target's facts, before anything runs
                instance = install(
                    engine, profile, runtime.tag, first, run,
                    boot=plan.boot or bool(plan.upgrade_from), publish=publish,
                    limits=plan.limits, spares=spares, repos=plan.repos,
                    keep_repos=plan.keep_repos, network=plan.network,
                    session=not plan.upgrade_from,
                )  # fmt: skip
            except fits.Unfit as exc:  # would not install on the target: nothing installed
                checks.append(exc.check.timed(start, time.monotonic()))
            except InstallError as exc:
                failed = Check(
                    "install", "install", False, exc.message, exc.details or "", id=INSTALLED_ID
                )
                checks.append(failed.timed(start, time.monotonic()))
        timings["install"] = time.monotonic() - start
        if instance is not None and spares is not None and spares.taken:
            reporter.detail(f"installed into {instance.name}, the spare the last check left")
        upgraded: upgrade.Upgraded | None = None
        if instance is not None:
            checks.append(_installed(instance).timed(start, start + timings["install"]))
            checks += [c.timed(start, start + timings["install"]) for c in sources(instance)]
            checks += setaside.checks(instance.log.output, fresh=True)
            if plan.upgrade_from:
                upgraded = _upgrade(instance, profile, plan, checks, timings, reporter, bare)
                instance = upgraded.instance if upgraded is not None else None
        if instance is not None:
            label = "booting and checking" if plan.boot else "checking (no boot)"
            # What the package ships, read by its own tools: static files, checked while
            # the instance boots rather than after (the verdict is the same, sooner). The
            # queries share one shell in the instance: an exec each costs ~45 ms.
            with ThreadPoolExecutor(max_workers=1) as pool, instance.container.session():
                shipped = pool.submit(policies.check, instance)
                with reporter.step(label):
                    verification = verify(instance, plan.expect, bare)
                t = time.monotonic()
                shipped_checks = shipped.result()
                waited = time.monotonic() - t
            if upgraded is not None:
                from rpmkit.install import state  # the upgrade path's modules: only there

                t = time.monotonic()
                after = state.describe(instance, list(upgraded.before.entries))
                state_kept = state.state_check(upgraded.before, after, upgraded.scripts)
                at = max(i for i, c in enumerate(checks) if c.stage == "upgrade") + 1
                checks.insert(at, state_kept.timed(t, time.monotonic()))
                checks += blamed_on_upgrade(verification.checks, upgraded)
            else:
                checks += verification.checks
            if instance.booted and not all(c.ok or c.warning for c in checks):
                # The session's shell answers from inside the instance even while a
                # stopping engine shuts it down: a failure is only judged once the engine
                # still runs commands in it (a stopping one refuses: DockerUnavailable).
                instance.container.exec(["true"], own=True)
                failing = [c for c in checks if not (c.ok or c.warning)]
                checks += memory_check(instance, plan.limits, failing)
            timings.update(verification.timings)
            checks += shipped_checks
            timings["verify"] = timings.get("verify", 0.0) + waited
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
                from rpmkit.install import upgrade

                with reporter.step(f"erasing {subject}"):
                    erased = upgrade.erase(instance, profile)
                timings["erase"] = time.monotonic() - t
                checks += [c.timed(t, t + timings["erase"]) for c in erased]
        timings["total"] = time.monotonic() - start
        report = Report(subject, profile.name, tuple(checks), timings)
        kept = (
            run.container_name() if plan.keep and engine.container(run.container_name()) else None
        )
        if watcher is not None:
            if spares is not None:
                watcher.send(spares.leave_message(profile.name))
            watcher.send({"done": True})
        return CheckOutcome(report, kept, runtime.id)
    except BaseException:
        if not plan.keep and watcher is not None:  # stopped or failed: clean up before exiting
            _remove(engine, run.id, spares)
        raise
    finally:
        if not plan.keep and watcher is None:
            _remove(engine, run.id, spares)


def _spares(
    engine: Engine, plan: CheckPlan, runtime: RuntimeImage, watcher: teardown.Watcher | None
) -> Spares | None:
    """Spares for this check, when asked for (or by default) and possible: a local engine,
    no instance to keep, and a detached watcher to make the next one."""
    if watcher is None or plan.keep or not engine.is_local or not spare.wanted(plan.spare):
        return None
    return Spares(engine, runtime.tag, runtime.id, RPM_DIR, claimed=watcher.send)


def _remove(engine: Engine, run_id: str, spares: Spares | None) -> None:
    # If the engine went away, the next run's reaper removes what is left.
    with contextlib.suppress(DockerUnavailable):
        if spares is not None:
            spares.release()
        engine.remove_run(run_id)


def _teardown(messages: list[dict[str, Any]]) -> None:
    """The watcher's work once the check's process has ended: after a finished check, a new
    spare first (the next check may come at once); then remove the run's objects, the spares
    it took or found stale, and what killed runs left."""
    from rpmkit.engine import connect

    engine = connect()
    made = None
    if any(m.get("done") for m in messages):
        for message in messages:
            if "leave" in message:
                with contextlib.suppress(DockerUnavailable, OSError):
                    made = spare.leave_from(engine, message["leave"])
    for message in messages:
        with contextlib.suppress(DockerUnavailable):
            if "run" in message:
                engine.remove_run(str(message["run"]))
            elif "spare" in message:
                spare.remove(engine, str(message["spare"]))
            elif message.get("reap"):
                engine.reap()
    if made is not None:
        with contextlib.suppress(DockerUnavailable):
            spare.reap(engine)
        if spare.wait_unclaimed(made, spare.idle_seconds()):
            spare.remove(engine, made)


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


# systemd's Result= of a unit the kernel killed (SIGKILL; `oom-kill` where systemd sees it).
KILLED_RESULTS = ("result signal", "result oom-kill")


def memory_check(instance: Instance, limits: Limits, failed: list[Check]) -> list[Check]:
    """After a failure: whether the kernel's OOM killer killed a process in the instance.

    Certain when its memory cgroups count a kill (read on this machine for a
    local engine, engine/cgroups.py: the package cannot forge it). Otherwise
    likely when the instance reached 95% of its limit and a unit of the
    failure ended by a signal: the peak counts page cache too, so a service
    that wrote a big file and exited reaches it without any kill.
    """
    kills = instance.container.oom_kills()
    peak, limit = instance.container.memory()
    setting = f"[check] memory_mib = {limits.memory_mib}"
    signalled = any(r in c.detail for c in failed for r in KILLED_RESULTS)
    if kills:
        detail = (
            f"the kernel's OOM killer killed {kills} process(es) in it, at its "
            f"{limit / 2**20:.0f} MiB limit ({setting}): what used the most, most likely "
            "the service"
        )
    elif limit and peak >= 0.95 * limit and signalled:
        detail = (
            f"it reached {peak / 2**20:.0f} MiB of its {limit / 2**20:.0f} MiB limit "
            f"({setting}) and a service was killed by a signal: most likely the kernel's "
            "OOM killer, which kills what uses the most"
        )
    else:
        return []
    return [
        Check(
            "verify", "instance stayed within its memory limit", False, detail,
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


SOURCES_ID = "install.dependency-sources"


def sources(instance: Instance) -> list[Check]:
    """Which repository each dependency the package manager installed came from."""
    found = instance.log.sources
    if found == () or (found is None and not instance.repos):
        return []
    name = "dependencies and the repositories they came from"
    if found is None:
        why = "the package manager's record of them could not be read"
        return [Check("install", name, True, why, warning=True, id=SOURCES_ID)]
    listed = "; ".join(f"{nevra} from {repo}" for nevra, repo in found)
    return [Check("install", name, True, listed, id=SOURCES_ID)]


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
    from rpmkit.install import upgrade

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

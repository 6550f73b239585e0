"""Receipts for a passing check: one per RPM whose file still holds the bytes checked."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from rpmkit import __version__, receipt
from rpmkit.check.plan import CheckPlan, probe_text
from rpmkit.profiles import Profile
from rpmkit.rpm import sha256_file
from rpmkit.verify import declared_units

if TYPE_CHECKING:
    from rpmkit.check.run import CheckOutcome
    from rpmkit.images import RuntimeImage


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
                repositories=tuple(r.shown for r in plan.repos),
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

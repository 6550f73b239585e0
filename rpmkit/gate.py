"""The gate: nothing goes to the bake unless this very RPM passed the check.

A receipt lets an RPM through when it exists, is in the format this rpmkit
writes (`rpmkit.receipt/2`), its own digest (an HMAC when RPMKIT_RECEIPT_KEY
is set) matches its content, it records a booted check with at least the
policy's settle window, it is bound to the RPM file as it is now (sha256 of
the bytes, the header's NEVRA, the file name), it comes from the bake's
profile (or one accepted explicitly) and architecture on a real base image
(not a test stand-in), and it is recent enough.
"""

from __future__ import annotations

import hmac
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rpmkit import receipt, rpm
from rpmkit.errors import GateRefused, RpmkitError
from rpmkit.profiles import host_arch
from rpmkit.rpm import Nevra, RpmFile
from rpmkit.targets import Target, Targets

CLOCK_SKEW = 300.0  # seconds a receipt may seem to come from the future
# The CI check that feeds the gate watches a service this long after health first
# passed (a crash loop shows after the first crash); the developer's quick check uses 0.
MIN_SETTLE = 5.0


@dataclass(frozen=True)
class Policy:
    """What the bake requires of a receipt."""

    target_profile: str = "al2023"
    max_age: float = 86400.0  # seconds
    accept_profile: str | None = None  # a receipt from this profile is accepted too
    target_arch: str = ""  # default: this machine's (rpm's names: x86_64, aarch64)
    min_settle: float = MIN_SETTLE  # seconds
    # Gated by its APP directory: the receipt must come from a check of that app (its
    # config's expectations and its own tests), with the probe its config defines
    # ("" for an app that serves no HTTP). None: bare RPM files.
    app: str | None = None
    probe: str = ""
    # sha256 of every RPM gated in the same command: RPMs checked together pass together.
    together: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Passed:
    """An RPM the gate let through, and why."""

    rpm: Path
    receipt: Path
    sha256: str
    nevra: Nevra
    profile: str
    checked_at: str
    age: float  # seconds
    warnings: tuple[str, ...] = ()


def rerun(given: str, options: str = "") -> str:
    """The hint to check again: "run `rpmkit check [OPTIONS] GIVEN`", GIVEN quoted for a shell."""
    return f"run `rpmkit check {options + ' ' if options else ''}{shlex.quote(given)}`"


def verify(
    path: Path,
    given: str,
    policy: Policy,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Passed:
    """Let the RPM at `path` through, or raise GateRefused with the reason and what to run."""
    env = os.environ if environ is None else environ
    check = rerun(given)
    where = receipt.path_for(path)
    if not where.is_file():
        raise GateRefused(f"{path.name} has no receipt ({where} not found)", hint=check)
    try:
        text = where.read_text(encoding="utf-8")
        found = receipt.Receipt.parse(text, receipt.signing_key(env), str(where))
        actual = rpm.read(path)
    except RpmkitError as exc:
        raise GateRefused(exc.message, hint=exc.hint or check) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GateRefused(f"{where}: not a readable receipt ({exc})", hint=check) from None
    if found.check.tier == "upgrade":
        raise GateRefused(
            f"{where}: the receipt is from an upgrade check (--upgrade-from): it proves the "
            "upgrade path, while a bake installs the RPM fresh",
            hint=check,
        )
    if found.check.tier != "booted":
        raise GateRefused(
            f"{where}: the receipt is from a check that did not boot the instance (--no-boot)",
            hint=check,
        )
    if not hmac.compare_digest(found.rpm.sha256.encode(), actual.sha256.encode()):
        raise GateRefused(
            f"{path.name} changed after the check: sha256 is now {actual.sha256[:12]}..., "
            f"the receipt has {found.rpm.sha256[:12]}...",
            hint=check,
        )
    _check_identity(path, found, actual, check)
    warnings = _check_profile(path, found, policy, given, check)
    _check_target(path, found, policy, given, check)
    _check_scope(path, found, policy, check)
    age = _age(where, found.checked_at, now or datetime.now(timezone.utc), check)
    if age > policy.max_age:
        raise GateRefused(
            f"{path.name}: its receipt is {describe_age(age)} old, older than the "
            f"{describe_age(policy.max_age)} allowed (bake.max_receipt_age)",
            hint=check,
        )
    return Passed(
        path, where, actual.sha256, actual.nevra, found.target.profile, found.checked_at, age,
        warnings,
    )  # fmt: skip


def policy_for(
    target: Target, profile_name: str | None, accept_profile: str | None, max_age: float | None
) -> Policy:
    """The gate's policy for one target: options first, then its app config, then defaults."""
    from rpmkit import profiles
    from rpmkit.handoff import config as handoff_config

    for name in (profile_name, accept_profile):
        if name is not None:
            profiles.get(name)  # ConfigError naming the known profiles
    settings = target.app.app.bake if target.app else handoff_config.Bake()
    app, probe = None, ""
    if target.app is not None:
        from rpmkit.check.plan import expectations, probe_text

        app = target.app.app.name
        probe = probe_text(expectations(target.app.app).probe)
    return Policy(
        target_profile=profile_name or settings.target_profile,
        max_age=max_age or settings.max_receipt_age,
        accept_profile=accept_profile,
        target_arch=settings.target_arch or "",
        # An app's config can raise the floor, never lower it: the gate is the pipeline's.
        min_settle=max(MIN_SETTLE, settings.min_settle),
        app=app,
        probe=probe,
        together=target.together,
    )


def verify_targets(found: Targets, policy: Policy) -> list[Passed]:
    """Every RPM of the targets through the gate (GateRefused at the first that fails)."""
    return [verify(path, found.given, policy) for path in found.rpms]


def _check_scope(path: Path, found: receipt.Receipt, policy: Policy, check: str) -> None:
    """The receipt covers what the bake will get: the app's whole check, every RPM with it."""
    missing = set(found.check.with_rpms) - policy.together
    if missing:
        raise GateRefused(
            f"{path.name} was checked together with {len(found.check.with_rpms)} other RPM(s) "
            f"(sha256 {', '.join(sorted(h[:12] for h in missing))}...), which this gate was not "
            "given: RPMs installed together pass the gate together",
            hint="gate (and bake) all of them in one command, or check this one alone",
        )
    if policy.app is not None:
        if found.check.app != policy.app:
            raise GateRefused(
                f"{path.name}: the receipt is from a check of the RPM file, not of the app "
                f"{policy.app} (its config's expectations and its own tests did not apply)",
                hint=check,
            )
        if found.check.probe != policy.probe:
            raise GateRefused(
                f"{path.name} was checked with the health probe {found.check.probe or 'none'!r}, "
                f"the app's config says {policy.probe or 'none'!r}",
                hint=check,
            )
        return
    if not found.check.probe and not found.check.app:
        raise GateRefused(
            f"{path.name} was checked without a health check (--no-health): a bare RPM "
            "passes the gate only with one",
            hint="gate the app's directory (whose config may say it serves no HTTP), or check "
            "the RPM with its health check",
        )
    status = found.check.probe.rsplit(" ", 1)[-1] if found.check.probe else "200"
    if not status.isdigit() or not 200 <= int(status) < 400:
        raise GateRefused(
            f"{path.name} was checked expecting health status {status[:10]}: a healthy target "
            "answers 2xx or 3xx",
            hint=check,
        )


def _check_identity(path: Path, found: receipt.Receipt, actual: RpmFile, check: str) -> None:
    if found.rpm.file != path.name:
        raise GateRefused(
            f"{path.name}: the receipt is for {found.rpm.file[:200]}, not this file name",
            hint=check,
        )
    if found.rpm.nevra != actual.nevra:
        raise GateRefused(
            f"{path.name}: the receipt is for {found.rpm.nevra}, the package is {actual.nevra}",
            hint=check,
        )
    mismatch = actual.name_mismatch()
    if mismatch:
        raise GateRefused(f"{path.name}: renamed RPM: {mismatch}", hint=check)


def _check_target(
    path: Path, found: receipt.Receipt, policy: Policy, given: str, check: str
) -> None:
    arch = policy.target_arch or host_arch()
    if found.target.arch != arch:
        raise GateRefused(
            f"{path.name} was checked for {found.target.arch[:40]}, the bake target is {arch}",
            hint=f"check it on a {arch} machine",
        )
    if found.rpm.nevra.arch not in ("noarch", arch):
        raise GateRefused(f"{path.name} is built for {found.rpm.nevra.arch}, the target is {arch}")
    if found.target.stand_in:
        raise GateRefused(
            f"{path.name} was checked on an image built on a stand-in base "
            f"({found.target.runtime_image[:80]}), not the target's",
            hint=f"{check} on the profile's real base image",
        )
    if found.check.settle < policy.min_settle:
        raise GateRefused(
            f"{path.name} was checked with a settle window of {found.check.settle:g}s; the gate "
            f"requires at least {policy.min_settle:g}s (a crash loop shows only after the first "
            "crash)",
            hint=rerun(given, f"--settle {policy.min_settle:g}"),
        )


def _check_profile(
    path: Path, found: receipt.Receipt, policy: Policy, given: str, check: str
) -> tuple[str, ...]:
    profile = found.target.profile
    target = policy.target_profile
    if profile == target:
        return ()
    if policy.accept_profile is not None and profile == policy.accept_profile:
        return (
            f"accepting {path.name}'s receipt from profile {profile}, not the bake's "
            f"{target}, because of --accept-profile {profile}",
        )
    raise GateRefused(
        f"{path.name} was checked on profile {profile[:40]}, the bake target is {target}",
        hint=f"{rerun(given, f'--profile {shlex.quote(target)}')}, "
        f"or accept it with --accept-profile {profile}",
    )


def _age(where: Path, checked_at: str, now: datetime, check: str) -> float:
    try:
        when = datetime.strptime(checked_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise GateRefused(
            f"{where}: checked_at {checked_at[:40]!r} is not a UTC time like 2026-11-05T10:20:30Z",
            hint=check,
        ) from None
    age = (now - when).total_seconds()
    if age < -CLOCK_SKEW:
        raise GateRefused(f"{where}: checked_at {checked_at} is in the future", hint=check)
    return max(age, 0.0)


def describe_age(seconds: float) -> str:
    """A duration as `2d 3h`, `5h 12m`, `4m 10s` or `40s`."""
    s = int(seconds)
    days, hours, minutes = s // 86400, s % 86400 // 3600, s % 3600 // 60
    if days >= 2:
        return f"{days}d {hours}h" if hours else f"{days}d"
    hours += 24 * days
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {s % 60}s" if s % 60 else f"{minutes}m"
    return f"{s}s"

"""The gate: nothing goes to the bake unless this very RPM passed the check.

A receipt lets an RPM through when it exists, says the check passed, is
bound to the RPM's sha256 as it is now, comes from the bake's profile (or
one accepted explicitly), is recent enough, is in a format this rpmkit reads,
and its own digest (an HMAC when RPMKIT_RECEIPT_KEY is set) matches its content.
"""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpmkit import receipt
from rpmkit.errors import ConfigError, GateRefused

if TYPE_CHECKING:
    from rpmkit.config import LoadedConfig

FORMATS = frozenset({1})  # receipt format versions this rpmkit reads
CLOCK_SKEW = 300.0  # seconds a receipt may seem to come from the future


@dataclass(frozen=True)
class Policy:
    """What the bake requires of a receipt."""

    target_profile: str = "al2023"
    max_age: float = 86400.0  # seconds
    accept_profile: str | None = None  # a receipt from this profile is accepted too


@dataclass(frozen=True)
class Passed:
    """An RPM the gate let through, and why."""

    rpm: Path
    receipt: Path
    sha256: str
    profile: str
    checked_at: str
    age: float  # seconds
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """An RPM to hand off, with its app's config when it was named by its APP directory."""

    rpm: Path
    app: LoadedConfig | None
    given: str  # what the user typed: used in the hints that say what to run


def resolve(paths: tuple[Path, ...], dist: Path | None = None) -> list[Target]:
    """One APP directory (its RPMs, found like `rpmkit check APP`) or RPM files."""
    apps = [p for p in paths if p.is_dir()]
    if apps and (len(paths) > 1):
        raise ConfigError("give one app directory, or RPM files, not both")
    if apps:
        from rpmkit import config, pipeline

        loaded = config.load(apps[0])
        return [Target(rpm, loaded, str(apps[0])) for rpm in pipeline.find_rpms(loaded, dist)]
    for rpm in paths:
        if not rpm.is_file():
            raise ConfigError(f"{rpm}: no such file or app directory")
        if rpm.suffix != ".rpm" or rpm.name.endswith(".src.rpm"):
            raise ConfigError(f"{rpm}: not a binary RPM (expected NAME-VERSION-RELEASE.ARCH.rpm)")
    return [Target(rpm, None, str(rpm)) for rpm in paths]


def verify(
    target: Target,
    policy: Policy,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Passed:
    """Let the target's RPM through, or raise GateRefused with the reason and what to run."""
    rpm = target.rpm
    env = os.environ if environ is None else environ
    check = f"run `rpmkit check {target.given}`"
    path = receipt.receipt_path(rpm)
    if not path.is_file():
        raise GateRefused(f"{rpm.name} has no receipt ({path} not found)", hint=check)
    content = _read(path, check)
    if content.get("format") not in FORMATS:
        raise GateRefused(
            f"{path}: receipt format {content.get('format')!r} is not one this rpmkit reads "
            f"({', '.join(map(str, sorted(FORMATS)))})",
            hint=f"{check} with this rpmkit",
        )
    _check_digest(path, content, env.get(receipt.KEY_ENV) or None, check)
    if content.get("passed") is not True:
        raise GateRefused(f"{path}: the receipt records a failed check", hint=check)
    if content.get("tier", "booted") != "booted":
        raise GateRefused(
            f"{path}: the receipt is from a check that did not boot the instance (--no-boot)",
            hint=check,
        )
    recorded = _field(content, path, check, "rpm", "sha256")
    actual = receipt.sha256_file(rpm)
    if not hmac.compare_digest(str(recorded), actual):
        raise GateRefused(
            f"{rpm.name} changed after the check: sha256 is now {actual[:12]}..., "
            f"the receipt has {str(recorded)[:12]}...",
            hint=check,
        )
    warnings = _check_profile(rpm, content, path, policy, target.given, check)
    checked_at = str(_field(content, path, check, "checked_at"))
    age = _age(path, checked_at, now or datetime.now(timezone.utc), check)
    if age > policy.max_age:
        raise GateRefused(
            f"{rpm.name}: its receipt is {describe_age(age)} old, older than the "
            f"{describe_age(policy.max_age)} allowed (bake.max_receipt_age)",
            hint=check,
        )
    profile = str(content["profile"])
    return Passed(rpm, path, actual, profile, checked_at, age, warnings)


def _read(path: Path, check: str) -> dict[str, Any]:
    try:
        content = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GateRefused(f"{path}: not a readable receipt ({exc})", hint=check) from None
    if not isinstance(content, dict):
        raise GateRefused(f"{path}: not a readable receipt (not a JSON object)", hint=check)
    return content


def _field(content: dict[str, Any], path: Path, check: str, *keys: str) -> Any:
    value: Any = content
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            raise GateRefused(f"{path}: the receipt has no {'.'.join(keys)}", hint=check)
        value = value[key]
    return value


def _check_digest(path: Path, content: dict[str, Any], key: str | None, check: str) -> None:
    stored = content.get("digest")
    if not isinstance(stored, dict) or not isinstance(stored.get("value"), str):
        raise GateRefused(f"{path}: the receipt has no digest", hint=check)
    algorithm = stored.get("algorithm")
    if algorithm == "hmac-sha256" and not key:
        raise GateRefused(
            f"{path}: the receipt is signed (hmac-sha256) but {receipt.KEY_ENV} is not set",
            hint=f"set {receipt.KEY_ENV} to the key the check used",
        )
    if key and algorithm != "hmac-sha256":
        raise GateRefused(
            f"{path}: the receipt is not signed, and {receipt.KEY_ENV} is set, so a "
            "signed one is required",
            hint=f"{check} with {receipt.KEY_ENV} set",
        )
    if algorithm not in ("sha256", "hmac-sha256"):
        raise GateRefused(f"{path}: unknown digest algorithm {algorithm!r}", hint=check)
    expected = receipt.digest(content, key)["value"]
    if not hmac.compare_digest(stored["value"], expected):
        why = "edited after the check, or signed with another key" if key else "edited"
        raise GateRefused(
            f"{path}: the receipt's digest does not match its content ({why})", hint=check
        )


def _check_profile(
    rpm: Path, content: dict[str, Any], path: Path, policy: Policy, given: str, check: str
) -> tuple[str, ...]:
    profile = _field(content, path, check, "profile")
    target = policy.target_profile
    if profile == target:
        return ()
    if policy.accept_profile is not None and profile == policy.accept_profile:
        return (
            f"accepting {rpm.name}'s receipt from profile {profile}, not the bake's "
            f"{target}, because of --accept-profile {profile}",
        )
    raise GateRefused(
        f"{rpm.name} was checked on profile {profile}, the bake target is {target}",
        hint=f"run `rpmkit check --profile {target} {given}`, "
        f"or accept it with --accept-profile {profile}",
    )


def _age(path: Path, checked_at: str, now: datetime, check: str) -> float:
    try:
        when = datetime.strptime(checked_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise GateRefused(
            f"{path}: checked_at {checked_at!r} is not a UTC time like 2026-11-05T10:20:30Z",
            hint=check,
        ) from None
    age = (now - when).total_seconds()
    if age < -CLOCK_SKEW:
        raise GateRefused(f"{path}: checked_at {checked_at} is in the future", hint=check)
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

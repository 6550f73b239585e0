"""Checks are not repeated: an unchanged check of unchanged bytes answers from its receipt.

Builds are reproducible, so a rebuild of unchanged sources gives byte-identical
RPMs. A check is `cached` when a valid passing receipt lies next to each RPM
whose cache key equals this check's:

- the sha256 of every RPM checked, and of every RPM upgraded from;
- the runtime image's content-addressed tag (not its engine id: a CI runner
  that rebuilds the same image from the same inputs still hits);
- everything that decides the verdict: boot or not, health probe, expected
  ports/users/files, settle window, limits, erase, the app's own tests'
  contents, profile and architecture, the target's facts (facts.toml);
- the repositories the install sees: ids, URLs, keys, and a local folder's
  repodata (a remote repository's content is not known here: --no-cache
  checks against what it serves now);
- rpmkit's version.

The receipt's own digest is verified as the gate verifies it; with
RPMKIT_RECEIPT_KEY set only keyed receipts count (a CI cache can be written by
other branches). The report of the cached check is kept beside it, under
`$XDG_CACHE_HOME/rpmkit/checks/` (default ~/.cache), so `--json`/`--junit-xml`
are written the same way. `--no-cache` checks again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpmkit import __version__, nocache, receipt
from rpmkit.checks import Check
from rpmkit.errors import RpmkitError
from rpmkit.install import repos
from rpmkit.report.text import Report
from rpmkit.target import facts

if TYPE_CHECKING:
    from rpmkit.check.plan import CheckPlan
    from rpmkit.images import RuntimeImage
    from rpmkit.profiles import Profile


def key(plan: CheckPlan, profile: Profile, runtime: RuntimeImage) -> str:
    """The check's cache key: a sha256 over everything that decides its verdict."""
    tests: list[str] = []
    if plan.app_tests is not None:
        for path in sorted(plan.app_tests.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                tests.append(f"{path.relative_to(plan.app_tests)}:{digest}")
    parts: dict[str, Any] = {
        "rpms": [r.sha256 for r in plan.rpms],
        "upgrade_from": [r.sha256 for r in plan.upgrade_from],
        "runtime_image": runtime.tag,
        "stand_in": runtime.stand_in,
        "profile": profile.name,
        "arch": profile.arch,
        "target_facts": dataclasses.asdict(facts.load(profile.name)),
        "expect": dataclasses.asdict(plan.expect),
        "boot": plan.boot,
        "erase": plan.erase,
        "limits": dataclasses.asdict(plan.limits),
        "repos": repos.cache_parts(plan.repos),
        "keep_repos": plan.keep_repos,
        "app_tests": tests,
        "config_app": plan.config_app,
        "rpmkit": __version__,
    }
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def folder() -> Path:
    """Where cached reports are kept."""
    return nocache.cache_dir("checks")


# A cached answer is only as fresh as the gate accepts (bake.max_receipt_age's default):
# an older receipt is checked again, so the new receipt can pass the gate.
MAX_AGE = 86400.0  # seconds


def lookup(plan: CheckPlan, cache_key: str, max_age: float = MAX_AGE) -> Report | None:
    """The cached passing report of this exact check, or None (also when too old)."""
    from datetime import datetime, timezone

    keyed = receipt.signing_key()
    for rpm in plan.rpms:
        path = receipt.path_for(rpm.path)
        try:
            found = receipt.Receipt.parse(path.read_text(encoding="utf-8"), keyed, str(path))
        except (OSError, UnicodeDecodeError, RpmkitError):
            return None
        if found.cache_key != cache_key or found.rpm.sha256 != rpm.sha256:
            return None
        if found.rpm.file != rpm.path.name or found.rpm.nevra != rpm.nevra:
            return None
        try:
            checked = datetime.strptime(found.checked_at, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return None
        age = datetime.now(timezone.utc) - checked.replace(tzinfo=timezone.utc)
        if not 0 <= age.total_seconds() < max_age:
            return None
    return _load(cache_key)


def store(cache_key: str, report: Report) -> None:
    """Keep a passing check's report for the next identical check."""
    if not report.ok:
        return
    where = folder()
    content = {
        "subject": report.subject,
        "profile": report.profile,
        "timings": report.timings,
        "checks": [dataclasses.asdict(c) for c in report.checks],
    }
    tmp = where / f".{cache_key}.{os.getpid()}.tmp"
    try:
        where.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(content))
        tmp.replace(where / f"{cache_key}.json")
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        nocache.warn("check cache", where, exc)


def _load(cache_key: str) -> Report | None:
    try:
        content = json.loads((folder() / f"{cache_key}.json").read_text())
        checks = tuple(Check(**c) for c in content["checks"])
        report = Report(
            str(content["subject"]), str(content["profile"]), checks,
            {str(k): float(v) for k, v in content["timings"].items()},
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return report if report.ok else None

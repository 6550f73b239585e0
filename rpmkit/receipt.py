"""Receipts: proof, bound to the RPM's sha256 and the profile, that the check passed.

A receipt carries a digest of its own content: HMAC-SHA256 with
RPMKIT_RECEIPT_KEY when that is set (a pipeline can then detect a forged
receipt), plain SHA-256 otherwise (which only catches accidental edits).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rpmkit import __version__
from rpmkit.report import Report

FORMAT = 1
KEY_ENV = "RPMKIT_RECEIPT_KEY"


@dataclass(frozen=True)
class Receipt:
    """A written receipt and where it is."""

    path: Path
    content: dict[str, Any]


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def receipt_path(rpm: Path, dist: Path | None = None) -> Path:
    """`<dist>/<rpm file name>.receipt.json`."""
    return (dist or rpm.parent) / f"{rpm.name}.receipt.json"


def digest(content: dict[str, Any], key: str | None = None) -> dict[str, str]:
    """The digest of a receipt's content (everything but the digest itself)."""
    body = {k: v for k, v in content.items() if k != "digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    if key:
        mac = hmac.new(key.encode(), canonical, hashlib.sha256).hexdigest()
        return {"algorithm": "hmac-sha256", "value": mac}
    return {"algorithm": "sha256", "value": hashlib.sha256(canonical).hexdigest()}


def discard(rpm: Path) -> bool:
    """Remove an RPM's receipt (a later check failed); True when there was one."""
    path = receipt_path(rpm)
    if path.is_file():
        path.unlink()
        return True
    return False


def write(report: Report, rpm: Path, image_id: str, dist: Path | None = None) -> Receipt:
    """Write the receipt of a passing check next to the RPM (or into `dist`)."""
    if not report.ok:
        raise ValueError("a receipt is written only for a passing check")
    content: dict[str, Any] = {
        "format": FORMAT,
        "rpm": {"file": rpm.name, "sha256": sha256_file(rpm)},
        "subject": report.subject,
        "profile": report.profile,
        "runtime_image_id": image_id,
        "passed": True,
        # "booted": installed, booted and verified; "static": --no-boot, which the gate refuses.
        "tier": "booted" if any(c.stage == "boot" for c in report.checks) else "static",
        "health_checked": any(c.stage == "health" for c in report.checks),
        "checked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rpmkit_version": __version__,
        "timings": {k: round(v, 3) for k, v in report.timings.items()},
        "checks": [
            {"stage": c.stage, "name": c.name, "ok": c.ok, "warning": c.warning}
            for c in report.checks
        ],
    }
    content["digest"] = digest(content, os.environ.get(KEY_ENV))
    path = receipt_path(rpm, dist)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return Receipt(path, content)

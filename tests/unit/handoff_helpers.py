"""Helpers for the gate and hand-off tests: an app, its RPM and receipt, fake tools."""

from __future__ import annotations

import json
import os
import stat
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from rpmkit import __version__, receipt, rpm
from rpmkit.checks import Check
from rpmkit.profiles import host_arch
from rpmkit.report.text import Report
from tests.rpmfactory import make_rpm

RPM_NAME = "hello-world-1.0.0-1.noarch.rpm"
AMI_NAME = "hello-world-1.0.0-1.noarch-x86_64-202611051020-ebs"
BASE_AMI = "ami-0123456789abcdef0"
BAKED_AMI = "ami-0fedcba9876543210"

APP_TOML = """\
name = "hello-world"
version = "1.0.0"
summary = "Hello"
license = "MIT"
template = "static-site"

[health_check]
path = "/status"
port = 8080
"""

# What aminator prints on the console (its `simple` logging format), abridged.
AMINATOR_LOG = f"""\
2026-11-05 10:12:01 [INFO] Aminator starting...
2026-11-05 10:12:02 [INFO] Looking up base AMI with ID {BASE_AMI}
2026-11-05 10:12:03 [INFO] Successfully resolved {BASE_AMI}(amzn2023-ami-hvm-x86_64)
2026-11-05 10:12:04 [INFO] Searching for an available block device
2026-11-05 10:13:40 [INFO] Installing package hello-world
2026-11-05 10:19:58 [INFO] Creating snapshot from volume vol-0aa11bb22cc33dd44
2026-11-05 10:20:33 [INFO] AMI registered: {BAKED_AMI} {AMI_NAME}
2026-11-05 10:20:40 [INFO] Successfully tagged {BAKED_AMI}
2026-11-05 10:20:40 [INFO] id: {BAKED_AMI}
2026-11-05 10:20:40 [INFO] name: {AMI_NAME}
2026-11-05 10:20:40 [INFO] virtualization_type: hvm
2026-11-05 10:20:41 [INFO] Amination complete!
"""

PASSING = Report(
    "hello-world-1.0.0-1.noarch",
    "al2023",
    (
        Check("install", "hello-world installed", True),
        Check("boot", "systemd reached running", True),
        Check("health", "health check", True),
    ),
    {"install": 0.3, "boot": 0.3, "health": 0.2, "total": 0.8},
)


def write_app(root: Path, extra: str = "") -> Path:
    """A static-site app directory with an empty `dist/`."""
    app = root / "app"
    (app / "public").mkdir(parents=True)
    (app / "dist").mkdir()
    (app / "rpmkit.toml").write_text(APP_TOML + extra)
    return app


def write_rpm(dist: Path, name: str = RPM_NAME, payload: bytes = b"payload") -> Path:
    """A small RPM file (real lead and headers, no installable payload) named `name`."""
    dist.mkdir(parents=True, exist_ok=True)
    return make_rpm(dist / name, "hello-world", "1.0.0", "1", "noarch", payload=payload)


def receipt_for(
    path: Path,
    profile: str = "al2023",
    age: float = 60.0,
    app: str = "",
    probe: str = "80 /health_check 200",
) -> receipt.Receipt:
    """The receipt a passing booted check with a 5 s settle window would write.

    `app`: the check was of that app's directory (its config's probe is `probe`).
    """
    found = rpm.read(path)
    return receipt.Receipt(
        rpm=receipt.RpmRecord(path.name, found.sha256, found.size, found.nevra),
        check=receipt.CheckRecord(
            tier="booted",
            health_checked=True,
            settle=5.0,
            checks=tuple((c.stage, c.name, c.ok, c.warning) for c in PASSING.checks),
            app=app,
            probe=probe,
        ),
        target=receipt.TargetRecord(profile, host_arch(), "rpmkit/x-runtime:abc", "sha256:img"),
        checked_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - age)),
        rpmkit_version=__version__,
    )


def write_receipt(
    path: Path,
    profile: str = "al2023",
    *,
    age: float = 60.0,
    key: str | None = None,
    app: str = "",
    probe: str = "80 /health_check 200",
    **fields: Any,
) -> Path:
    """A receipt as a check would write it, `age` seconds ago, signed with `key` if given.

    `fields` override JSON values by dotted path: `**{"check.tier": "static"}`.
    """
    content = receipt_for(path, profile, age, app, probe).body()
    for dotted, value in fields.items():
        *parents, last = dotted.split(".")
        node = content
        for part in parents:
            node = node[part]
        node[last] = value
    content["digest"] = receipt.digest(content, key)
    where = receipt.path_for(path)
    where.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    return where


def fake_tool(bin_dir: Path, name: str, body: str) -> Path:
    """An executable Python script `name` in `bin_dir` that records its argv, then runs `body`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    record = bin_dir / f"{name}.calls"
    script = bin_dir / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(record)!r}, 'a') as fh:\n"
        "    fh.write(json.dumps(sys.argv[1:]) + '\\n')\n" + textwrap.dedent(body)
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script


def calls(bin_dir: Path, name: str) -> list[list[str]]:
    """The argument lists a fake tool was called with, in order."""
    record = bin_dir / f"{name}.calls"
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines()]


def put_first_on_path(monkeypatch: pytest.MonkeyPatch, bin_dir: Path) -> None:
    """Make the fake tools the ones a command finds."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")


FAKE_CREATEREPO = """\
repo = sys.argv[-1]
os.makedirs(os.path.join(repo, "repodata"), exist_ok=True)
with open(os.path.join(repo, "repodata", "repomd.xml"), "w") as fh:
    fh.write("<repomd/>\\n")
print("Directory walk started")
print("Pool finished")
"""

FAKE_AMINATE = f"""\
mode = os.environ.get("FAKE_AMINATE", "ok")
log = {AMINATOR_LOG!r}
if mode == "fail":
    print(log.splitlines()[0])
    print("2026-11-05 10:12:02 [ERROR] Could not find base AMI {BASE_AMI}")
    print("2026-11-05 10:12:02 [INFO] Amination failed")
    sys.exit(1)
if mode == "no-ami":
    print("\\n".join(log.splitlines()[:4]))
    sys.exit(0)
if mode == "id-only":
    log = "\\n".join(line for line in log.splitlines() if "AMI registered" not in line)
print(log, end="")
"""

FAKE_SFAPP = """\
if os.environ.get("FAKE_SFAPP") == "fail":
    print("sfapp: deployment failed: ASG did not become healthy")
    sys.exit(2)
print("sfapp: " + sys.argv[1] + " " + sys.argv[2] + ": done")
"""

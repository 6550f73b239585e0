"""--json and --junit-xml of check, run, run --all and rehearse, read back as CI servers do.

A small static site (nginx only: it builds and checks in a few seconds) is run
at two versions, passing and failing, and with a build that fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import rpmkit_cli
from tests.reports import ids, read_junit, read_report

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SITE = Path(__file__).resolve().parents[2] / "examples" / "monorepo" / "docs-site"
CONFIG = """\
name = "{name}"
version = "1.0.0"
summary = "A static site served by nginx"
license = "MIT"
template = "static-site"
static_root = "public"

[nginx]
port = 80

[[directories]]
path = "/var/lib/{name}"
owner = "{owner}"
group = "{owner}"
"""
BROKEN_SPEC = """\
Name: {name}
Version: 1.0.0
Release: 1
Summary: A spec whose install step fails
License: MIT
BuildArch: noarch
%description
Fails on purpose.
%install
echo "cannot write /opt/{name}: No space left on device" >&2
exit 1
%files
"""


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def site(folder: Path, name: str = "site", owner: str = "root") -> Path:
    """A copy of the static site, owning /var/lib/NAME as OWNER (ghost: no such user)."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(SITE, folder, ignore=shutil.ignore_patterns("dist", "*.receipt.*"))
    (folder / "rpmkit.toml").write_text(CONFIG.format(name=name, owner=owner))
    return folder


def broken_build(folder: Path, name: str = "site") -> Path:
    """An app whose hand-written spec fails in %install."""
    folder.mkdir(parents=True)
    (folder / "broken.spec").write_text(BROKEN_SPEC.format(name=name))
    (folder / "rpmkit.toml").write_text(
        f'name = "{name}"\nversion = "1.0.0"\nsummary = "x"\nlicense = "MIT"\n'
        'spec = "broken.spec"\n'
    )
    return folder


def run(app: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return rpmkit_cli(
        "run", str(app), "--profile", "offline", *extra,
        "--json", str(out / "report.json"), "--junit-xml", str(out / "junit" / "report.xml"),
    )  # fmt: skip


def test_run_keeps_each_tests_id_across_a_version_bump_and_from_pass_to_fail(
    offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = site(tmp_path / "site")
    first = run(app, tmp_path / "v1")
    assert first.returncode == 0, output(first)
    bumped = run(app, tmp_path / "v2", "--version", "1.0.1")
    assert bumped.returncode == 0, output(bumped)
    site(app, owner="ghost")  # rpm installs the folder as root: the verify stage fails
    failing = run(app, tmp_path / "v3", "--version", "1.0.1")
    assert failing.returncode == 1, output(failing)

    suites = [read_junit(tmp_path / v / "junit" / "report.xml") for v in ("v1", "v2", "v3")]
    assert [list(s) for s in suites] == [["site"]] * 3  # named after the app, nothing else
    v1, v2, v3 = (s["site"] for s in suites)
    assert ids(v1) == ids(v2) == ids(v3)
    assert ("verify", "verify.file-owned:/var/lib/site") in ids(v1)
    assert ids(v1)[0] == ("build", "build.rpm")
    assert not [name for _, name, _ in v1 if "1.0" in name]
    assert {r for *_, r in v1} == {r for *_, r in v2} == {"pass"}
    assert [name for _, name, r in v3 if r == "fail"] == ["verify.file-owned:/var/lib/site"]

    docs = [read_report(tmp_path / v / "report.json") for v in ("v1", "v2", "v3")]
    assert [d["verdict"] for d in docs] == ["pass", "pass", "fail"]
    assert docs[1]["apps"][0]["subject"] == "site-1.0.1-1.noarch"
    failed = docs[2]["apps"][0]
    assert failed["failed_stage"] == "verify"
    [check] = [c for c in failed["checks"] if c["verdict"] == "fail"]
    assert check["detail"].startswith("owned by root:root; likely cause: rpm at install: ")
    assert "user ghost does not exist - using root" in check["detail"]
    assert failing.stdout.splitlines()[-1].startswith(
        "rpmkit run: FAIL site at verify: 1 of 10 checks failed (verify.file-owned:/var/lib/site)"
    )


def test_a_failed_build_still_writes_both_reports(
    offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = broken_build(tmp_path / "site")
    proc = run(app, tmp_path / "out")
    assert proc.returncode == 1, output(proc)
    assert "Traceback" not in proc.stderr
    doc = read_report(tmp_path / "out" / "report.json")
    [entry] = doc["apps"]
    assert (entry["name"], entry["verdict"], entry["failed_stage"]) == ("site", "fail", "build")
    assert entry["subject"] == "site-1.0.0-1"
    [check] = entry["checks"]
    assert (check["id"], check["verdict"]) == ("build.rpm", "fail")
    assert "No space left on device" in check["evidence"]
    assert entry["error"]
    junit = read_junit(tmp_path / "out" / "junit" / "report.xml")
    assert junit == {"site": [("build", "build.rpm", "fail")]}


def test_check_of_the_rpm_names_its_tests_as_run_does(
    offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = site(tmp_path / "site")
    ran = run(app, tmp_path / "run")
    assert ran.returncode == 0, output(ran)
    rpm = app / "dist" / "site-1.0.0-1.noarch.rpm"
    proc = rpmkit_cli(
        "check", str(rpm), "--profile", "offline", "--junit-xml", str(tmp_path / "check.xml")
    )
    assert proc.returncode == 0, output(proc)
    checked = read_junit(tmp_path / "check.xml")
    from_run = read_junit(tmp_path / "run" / "junit" / "report.xml")
    # A bare RPM has no config: it is checked for what it ships, so fewer tests.
    assert set(ids(checked["site"])) <= set(ids(from_run["site"]))
    assert ("health", "health.http") in ids(checked["site"])


def test_run_all_reports_every_app_with_its_own_suite(
    offline_images: dict[str, str], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    site(repo / "web" / "site")
    broken_build(repo / "broken", name="broken")
    out = tmp_path / "out"
    proc = rpmkit_cli(
        "run", "--all", str(repo), "--profile", "offline", "-j", "2",
        "--json", str(out / "all.json"), "--junit-xml", str(out / "all.xml"),
    )  # fmt: skip
    assert proc.returncode == 1, output(proc)
    doc = read_report(out / "all.json")
    assert doc["command"] == "run --all"
    assert [(a["name"], a["path"], a["verdict"]) for a in doc["apps"]] == [
        ("broken", "broken", "fail"),
        ("site", "web/site", "pass"),
    ]
    junit = read_junit(out / "all.xml")
    assert list(junit) == ["broken", "site"]
    assert junit["broken"] == [("build", "build.rpm", "fail")]
    assert ("health", "health.http", "pass") in junit["site"]


def test_rehearse_reports_validate_and_name_the_app(
    offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = site(tmp_path / "site")
    for version in ("1.0.0", "1.0.1"):
        built = rpmkit_cli("build", str(app), "--profile", "offline", "--version", version)
        assert built.returncode == 0, output(built)
    old, new = (app / "dist" / f"site-{v}-1.noarch.rpm" for v in ("1.0.0", "1.0.1"))
    proc = rpmkit_cli(
        "rehearse", str(app), "--from", str(old), "--to", str(new), "--profile", "offline",
        "--instances", "1", "--steady-seconds", "1", "--after-seconds", "1", "--rate", "10",
        "--json", str(tmp_path / "r.json"), "--junit-xml", str(tmp_path / "r.xml"),
    )  # fmt: skip
    assert proc.returncode == 0, output(proc)
    doc = read_report(tmp_path / "r.json")
    assert doc["command"] == "rehearse"
    [entry] = doc["apps"]
    assert entry["rehearsal"]["load"]["sent"] > 0
    junit = read_junit(tmp_path / "r.xml")
    assert list(junit) == ["site"]
    names = [name for _, name, _ in junit["site"]]
    assert "swap.new-group-in-service" in names
    assert "budget.error-budget" in names

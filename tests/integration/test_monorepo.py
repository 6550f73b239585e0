"""Many apps in one repository: `tox -e APP` and `rpmkit run --all -j 2` on examples/monorepo."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import rpmkit_cli
from tests.reports import ids, read_junit, read_report

pytestmark = [pytest.mark.docker, pytest.mark.slow]

MONOREPO = Path(__file__).resolve().parents[2] / "examples" / "monorepo"
RPMKIT = str(Path(sys.executable).with_name("rpmkit"))


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """A private copy of examples/monorepo (the linked hello-world copied in)."""
    repo = tmp_path / "monorepo"
    shutil.copytree(
        MONOREPO, repo, ignore=shutil.ignore_patterns("dist", ".tox", "__pycache__", "*.receipt.*")
    )
    return repo


def test_tox_env_of_one_app_runs_rpmkit_run_for_it(
    offline_images: dict[str, str], monorepo: Path, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tox", "-e", "hello-world", "--workdir", str(tmp_path / "tox"),
         "--", "--profile", "offline"],
        cwd=monorepo,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "RPMKIT": RPMKIT, "NO_COLOR": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, output(proc)
    assert re.search(r"^PASS: hello-world-1\.0\.0-1\.\S+ on offline$", proc.stdout, re.M), output(
        proc
    )
    assert re.search(r"^\s+hello-world: OK", proc.stdout, re.M), output(proc)
    assert not (monorepo / "docs-site" / "dist").exists()  # only the app asked for


def test_run_all_checks_every_app_side_by_side_with_one_table(
    offline_images: dict[str, str], monorepo: Path, tmp_path: Path
) -> None:
    json_path, junit_path = tmp_path / "all.json", tmp_path / "all.xml"
    proc = rpmkit_cli(
        "run", "--all", str(monorepo), "-j", "2", "--profile", "offline",
        "--json", str(json_path), "--junit-xml", str(junit_path),
    )  # fmt: skip
    assert proc.returncode == 0, output(proc)
    lines = proc.stdout.splitlines()
    header = [i for i, line in enumerate(lines) if line.startswith("APP ")]
    assert len(header) == 1, proc.stdout
    assert lines[header[0]].split() == ["APP", "RESULT", "FAILED", "STAGE", "TIME", "RPM"]
    rows = [line.split() for line in lines[header[0] + 1 : header[0] + 3]]
    assert [row[:3] for row in rows] == [["docs-site", "PASS", "-"], ["hello-world", "PASS", "-"]]
    assert rows[0][4] == "docs-site-1.0.0-1.noarch.rpm"
    assert re.fullmatch(r"hello-world-1\.0\.0-1\.\w+\.rpm", rows[1][4])
    assert lines[-1] == "PASS: 2 apps"
    # Side by side: both had started before the first one finished.
    progress = proc.stderr.splitlines()
    started = [i for i, line in enumerate(progress) if line.endswith(": started")]
    finished = [i for i, line in enumerate(progress) if re.search(r": PASS in [\d.]+s$", line)]
    assert len(started) == 2, proc.stderr
    assert len(finished) == 2, proc.stderr
    assert max(started) < min(finished), proc.stderr

    report = read_report(json_path)
    assert report["verdict"] == "pass"
    assert [a["name"] for a in report["apps"]] == ["docs-site", "hello-world"]
    suites = read_junit(junit_path)
    assert list(suites) == ["docs-site", "hello-world"]
    for app in report["apps"]:
        assert [(c["stage"], c["id"]) for c in app["checks"]] == ids(suites[app["name"]])
    for app in ("docs-site", "hello-world"):
        assert list((monorepo / app / "dist").glob("*.rpm.receipt.json"))


def test_run_all_reports_a_broken_app_and_still_runs_the_others(
    offline_images: dict[str, str], monorepo: Path, tmp_path: Path
) -> None:
    shutil.rmtree(monorepo / "hello-world")
    broken = monorepo / "broken"
    shutil.copytree(monorepo / "docs-site", broken)
    (broken / "rpmkit.toml").write_text(
        (broken / "rpmkit.toml").read_text().replace("docs-site", "broken")
    )
    shutil.rmtree(broken / "public")  # static_root missing: a config error
    junit_path = tmp_path / "all.xml"
    proc = rpmkit_cli(
        "run", "--all", str(monorepo), "--profile", "offline", "--junit-xml", str(junit_path)
    )
    assert proc.returncode == 1, output(proc)
    table = {line.split()[0]: line.split() for line in proc.stdout.splitlines() if line.strip()}
    assert table["broken"][:3] == ["broken", "FAIL", "config"]
    assert table["docs-site"][:2] == ["docs-site", "PASS"]
    assert "--- broken (broken): exit 2" in proc.stderr
    assert "static_root: folder 'public' not found" in proc.stderr
    assert "error: 1 of 2 apps failed: broken" in proc.stderr
    suites = read_junit(junit_path)
    failed = [(s, c, n) for s, found in suites.items() for c, n, r in found if r == "fail"]
    assert failed == [("broken", "config", "config.valid")]

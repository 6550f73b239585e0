"""The whole job on the real example, as a user runs it: `rpmkit run`, `build` then `check`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rpmkit import labels
from rpmkit.receipt import Receipt
from tests.reports import ids, read_junit, read_report

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"
APP = "hello-world"

PASSING_TEST = """\
def test_app_is_installed(host):
    assert host.file("/opt/hello-world/app/app.py").exists
"""
FAILING_TEST = """\
def test_settings_are_installed(host):
    assert host.file("/etc/hello-world/settings.py").exists
"""


def rpmkit(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """`python -m rpmkit ARGS` as a user runs it, without colours."""
    return subprocess.run(
        [sys.executable, "-m", "rpmkit", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
    )


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def report_line(stdout: str, mark: str, stage: str, name: str) -> str | None:
    """The report's line `MARK  STAGE  NAME...`, or None."""
    pattern = rf"^{mark}\s+{re.escape(stage)}\s+{re.escape(name)}\b.*$"
    found = re.search(pattern, stdout, re.MULTILINE)
    return found.group(0) if found else None


def binary_rpm(dist: Path, version: str) -> Path:
    (rpm,) = [p for p in dist.glob(f"{APP}-{version}-1.*.rpm") if not p.name.endswith(".src.rpm")]
    return rpm


def copy_to(rpm: Path, directory: Path) -> Path:
    """A private copy, so what a check writes next to it stays in one test."""
    directory.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(rpm, directory / rpm.name))


def run_objects(client: Any) -> set[str]:
    """Every container, image and network of the example's runs whose process has ended.

    The runs under test are `rpmkit` processes that have exited by the time this is
    asked; another process's run still in progress (a second suite) is not theirs.
    """
    selector = {"label": [labels.RUN, f"{labels.APP}={APP}"]}
    containers = client.containers.list(all=True, filters=selector, ignore_removed=True)
    found = {f"container {c.id}" for c in containers if not labels.owner_alive(c.labels)}
    found |= {
        f"image {i.id}"
        for i in client.images.list(filters=selector)
        if not labels.owner_alive(i.labels)
    }
    found |= {
        f"network {n.id}"
        for n in client.networks.list(filters=selector)
        if not labels.owner_alive(n.attrs.get("Labels") or {})
    }
    return found


def assert_nothing_left(client: Any, before: set[str]) -> None:
    """No run object made since `before` remains.

    Another rpmkit on the same engine may be mid-run: what it made is gone once it
    ends, while a leak stays, so new objects get a short grace period.
    """
    deadline = time.monotonic() + 30
    while (left := run_objects(client) - before) and time.monotonic() < deadline:
        time.sleep(1)
    assert not left, f"left behind: {sorted(left)}"


@pytest.fixture(scope="module")
def built(offline_images: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hello-world built at 1.0.0 and 1.0.1 with `rpmkit build`: their dist folder."""
    dist = tmp_path_factory.mktemp("hello-built")
    for version in ("1.0.0", "1.0.1"):
        proc = rpmkit("build", HELLO, "--profile", "offline", "--dist", dist, "--version", version)
        assert proc.returncode == 0, output(proc)
        rpm = binary_rpm(dist, version)
        assert proc.stdout.split() == [
            str(rpm),
            str(dist / f"{APP}-{version}-1.src.rpm"),
            str(dist / f"{APP}-{version}-1.build.log"),
        ]
    return dist


def test_run_builds_checks_and_writes_a_receipt(
    docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    before = run_objects(docker_client)
    json_path, junit_path = tmp_path / "r.json", tmp_path / "r.xml"
    proc = rpmkit(
        "run", HELLO, "--profile", "offline", "--dist", tmp_path,
        "--json", json_path, "--junit-xml", junit_path,
    )  # fmt: skip
    assert proc.returncode == 0, output(proc)
    assert "Traceback" not in proc.stderr

    rpm = binary_rpm(tmp_path, "1.0.0")
    assert f"built: {rpm}" in proc.stdout
    assert (tmp_path / f"{APP}-1.0.0-1.src.rpm").is_file()
    assert (tmp_path / f"{APP}-1.0.0-1.build.log").stat().st_size > 0
    assert report_line(proc.stdout, "PASS", "health", "health check"), output(proc)
    assert f"PASS: {rpm.name.removesuffix('.rpm')} on offline" in proc.stdout

    receipt_path = tmp_path / f"{rpm.name}.receipt.json"
    assert f"receipt: {receipt_path}" in proc.stdout
    text = receipt_path.read_text()
    receipt = json.loads(text)
    assert receipt["format"] == "rpmkit.receipt/2"
    assert Receipt.parse(text, where=str(receipt_path)).rpm.file == rpm.name  # digest verified
    assert receipt["rpm"]["file"] == rpm.name
    assert receipt["rpm"]["sha256"] == hashlib.sha256(rpm.read_bytes()).hexdigest()
    assert receipt["rpm"]["size"] == rpm.stat().st_size
    nevra = receipt["rpm"]["nevra"]
    assert (nevra["name"], nevra["version"], nevra["release"]) == (APP, "1.0.0", "1")
    assert receipt["target"]["profile"] == "offline"
    assert receipt["target"]["runtime_image"] == offline_images["runtime"]
    assert receipt["check"]["tier"] == "booted"
    assert receipt["check"]["health_checked"] is True

    report = read_report(json_path)
    assert report["verdict"] == "pass"
    [app] = report["apps"]
    assert app["failed_stage"] is None
    suites = read_junit(junit_path)
    assert [(c["stage"], c["id"]) for c in app["checks"]] == ids(suites[APP])
    assert {result for *_, result in suites[APP]} == {"pass"}
    assert_nothing_left(docker_client, before)


def test_upgrade_from_the_previous_version(
    offline_images: dict[str, str], built: Path, tmp_path: Path
) -> None:
    old = copy_to(binary_rpm(built, "1.0.0"), tmp_path / "old")
    new = copy_to(binary_rpm(built, "1.0.1"), tmp_path / "new")
    proc = rpmkit("check", "--profile", "offline", "--upgrade-from", old, new)
    assert proc.returncode == 0, output(proc)
    out = proc.stdout
    old_nevra, new_nevra = old.name.removesuffix(".rpm"), new.name.removesuffix(".rpm")
    assert report_line(out, "PASS", "verify", f"package {APP} 1.0.1-1 installed"), out
    upgrade = [line for line in out.splitlines() if re.match(r"^\w+\s+upgrade\s", line)]
    assert upgrade, out
    assert all(line.startswith("PASS") for line in upgrade), out
    for name in (
        "old version healthy before the upgrade",
        f"upgrade {old_nevra} -> {new_nevra}, every scriptlet succeeded",
        f"upgrade kept the data in /opt/{APP}",
    ):
        assert report_line(out, "PASS", "upgrade", name), f"no PASS for {name!r}:\n{out}"
    assert report_line(out, "PASS", "health", "health check"), out
    assert f"PASS: {new_nevra} on offline" in out
    assert (new.parent / f"{new.name}.receipt.json").is_file()


def test_check_without_boot_is_the_static_tier(
    offline_images: dict[str, str], built: Path, tmp_path: Path
) -> None:
    rpm = copy_to(binary_rpm(built, "1.0.0"), tmp_path)
    proc = rpmkit("check", HELLO, "--dist", tmp_path, "--profile", "offline", "--no-boot")
    assert proc.returncode == 0, output(proc)
    out = proc.stdout
    assert report_line(out, "PASS", "install", rpm.name.removesuffix(".rpm")), out
    assert report_line(out, "PASS", "verify", f"package {APP} 1.0.0-1 installed"), out
    assert not re.search(r"^\w+\s+(boot|health)\s", out, re.MULTILINE), out
    time_line = next(line for line in out.splitlines() if line.startswith("time:"))
    assert " boot " not in time_line
    assert " health " not in time_line
    assert f"PASS: {rpm.name.removesuffix('.rpm')} on offline" in out


AppWithTests = Callable[..., Path]


@pytest.fixture
def app_with_tests(tmp_path: Path) -> AppWithTests:
    """A copy of hello-world with its own testinfra tests in tests/infra/."""

    def make(*tests: str) -> Path:
        app = tmp_path / APP
        shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns("dist", "__pycache__"))
        infra = app / "tests" / "infra"
        infra.mkdir(parents=True)
        (infra / "test_app.py").write_text("\n\n".join(tests))
        return app

    return make


def test_failing_app_test_fails_the_run(
    offline_images: dict[str, str], app_with_tests: AppWithTests
) -> None:
    app = app_with_tests(PASSING_TEST, FAILING_TEST)
    proc = rpmkit("run", app, "--profile", "offline")
    assert proc.returncode == 1, output(proc)
    out = proc.stdout
    failed = report_line(out, "FAIL", "app-tests", "test_app::test_settings_are_installed")
    assert failed, out
    assert "/etc/hello-world/settings.py" in out
    assert report_line(out, "PASS", "app-tests", "test_app::test_app_is_installed"), out
    assert re.search(r"^FAIL at app-tests: hello-world-1\.0\.0-1\.", out, re.MULTILINE), out
    assert "error: check failed at the app-tests stage" in proc.stderr
    assert not list((app / "dist").glob("*.receipt.json"))


def test_passing_app_tests_pass_the_run(
    offline_images: dict[str, str], app_with_tests: AppWithTests
) -> None:
    app = app_with_tests(PASSING_TEST)
    proc = rpmkit("run", app, "--profile", "offline")
    assert proc.returncode == 0, output(proc)
    out = proc.stdout
    assert report_line(out, "PASS", "app-tests", "test_app::test_app_is_installed"), out
    assert not re.search(r"^FAIL", out, re.MULTILINE), out
    assert len(list((app / "dist").glob("*.receipt.json"))) == 1

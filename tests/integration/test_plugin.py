"""The pytest plugin on the real example: the same test files pass under plain pytest
(the plugin builds, installs and boots hello-world) and run inside `rpmkit check`,
where a failing assertion fails the check."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from rpmkit import labels
from tests.integration.conftest import rpmkit_cli

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"

# Written for testinfra's `host` and the plugin's fixtures, as an app's own tests are.
INFRA_TESTS = """\
import requests


def test_host_is_rpm_host(host, rpm_host):
    assert host is rpm_host


def test_package_installed(rpm_host):
    assert rpm_host.run("rpm -q hello-world").stdout.startswith("hello-world-1.0.0-1.")


def test_service_running(host):
    assert host.service("hello-world").is_running
    assert host.socket("tcp://0.0.0.0:80").is_listening


def test_answers_through_nginx(rpm_instance):
    answer = requests.get(rpm_instance.url("/"), timeout=5)
    assert (answer.status_code, answer.text) == (200, "ok\\n")
"""
BROKEN_TEST = """\
def test_settings_installed(rpm_host):
    assert rpm_host.file("/etc/hello-world/settings.py").exists
"""


def containers_of(client: Any, app: str) -> set[str]:
    """An app's containers of runs whose process has ended (not another suite's run)."""
    selector = {"label": [labels.RUN, f"{labels.APP}={app}"]}
    found = client.containers.list(all=True, filters=selector, ignore_removed=True)
    return {c.id for c in found if not labels.owner_alive(c.labels)}


@pytest.fixture(scope="module")
def plain_pytest(
    docker_client: Any, offline_images: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str], set[str]]:
    """A copy of hello-world with tests/infra and a pytest.ini naming it, run with plain pytest."""
    app = tmp_path_factory.mktemp("plugin") / "hello-world"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    (app / "tests" / "infra").mkdir(parents=True)
    (app / "tests" / "infra" / "test_app.py").write_text(INFRA_TESTS)
    (app / "pytest.ini").write_text("[pytest]\nrpmkit_app = .\nrpmkit_profile = offline\n")
    before = containers_of(docker_client, "hello-world")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/infra", "-p", "no:cacheprovider", "-v"],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
    )
    return app, proc, before


def test_app_tests_pass_under_plain_pytest_with_the_plugin(
    docker_client: Any, plain_pytest: tuple[Path, subprocess.CompletedProcess[str], set[str]]
) -> None:
    app, proc, before = plain_pytest
    out = f"{proc.stdout}\n{proc.stderr}"
    assert proc.returncode == 0, out
    assert re.search(r"^=+ 4 passed", proc.stdout, re.MULTILINE), out
    assert f"rpmkit: app {app}, profile offline" in proc.stdout
    assert re.search(r"rpmkit: testing hello-world-1\.0\.0-1\.\S+ on offline in rpmkit-", out)
    # Built into the app's dist/, as `rpmkit build` would.
    assert list((app / "dist").glob("hello-world-1.0.0-1.*.rpm"))
    # The instance is gone when the run ends (another run's may come and go meanwhile).
    deadline = time.monotonic() + 30
    while (left := containers_of(docker_client, "hello-world") - before) and (
        time.monotonic() < deadline
    ):
        time.sleep(1)
    assert not left


def test_the_next_session_reuses_the_rpm_of_unchanged_sources(
    plain_pytest: tuple[Path, subprocess.CompletedProcess[str], set[str]],
) -> None:
    app, first, _ = plain_pytest
    assert first.returncode == 0, first.stdout
    rpm = next(p for p in (app / "dist").glob("hello-world-1.0.0-1.*.rpm") if ".src." not in p.name)
    stamp = rpm.stat().st_mtime_ns
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/infra", "-p", "no:cacheprovider"],
        cwd=app, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    out = f"{proc.stdout}\n{proc.stderr}"
    assert proc.returncode == 0, out
    assert f"{rpm.name}: its sources are unchanged since it was built" in out, out
    assert "building hello-world" not in out, out
    assert rpm.stat().st_mtime_ns == stamp


def test_a_failing_assertion_in_the_same_tests_fails_rpmkit_check(
    plain_pytest: tuple[Path, subprocess.CompletedProcess[str], set[str]],
) -> None:
    app, built, _ = plain_pytest
    assert built.returncode == 0, built.stdout
    (app / "tests" / "infra" / "test_broken.py").write_text(BROKEN_TEST)
    proc = rpmkit_cli("check", str(app), "--profile", "offline")
    out = proc.stdout
    assert proc.returncode == 1, f"{out}\n{proc.stderr}"
    assert re.search(r"^FAIL\s+app-tests\s+test_broken::test_settings_installed\b", out, re.M), out
    for name in (
        "test_host_is_rpm_host",
        "test_package_installed",
        "test_service_running",
        "test_answers_through_nginx",
    ):
        assert re.search(rf"^PASS\s+app-tests\s+test_app::{name}$", out, re.M), out
    assert "error: check failed at the app-tests stage" in proc.stderr

"""The app's own tests: how pytest is run against the instance, and with what."""

from __future__ import annotations

import subprocess
from pathlib import Path

from rpmkit.check.app_tests import app_tests_command, pytest_environment


def test_app_tests_run_attached_to_the_checked_instance_and_ignore_ini_files() -> None:
    argv = app_tests_command(Path("/app/tests/infra"), "rpmkit-x-1", Path("/j.xml"))
    # The plugin's `host` reaches the instance through rpmkit's engine seam.
    assert not any(a.startswith("--hosts") for a in argv)
    # The pytest plugin gives `rpm_host`/`rpm_instance` for this instance and boots nothing.
    assert "--rpmkit-instance=rpmkit-x-1" in argv
    assert argv[argv.index("-c") + 1] == "/dev/null"
    assert not any(a.startswith("--rpmkit-app") for a in argv)


def test_the_tests_get_no_secret_of_rpmkits() -> None:
    env = pytest_environment({
        "RPMKIT_RECEIPT_KEY": "k", "RPMKIT_PUBLISH_PASSWORD": "p", "GH_PAT": "t",
        "DOCKER_HOST": "tcp://engine:2376", "DOCKER_CERT_PATH": "/certs", "PATH": "/usr/bin",
    })  # fmt: skip
    assert env == {"DOCKER_HOST": "tcp://engine:2376", "DOCKER_CERT_PATH": "/certs",
                   "PATH": "/usr/bin"}  # fmt: skip


def test_a_conftest_above_the_tests_folder_does_not_apply(tmp_path: Path) -> None:
    # The check cache digests the tests' folder: nothing outside it may change the verdict.
    tests = tmp_path / "app" / "tests" / "infra"
    tests.mkdir(parents=True)
    (tests / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    broken = "import pytest\n@pytest.fixture(autouse=True)\ndef boom():\n    raise RuntimeError\n"
    (tmp_path / "app" / "tests" / "conftest.py").write_text(broken)
    (tmp_path / "app" / "conftest.py").write_text(broken)
    argv = app_tests_command(tests, "rpmkit-x-1", tmp_path / "j.xml")
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path / "app", timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout

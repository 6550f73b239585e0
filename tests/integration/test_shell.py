"""`rpmkit shell` under a pseudo-terminal: a shell in the booted instance, gone on exit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pexpect
import pytest

from rpmkit import labels

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"


def run_objects(client: Any) -> set[str]:
    """hello-world's containers and networks of runs whose process has ended (not another
    suite's run in progress)."""
    selector = {"label": [labels.RUN, f"{labels.APP}=hello-world"]}
    found = {
        f"container {c.id}"
        for c in client.containers.list(all=True, filters=selector, ignore_removed=True)
        if not labels.owner_alive(c.labels)
    }
    found |= {
        f"network {n.id}"
        for n in client.networks.list(filters=selector)
        if not labels.owner_alive(n.attrs.get("Labels") or {})
    }
    return found


def assert_nothing_left(client: Any, before: set[str]) -> None:
    # Another rpmkit on the same engine may be mid-run: a leak stays, its objects go.
    deadline = time.monotonic() + 30
    while (left := run_objects(client) - before) and time.monotonic() < deadline:
        time.sleep(1)
    assert not left, f"left behind: {sorted(left)}"


@pytest.fixture(scope="module")
def app(offline_images: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of hello-world whose RPM `rpmkit shell` built, as it does when there is none."""
    app = tmp_path_factory.mktemp("shell") / "hello-world"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    proc = subprocess.run(
        [sys.executable, "-m", "rpmkit", "shell", str(app), "--profile", "offline"],
        input="exit\n",
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "no RPM of hello-world 1.0.0 yet: building it" in proc.stderr
    assert len(list((app / "dist").glob("hello-world-1.0.0-1.*.rpm"))) == 2  # RPM and SRPM
    return app


def test_shell_in_a_terminal_runs_commands_inside_and_exit_removes_everything(
    docker_client: Any, app: Path
) -> None:
    before = run_objects(docker_client)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "rpmkit", "shell", str(app), "--profile", "offline"],
        env={**os.environ, "TERM": "dumb"},
        encoding="utf-8",
        timeout=120,
        dimensions=(40, 200),
    )
    try:
        child.expect(r"shell: hello-world-1\.0\.0-1\.\S+ on offline in (rpmkit-hello-world-\w+)")
        name = child.match.group(1)
        child.expect("`exit` or Ctrl-D leaves and removes the instance")
        # RE""ADY prints READY, while the echoed command line does not match it.
        child.sendline('echo RE""ADY')
        child.expect("READY")
        child.sendline("rpm -q hello-world; systemctl is-active hello-world")
        child.expect(r"hello-world-1\.0\.0-1\.\w+\s+active")
        child.sendline("tty")
        child.expect(r"/dev/pts/\d+")  # a real terminal inside, not a pipe
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    assert re.match(r"rpmkit-hello-world-[0-9a-f]+$", name)
    assert_nothing_left(docker_client, before)


def test_shell_without_a_terminal_reads_commands_from_stdin(docker_client: Any, app: Path) -> None:
    before = run_objects(docker_client)
    (rpm,) = [p for p in (app / "dist").glob("*.rpm") if not p.name.endswith(".src.rpm")]
    proc = subprocess.run(
        [sys.executable, "-m", "rpmkit", "shell", str(rpm), "--profile", "offline"],
        input="rpm -q hello-world\nexit 7\n",
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 7, proc.stderr  # the shell's, after the clean-up
    assert proc.stdout.strip() == rpm.name.removesuffix(".rpm")
    assert re.search(r"^\[[\d:]+ \+[\d.]+s\] removed rpmkit-hello-world-\w+$", proc.stderr, re.M)
    assert_nothing_left(docker_client, before)

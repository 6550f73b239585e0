"""The Docker seam: a missing engine is one clear error naming the socket."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rpmkit import engine
from rpmkit.errors import DockerUnavailable


def test_docker_host_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    assert engine.docker_host() == "unix:///nonexistent.sock"
    with pytest.raises(DockerUnavailable) as info:
        engine.connect(timeout=5)
    assert "unix:///nonexistent.sock" in info.value.message
    assert "no such socket" in info.value.message
    assert info.value.hint
    assert "start" in info.value.hint


def test_default_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    assert engine.docker_host() == "unix:///var/run/docker.sock"


def test_doctor_without_engine_is_one_line_exit_2() -> None:
    env = {"DOCKER_HOST": "unix:///nonexistent.sock", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "rpmkit", "doctor", "--profile", "offline"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "unix:///nonexistent.sock" in lines[0]
    assert "start the engine" in lines[0]
    assert "Traceback" not in proc.stderr

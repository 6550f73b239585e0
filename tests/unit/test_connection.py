"""Connecting to an ssh:// engine: bounded in time, and one clear error without paramiko."""

from __future__ import annotations

import os
import socket
import sys
import time

import pytest

from rpmkit.engine import connection
from rpmkit.errors import DockerUnavailable


def _own_ssh() -> list[str]:
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                name, rest = fh.read().split(" (", 1)[1].rsplit(") ", 1)
        except (OSError, IndexError, ValueError):
            continue
        if name == "ssh" and rest.split()[0] != "Z" and rest.split()[1] == me:
            found.append(entry)
    return found


def test_an_ssh_host_that_never_speaks_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """It accepts the connection and never sends its banner: ssh itself would wait for ever."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    port = silent.getsockname()[1]
    monkeypatch.setattr(connection, "SSH_WAIT", 1.5)
    monkeypatch.setenv("DOCKER_HOST", f"ssh://nobody@127.0.0.1:{port}")
    try:
        began = time.monotonic()
        with pytest.raises(DockerUnavailable, match="no answer through ssh in 2 s"):
            connection.connect(timeout=5)
        assert time.monotonic() - began < 10
        deadline = time.monotonic() + 5
        while _own_ssh() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _own_ssh() == []  # the ssh command it started is gone
    finally:
        silent.close()


def test_an_ssh_engine_without_paramiko_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import docker.api.client

    monkeypatch.delattr(docker.api.client, "SSHHTTPAdapter", raising=False)
    monkeypatch.setitem(sys.modules, "docker.transport.sshconn", None)
    with pytest.raises(DockerUnavailable, match="needs paramiko") as info:
        connection.sdk(ssh=True)
    assert "docker[ssh]" in (info.value.hint or "")

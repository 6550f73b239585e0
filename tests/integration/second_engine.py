"""A second Docker engine, started by the tests, that they may stop without harming the first.

It has its own data root, exec root, pid file, socket and bridge (made here:
`--bridge none` would delete the host's docker0 and break the main engine),
and no iptables rules. Its images come from the main engine (`docker save |
docker load`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class SecondEngine:
    """A running second dockerd: its socket, and how to stop and start it again."""

    root: Path
    bridge: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        """Its DOCKER_HOST."""
        return f"unix://{self.root}/docker.sock"

    def start(self) -> None:
        """Start dockerd and wait until it answers."""
        log = (self.root / "dockerd.log").open("ab")
        self.process = subprocess.Popen(
            [
                "dockerd",
                f"--data-root={self.root}/data",
                f"--exec-root={self.root}/exec",
                f"--pidfile={self.root}/dockerd.pid",
                f"--host={self.host}",
                f"--bridge={self.bridge}",
                "--iptables=false",
                "--ip-masq=false",
                "--containerd-namespace=rpmkit-tests",
                "--containerd-plugins-namespace=rpmkit-tests-plugins",
            ],
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.docker("info", check=False).returncode == 0:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"the second dockerd did not start: {(self.root / 'dockerd.log').read_text()}")

    def stop(self) -> None:
        """Stop dockerd (SIGTERM, as `systemctl stop docker` does) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """The docker CLI against this engine."""
        return subprocess.run(
            ["docker", "-H", self.host, *args], capture_output=True, text=True, check=check,
            timeout=300,
        )  # fmt: skip

    def load(self, image: str) -> None:
        """Copy an image from the main engine."""
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        subprocess.run(
            ["docker", "-H", self.host, "load", "-q"], stdin=save.stdout, check=True,
            capture_output=True, timeout=300,
        )  # fmt: skip
        assert save.wait(timeout=60) == 0


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def make(root: Path) -> SecondEngine:
    """Make the bridge and folders of a second engine (not started)."""
    if shutil.which("dockerd") is None or shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("a second engine needs dockerd, iproute2 and root")
    bridge = f"rkt{secrets.token_hex(3)}"
    _ip("link", "add", bridge, "type", "bridge")
    _ip(
        "addr",
        "add",
        f"10.{secrets.randbelow(200) + 20}.{secrets.randbelow(250)}.1/24",
        "dev",
        bridge,
    )
    _ip("link", "set", bridge, "up")
    root.mkdir(parents=True, exist_ok=True)
    return SecondEngine(root, bridge)


def remove(engine: SecondEngine) -> None:
    """Stop it and remove its bridge and folders."""
    if engine.process is None:
        engine.start()  # to remove what it holds cleanly
    engine.docker("rm", "-f", *engine.docker("ps", "-aq").stdout.split(), check=False)
    engine.stop()
    subprocess.run(["ip", "link", "del", engine.bridge], capture_output=True)
    subprocess.run(["umount", "-R", str(engine.root / "exec")], capture_output=True)
    shutil.rmtree(engine.root, ignore_errors=True)

"""Podman's Docker-compatible socket, and an sshd in front of an engine: started by the tests.

Podman runs as `podman system service` with its own storage root, run root,
network configuration and containers.conf, so it shares nothing with a
Podman the machine may have. The sshd listens on 127.0.0.1 with keys made
here; its sessions get DOCKER_HOST and the TLS variables of the engine it
stands in front of (`SetEnv`), so `docker system dial-stdio` on its side
reaches that engine, as on a remote host.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.second_engine import (
    _without_docker_env,
    docker_cli,
    free_port,
    require,
)  # fmt: skip

# Podman as root raises a container's open-file and process limits to the kernel's
# maximum, which a machine without CAP_SYS_RESOURCE (a container, some VMs) refuses:
# the service and its containers get these instead.
LIMITS = 8192


@dataclass
class Podman:
    """A running `podman system service` and its folders."""

    root: Path
    process: subprocess.Popen[bytes] | None = None
    made_bridge: bool = False

    @property
    def host(self) -> str:
        """Its DOCKER_HOST."""
        return f"unix://{self.root}/podman.sock"

    def env(self) -> dict[str, str]:
        """The environment that points the docker CLI and rpmkit at it."""
        return {"DOCKER_HOST": self.host}

    def podman(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """The podman CLI on the same storage."""
        return subprocess.run(
            ["podman", *self._globals(), *args], capture_output=True, text=True, check=check,
            timeout=300, env=self._environ(),
        )  # fmt: skip

    def _globals(self) -> list[str]:
        return [
            f"--root={self.root}/storage",
            f"--runroot={self.root}/run",
            f"--network-config-dir={self.root}/networks",
            f"--tmpdir={self.root}/tmp",
            "--cgroup-manager=cgroupfs",
            "--events-backend=file",
        ]

    def _environ(self) -> dict[str, str]:
        return {**_without_docker_env(), "CONTAINERS_CONF": str(self.root / "containers.conf")}

    def start(self) -> None:
        """Start the service on its socket and wait until it answers."""
        (self.root / "containers.conf").write_text(
            f'[containers]\ndefault_ulimits = ["nofile={LIMITS}:{LIMITS}", '
            f'"nproc={LIMITS}:{LIMITS}"]\n'
        )
        self.made_bridge = not Path("/sys/class/net/podman0").exists()
        log = (self.root / "podman.log").open("ab")
        argv = ["podman", *self._globals(), "system", "service", "--time=0", self.host]
        self.process = subprocess.Popen(
            ["prlimit", f"--nofile={LIMITS}", f"--nproc={LIMITS}", *argv],
            stdout=log, stderr=log, env=self._environ(),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            socket = Path(self.host[len("unix://") :])
            if socket.exists() and self.docker("version").returncode == 0:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        log_text = (self.root / "podman.log").read_text()
        pytest.fail(f"podman system service did not start: {log_text}")

    def docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The docker CLI against Podman's socket."""
        return docker_cli(self.env(), *args, check=False)

    def load(self, *images: str) -> None:
        """Copy images from the main engine (`docker save | podman load`)."""
        save = subprocess.Popen(
            ["docker", "save", *images], stdout=subprocess.PIPE, env=_without_docker_env()
        )
        subprocess.run(
            ["podman", *self._globals(), "load", "-q"], stdin=save.stdout, check=True,
            capture_output=True, timeout=300, env=self._environ(),
        )  # fmt: skip
        assert save.wait(timeout=60) == 0


def podman(root: Path) -> Podman:
    """Folders for a Podman service (not started)."""
    require("podman", "prlimit")
    for sub in ("storage", "run", "networks", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return Podman(root)


def remove_podman(made: Podman) -> None:
    """Stop the service, remove what it holds, its folders and the bridge it made."""
    made.podman("rm", "-af", "-t", "0", check=False)
    made.podman("network", "prune", "-f", check=False)
    if made.process is not None and made.process.poll() is None:
        made.process.send_signal(signal.SIGTERM)
        try:
            made.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            made.process.kill()
            made.process.wait()
    made.podman("system", "reset", "-f", check=False)
    for mount in sorted(_mounts_under(made.root), reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True)
    if made.made_bridge:
        subprocess.run(["ip", "link", "del", "podman0"], capture_output=True)
    shutil.rmtree(made.root, ignore_errors=True)


def _mounts_under(root: Path) -> list[str]:
    with open("/proc/mounts") as mounts:
        points = [line.split()[1] for line in mounts]
    return [p for p in points if p == str(root) or p.startswith(f"{root}/")]


@dataclass
class Sshd:
    """A running sshd on 127.0.0.1:port, and a `ssh` on PATH that uses its test key."""

    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def env(self, user: str = "root") -> dict[str, str]:
        """DOCKER_HOST=ssh://..., with the test's `ssh` first on PATH."""
        path = f"{self.root / 'bin'}:{os.environ.get('PATH', '')}"
        return {"DOCKER_HOST": f"ssh://{user}@127.0.0.1:{self.port}", "PATH": path}


def sshd(root: Path, engine_env: dict[str, str]) -> Sshd:
    """Start an sshd whose sessions reach the engine `engine_env` names."""
    require("sshd", "ssh", "ssh-keygen")
    (root / "bin").mkdir(parents=True, exist_ok=True)
    for key in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / key)],
                       check=True, capture_output=True)  # fmt: skip
    shutil.copy(root / "client_key.pub", root / "authorized_keys")
    port = free_port("127.0.0.1")
    settings = " ".join(f"{k}={v}" for k, v in engine_env.items())
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root}/host_key\n"
        f"AuthorizedKeysFile {root}/authorized_keys\nPermitRootLogin prohibit-password\n"
        f"PasswordAuthentication no\nStrictModes no\nUsePAM no\nPidFile {root}/sshd.pid\n"
        f"SetEnv {settings}\n"
    )
    # As the docker CLI's documentation advises for ssh:// engines: one connection, reused.
    (root / "ssh_config").write_text(
        f"Host *\n  IdentityFile {root}/client_key\n  IdentitiesOnly yes\n"
        f"  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
        f"  ControlMaster auto\n  ControlPath {root}/cm-%C\n  ControlPersist 60\n"
    )
    ssh = shutil.which("ssh")
    wrapper = root / "bin" / "ssh"
    wrapper.write_text(f'#!/bin/sh\nexec {ssh} -F {root}/ssh_config "$@"\n')
    wrapper.chmod(0o755)
    Path("/run/sshd").mkdir(exist_ok=True)  # its privilege separation folder
    binary = shutil.which("sshd") or "/usr/sbin/sshd"
    log = (root / "sshd.log").open("ab")
    made = Sshd(root, port)
    made.process = subprocess.Popen(
        [binary, "-D", "-f", str(root / "sshd_config"), "-E", str(root / "sshd.log")],
        stdout=log, stderr=log,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["ssh", "-p", str(port), "root@127.0.0.1", "true"], capture_output=True,
            env={**os.environ, **made.env()}, timeout=30,
        )  # fmt: skip
        if probe.returncode == 0:
            return made
        time.sleep(0.2)
    pytest.fail(f"sshd did not start: {(root / 'sshd.log').read_text()}")


def remove_sshd(made: Sshd) -> None:
    """Stop it (and the shared connection) and remove its folder."""
    subprocess.run(
        ["ssh", "-O", "exit", "-p", str(made.port), "root@127.0.0.1"], capture_output=True,
        env={**os.environ, **made.env()}, timeout=30,
    )  # fmt: skip
    if made.process is not None:
        made.process.terminate()
        made.process.wait(timeout=30)
    shutil.rmtree(made.root, ignore_errors=True)

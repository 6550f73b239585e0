"""A second Docker engine, started by the tests, that they may stop without harming the first.

It has its own data root, exec root, pid file, socket and bridge (made here:
`--bridge none` would delete the host's docker0 and break the main engine),
and no iptables rules. Its images come from the main engine (`docker save |
docker load`).

As a remote engine (`remote()`), it listens on tcp://127.0.0.2:<port> with
TLS certificates made here (openssl), and runs in its own mount namespace
where a tmpfs covers the client's folders (/tmp, /var/tmp, $HOME, the
repository): a bind mount of a client path finds an empty folder there, so
a client that bind-mounts instead of copying fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import IN_CI

REPOSITORY = Path(__file__).resolve().parents[2]
REMOTE_ADDRESS = "127.0.0.2"


@dataclass
class SecondEngine:
    """A running second dockerd: its address, and how to stop and start it again."""

    root: Path
    bridge: str
    process: subprocess.Popen[bytes] | None = None
    port: int = 0  # > 0: listening on tcp://REMOTE_ADDRESS:port with TLS
    hidden: tuple[Path, ...] = field(default=())  # covered by a tmpfs in its mount namespace
    pool: str = ""  # its bridge's /16, and with `own_pool` the addresses of its networks
    own_pool: bool = False  # --default-address-pool: then it must never be started again
    started: bool = False

    @property
    def host(self) -> str:
        """Its DOCKER_HOST."""
        if self.port:
            return f"tcp://{REMOTE_ADDRESS}:{self.port}"
        return f"unix://{self.root}/docker.sock"

    @property
    def certs(self) -> Path:
        """The client's certificates (ca.pem, cert.pem, key.pem): DOCKER_CERT_PATH."""
        return self.root / "client"

    def env(self) -> dict[str, str]:
        """The environment that points the docker CLI and rpmkit at this engine."""
        env = {"DOCKER_HOST": self.host}
        if self.port:
            env |= {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(self.certs)}
        return env

    def _argv(self) -> list[str]:
        argv = [
            "dockerd",
            f"--data-root={self.root}/data",
            f"--exec-root={self.root}/exec",
            f"--pidfile={self.root}/dockerd.pid",
            f"--bridge={self.bridge}",
            "--iptables=false",
            "--ip-masq=false",
            "--containerd-namespace=rpmkit-tests",
            "--containerd-plugins-namespace=rpmkit-tests-plugins",
        ]
        if self.own_pool:
            argv.append(f"--default-address-pool=base={self.pool},size=24")
        if not self.port:
            return [*argv, f"--host={self.host}"]
        server = self.root / "server"
        argv += [
            f"--host={self.host}",
            "--tlsverify",
            f"--tlscacert={server}/ca.pem",
            f"--tlscert={server}/cert.pem",
            f"--tlskey={server}/key.pem",
        ]
        if not self.hidden:
            return argv
        # Its own mount namespace: a tmpfs over each client folder, and over
        # /run/containerd so that it starts a containerd of its own in this namespace
        # (the host's could not see the mounts made here).
        covered = " ".join(f"'{p}'" for p in (*self.hidden, Path("/run/containerd")))
        script = (
            f'for d in {covered}; do [ -d "$d" ] && mount -t tmpfs rpmkit-hidden "$d"; done; '
            'exec "$@"'
        )
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *argv]

    def start(self) -> None:
        """Start dockerd and wait until it answers."""
        assert not (self.own_pool and self.started), "see the note above `remote`"
        self.started = True
        log = (self.root / "dockerd.log").open("ab")
        self.process = subprocess.Popen(self._argv(), stdout=log, stderr=log)
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
        return docker_cli(self.env(), *args, check=check)

    def load(self, *images: str) -> None:
        """Copy images from the main engine, in one stream (shared layers once)."""
        save = subprocess.Popen(
            ["docker", "save", *images], stdout=subprocess.PIPE, env=_without_docker_env()
        )
        subprocess.run(
            ["docker", "load", "-q"], stdin=save.stdout, check=True, capture_output=True,
            timeout=300, env={**_without_docker_env(), **self.env()},
        )  # fmt: skip
        assert save.wait(timeout=60) == 0


def docker_cli(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """The docker CLI against the engine `env` names (DOCKER_HOST ...), not the main one."""
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=check, timeout=300,
        env={**_without_docker_env(), **env},
    )  # fmt: skip


def _without_docker_env() -> dict[str, str]:
    drop = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONTEXT")
    return {k: v for k, v in os.environ.items() if k not in drop}


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def require(*tools: str) -> None:
    """Skip (fail in CI, where everything must run) unless the tools are here and we are root."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing or os.geteuid() != 0:
        said = f"a second engine needs {', '.join(tools)} and root (missing: {missing or 'root'})"
        if IN_CI:
            pytest.fail(f"{said}; scripts/setup.sh installs them", pytrace=False)
        pytest.skip(said)


def make(root: Path) -> SecondEngine:
    """Make the bridge and folders of a second engine (not started)."""
    require("dockerd", "ip")
    bridge = f"rkt{secrets.token_hex(3)}"
    # Its bridge and the networks it makes share one /16 of its own.
    octet = secrets.randbelow(60) + 20  # 10.20-79: clear of Podman's 10.88 and 10.89+
    _ip("link", "add", bridge, "type", "bridge")
    _ip("addr", "add", f"10.{octet}.{secrets.randbelow(250)}.1/24", "dev", bridge)
    _ip("link", "set", bridge, "up")
    root.mkdir(parents=True, exist_ok=True)
    return SecondEngine(root, bridge, pool=f"10.{octet}.0.0/16")


# A dockerd restarted on the same data root with --default-address-pool deletes the
# host's docker0 (seen here: the main engine then starts no container). Only an engine
# started once gets its own address pool.


def _forward(action: str, pool: str) -> None:
    # The host's FORWARD policy is DROP (the main engine's) and bridged traffic goes
    # through it (br_netfilter): containers on one of our networks reach each other only
    # with this rule, which the main engine would add for its own networks.
    subprocess.run(
        ["iptables", action, "FORWARD", "-s", pool, "-d", pool, "-j", "ACCEPT"],
        check=action == "-I", capture_output=True,
    )  # fmt: skip


def remote(root: Path) -> SecondEngine:
    """A second engine as a remote one: TCP with TLS, its own mount namespace (not started)."""
    require("dockerd", "ip", "openssl", "unshare", "iptables")
    made = make(root)
    made.own_pool = True
    _forward("-I", made.pool)
    made.port = free_port(REMOTE_ADDRESS)
    home = Path(os.environ.get("HOME") or "/root")
    made.hidden = tuple(
        dict.fromkeys(p for p in (Path("/tmp"), Path("/var/tmp"), home, REPOSITORY) if p.is_dir())
    )
    assert not any(p in root.parents for p in made.hidden), "its root must stay visible"
    make_certificates(root, REMOTE_ADDRESS)
    return made


def free_port(address: str) -> int:
    """A TCP port nothing listens on at `address` now."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def make_certificates(root: Path, address: str) -> None:
    """A CA, a server certificate for `address` (server/) and a client one (client/).

    The file names are docker's: ca.pem, cert.pem, key.pem in each folder.
    """
    ca = root / "ca"
    for folder in (ca, root / "server", root / "client"):
        folder.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str | Path) -> None:
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)

    key_options = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *key_options, "-keyout", ca / "key.pem", "-out", ca / "ca.pem",
            "-days", "2", "-subj", "/CN=rpmkit test CA")  # fmt: skip
    for role, usage in (("server", "serverAuth"), ("client", "clientAuth")):
        folder = root / role
        extensions = folder / "ext.cnf"
        san = f"subjectAltName=IP:{address}\n" if role == "server" else ""
        extensions.write_text(f"{san}extendedKeyUsage={usage}\n")
        openssl("req", *key_options, "-keyout", folder / "key.pem", "-out", folder / "req.csr",
                "-subj", f"/CN=rpmkit test {role}")  # fmt: skip
        openssl("x509", "-req", "-in", folder / "req.csr", "-CA", ca / "ca.pem",
                "-CAkey", ca / "key.pem", "-CAcreateserial", "-out", folder / "cert.pem",
                "-days", "2", "-extfile", extensions)  # fmt: skip
        shutil.copy(ca / "ca.pem", folder / "ca.pem")


def remove(engine: SecondEngine) -> None:
    """Stop it and remove its bridge and folders."""
    if engine.process is None and not engine.own_pool:
        engine.start()  # to remove what it holds cleanly
    left = engine.docker("ps", "-aq", check=False).stdout.split()
    if left:
        engine.docker("rm", "-f", *left, check=False)
    engine.stop()
    subprocess.run(["ip", "link", "del", engine.bridge], capture_output=True)
    if engine.port:
        _forward("-D", engine.pool)
    subprocess.run(["umount", "-R", str(engine.root / "exec")], capture_output=True)
    shutil.rmtree(engine.root, ignore_errors=True)

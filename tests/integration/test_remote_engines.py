"""rpmkit against engines other than the local Docker socket: remote TCP+TLS, ssh://, Podman.

The remote engine is a second dockerd started here (second_engine.py): TCP
with TLS certificates made here, and its own mount namespace where a tmpfs
covers this machine's folders, so a bind mount of a client path would find
nothing and the check would fail. A watcher inspects every container it
makes while the commands run: none may bind-mount a client path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration import other_engines, second_engine

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"
SCRATCH = Path("/var/lib/rpmkit-tests")  # not under a folder the remote engine hides
# The only host paths a container may bind: the engine host's cgroup tree (the profiles').
ENGINE_HOST_PATHS = ("/sys/fs/cgroup",)
# Short load phases: the rehearsal's own tests cover the long ones.
SHORT = ("--steady-seconds", "3", "--after-seconds", "2")


def rpmkit(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    """`rpmkit ARGS` as a user runs it, against the engine `env` names."""
    return subprocess.run(
        [sys.executable, "-m", "rpmkit", *map(str, args)], capture_output=True, text=True,
        timeout=600, env={**second_engine._without_docker_env(), "NO_COLOR": "1", **env},
    )  # fmt: skip


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def assert_emptied(cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    """No container left on the engine, once the run's detached teardown has had its time."""
    deadline = time.monotonic() + 60
    while (left := cli("ps", "-aq").stdout.split()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == []


class Watcher:
    """Every container an engine makes, inspected while it exists: its bind mounts."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.binds: dict[str, list[str]] = {}  # container name -> bind mount sources
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        from docker.errors import NotFound

        while not self._stop.is_set():
            for row in self._client.api.containers(all=True):
                name = row["Names"][0].lstrip("/")
                if name in self.binds:
                    continue
                try:
                    mounts = self._client.api.inspect_container(row["Id"])["Mounts"] or []
                except NotFound:
                    continue
                self.binds[name] = [m["Source"] for m in mounts if m.get("Type") == "bind"]
            self._stop.wait(0.1)

    def stop(self) -> dict[str, list[str]]:
        self._stop.set()
        self._thread.join(timeout=30)
        return self.binds


def client_binds(binds: dict[str, list[str]]) -> dict[str, list[str]]:
    """The containers that bind-mounted anything but the engine host's own paths."""
    return {
        name: wrong
        for name, sources in binds.items()
        if (wrong := [s for s in sources if not s.startswith(ENGINE_HOST_PATHS)])
    }


@pytest.fixture(scope="module")
def remote(
    offline_images: dict[str, str], lb_image: str, docker_client: Any
) -> Iterator[second_engine.SecondEngine]:
    """The second dockerd as a remote engine, with the offline images and the balancer."""
    made = second_engine.remote(SCRATCH / f"engine2-{os.getpid()}")
    try:
        made.start()
        made.load(offline_images["builder"], offline_images["runtime"], lb_image)
        yield made
    finally:
        second_engine.remove(made)
        # A second engine must never harm the first (`--bridge none` once deleted docker0).
        assert docker_client.containers.run(offline_images["runtime"], ["true"], remove=True,
                                            network_mode="bridge") == b""  # fmt: skip


@pytest.fixture(scope="module")
def lb_image(engine: Any, offline_images: dict[str, str]) -> str:
    from rpmkit.progress import Reporter
    from rpmkit.rehearse import balancer_image

    tag, _ = balancer_image.ensure(engine, Reporter(verbosity=-1))
    return tag


@pytest.fixture(scope="module")
def remote_client(remote: second_engine.SecondEngine) -> Any:
    import docker

    client = docker.DockerClient(
        base_url=remote.host,
        tls=docker.tls.TLSConfig(
            client_cert=(str(remote.certs / "cert.pem"), str(remote.certs / "key.pem")),
            ca_cert=str(remote.certs / "ca.pem"), verify=True,
        ), timeout=300, version="1.41",
    )  # fmt: skip
    client.api.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the engine's CA
    return client


@pytest.fixture(scope="module")
def built_remotely(
    remote: second_engine.SecondEngine, remote_client: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path, dict[str, list[str]]]:  # fmt: skip
    """`rpmkit run` (build, then check) of hello-world on the remote engine."""
    dist = tmp_path_factory.mktemp("hello-remote")
    watcher = Watcher(remote_client)
    proc = rpmkit(remote.env(), "run", HELLO, "--profile", "offline", "--dist", dist)
    return proc, dist / "hello-world-1.0.0-1.x86_64.rpm", watcher.stop()


def test_a_bind_mount_of_a_client_path_finds_nothing_there(
    remote: second_engine.SecondEngine, offline_images: dict[str, str]
) -> None:
    # What makes the other tests able to fail: the engine does not see this machine's files.
    proc = remote.docker(
        "run", "--rm", "-v", f"{HELLO}:/app:ro", offline_images["runtime"],
        "test", "-e", "/app/rpmkit.toml", check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (HELLO / "rpmkit.toml").is_file()


def test_run_builds_and_checks_on_a_remote_tls_engine(
    remote: second_engine.SecondEngine,
    built_remotely: tuple[subprocess.CompletedProcess[str], Path, dict[str, list[str]]],
) -> None:
    proc, rpm, binds = built_remotely
    assert proc.returncode == 0, output(proc)
    assert "PASS: hello-world-1.0.0-1.x86_64 on offline" in proc.stdout
    # The health check went to the engine's address, not 127.0.0.1.
    assert f"http://{second_engine.REMOTE_ADDRESS}:" in proc.stdout
    assert rpm.is_file()
    assert any(name.endswith("-build") for name in binds), sorted(binds)
    assert len(binds) >= 2, sorted(binds)  # the builder and the instance, at least
    assert client_binds(binds) == {}


def test_rehearse_on_a_remote_tls_engine(
    remote: second_engine.SecondEngine, remote_client: Any,
    built_remotely: tuple[subprocess.CompletedProcess[str], Path, dict[str, list[str]]],
) -> None:  # fmt: skip
    rpm = built_remotely[1]
    watcher = Watcher(remote_client)
    proc = rpmkit(remote.env(), "rehearse", HELLO, "--profile", "offline",
                  "--from", rpm, "--to", rpm, *SHORT)  # fmt: skip
    binds = watcher.stop()
    assert proc.returncode == 0, output(proc)
    assert "PASS: hello-world-1.0.0-1.x86_64 -> hello-world-1.0.0-1.x86_64 rehearsed" in proc.stdout
    assert any(name.endswith("-balancer") for name in binds), sorted(binds)
    assert client_binds(binds) == {}
    assert_emptied(remote.docker)


def test_check_through_a_prober_when_published_ports_do_not_answer(
    remote: second_engine.SecondEngine,
    built_remotely: tuple[subprocess.CompletedProcess[str], Path, dict[str, list[str]]],
) -> None:
    rpm = built_remotely[1]
    env = {**remote.env(), "RPMKIT_REACH": "prober"}
    doctor = rpmkit(env, "doctor", "--profile", "offline")
    assert "reach: through a prober container" in doctor.stdout, output(doctor)
    proc = rpmkit(env, "check", rpm, "--profile", "offline", "--no-cache")
    assert proc.returncode == 0, output(proc)
    # Through a local forwarder into the engine's network, not the published port.
    assert "health check  (http://127.0.0.1:" in proc.stdout
    assert_emptied(remote.docker)


def test_doctor_says_what_the_remote_engine_is_and_how_it_is_reached(
    remote: second_engine.SecondEngine,
) -> None:
    proc = rpmkit(remote.env(), "doctor", "--profile", "offline")
    assert proc.returncode == 0, output(proc)
    assert "engine: Docker " in proc.stdout
    assert f"at {remote.host} (remote: inputs copied in, not bind-mounted)" in proc.stdout
    assert f"reach: through the ports the engine publishes on {second_engine.REMOTE_ADDRESS}" in (
        proc.stdout
    )


def test_a_docker_context_with_tls_names_the_same_engine(
    remote: second_engine.SecondEngine, tmp_path: Path
) -> None:
    config = tmp_path / "docker-config"
    certs = remote.certs
    made = subprocess.run(
        ["docker", "context", "create", "rk-remote", "--docker",
         f"host={remote.host},ca={certs}/ca.pem,cert={certs}/cert.pem,key={certs}/key.pem"],
        capture_output=True, text=True, env={**second_engine._without_docker_env(),
                                             "DOCKER_CONFIG": str(config)},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    env = {"DOCKER_CONFIG": str(config), "DOCKER_CONTEXT": "rk-remote"}
    proc = rpmkit(env, "doctor", "--profile", "offline")
    assert proc.returncode == 0, output(proc)
    assert f"at {remote.host} (remote: inputs copied in, not bind-mounted)" in proc.stdout


def test_check_over_ssh(
    remote: second_engine.SecondEngine,
    built_remotely: tuple[subprocess.CompletedProcess[str], Path, dict[str, list[str]]],
) -> None:
    rpm = built_remotely[1]
    made = other_engines.sshd(SCRATCH / f"sshd-{os.getpid()}", remote.env())
    try:
        proc = rpmkit(made.env(), "check", rpm, "--profile", "offline", "--no-cache")
        assert proc.returncode == 0, output(proc)
        # The run's detached teardown reaches the engine through ssh too: before sshd goes.
        assert_emptied(remote.docker)
    finally:
        other_engines.remove_sshd(made)
    assert "PASS: hello-world-1.0.0-1.x86_64 on offline" in proc.stdout
    assert "health check  (http://127.0.0.1:" in proc.stdout  # the ssh host's address


@pytest.fixture(scope="module")
def podman(offline_images: dict[str, str], lb_image: str) -> Iterator[other_engines.Podman]:
    made = other_engines.podman(SCRATCH / f"podman-{os.getpid()}")
    try:
        made.start()
        made.load(offline_images["runtime"], lb_image)
        yield made
    finally:
        other_engines.remove_podman(made)


def test_podman_check_and_rehearse(
    podman: other_engines.Podman,
    built_remotely: tuple[subprocess.CompletedProcess[str], Path, dict[str, list[str]]],
) -> None:
    rpm = built_remotely[1]
    version = podman.docker("version", "--format", "{{json .Server.Components}}")
    assert '"Name":"Podman Engine"' in version.stdout, version.stdout + version.stderr
    doctor = rpmkit(podman.env(), "doctor", "--profile", "offline")
    assert "engine: Podman 4." in doctor.stdout, output(doctor)
    assert "(Docker-compatible API" in doctor.stdout
    proc = rpmkit(podman.env(), "check", rpm, "--profile", "offline", "--no-cache", "--keep")
    assert proc.returncode == 0, output(proc)
    assert "PASS: hello-world-1.0.0-1.x86_64 on offline" in proc.stdout
    # The boot settings went to Podman as given (the profile's, with its Podman table).
    kept = podman.podman("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert len(kept) == 1, kept
    shown = "{{.Config.StopSignal}} {{json .HostConfig.Tmpfs}} {{.Config.Env}}"
    inspected = podman.docker("inspect", kept[0], "--format", shown).stdout
    assert inspected.split()[0] in ("SIGRTMIN+3", "37"), inspected  # 37: its number
    assert '"/run"' in inspected
    assert "container=podman" in inspected
    podman.podman("rm", "-f", kept[0])
    proc = rpmkit(podman.env(), "rehearse", HELLO, "--profile", "offline",
                  "--from", rpm, "--to", rpm, *SHORT)  # fmt: skip
    assert proc.returncode == 0, output(proc)
    assert "PASS: hello-world-1.0.0-1.x86_64 -> hello-world-1.0.0-1.x86_64 rehearsed" in proc.stdout
    assert_emptied(podman.podman)

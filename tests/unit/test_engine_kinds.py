"""Engines other than the local Docker socket: their kind, address, CA, boot settings, reach."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from rpmkit import profiles
from rpmkit.engine.client import Engine, kind_of
from rpmkit.engine.connection import _pin_ca
from rpmkit.engine.reach import PROBER, PUBLISHED, Reach, _Frames, chosen
from rpmkit.errors import ConfigError, RehearsalError
from rpmkit.rehearse import balancer


def test_the_kind_comes_from_the_version_record() -> None:
    podman = {"Components": [{"Name": "Podman Engine", "Version": "4.3.1"}]}
    docker = {"Components": [{"Name": "Engine"}, {"Name": "containerd"}, {"Name": "runc"}]}
    assert kind_of(podman) == "podman"
    assert kind_of(docker) == "docker"
    assert kind_of({}) == "docker"


@pytest.mark.parametrize(
    ("host", "address", "local"),
    [
        ("unix:///var/run/docker.sock", "127.0.0.1", True),
        ("tcp://10.0.0.5:2376", "10.0.0.5", False),
        ("ssh://deploy@build-7.example.com", "build-7.example.com", False),
        ("ssh://deploy@build-7.example.com:2222", "build-7.example.com", False),
        ("tcp://[fd00::5]:2376", "fd00::5", False),
    ],
)
def test_where_published_ports_are_reached(host: str, address: str, local: bool) -> None:
    made = Engine(client=None, host=host)  # type: ignore[arg-type]
    assert made.address == address
    assert made.is_local is local


def test_the_engines_ca_wins_over_requests_bundle_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import docker

    ca = tmp_path / "ca.pem"
    ca.write_text("")
    tls = docker.tls.TLSConfig(ca_cert=str(ca), verify=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/corporate.pem")
    url = "https://127.0.0.1:2376/version"

    def verify(api: Any) -> Any:
        return api.merge_environment_settings(url, {}, False, None, None)["verify"]

    plain = docker.APIClient(base_url="tcp://127.0.0.1:2376", tls=tls, version="1.41")
    assert verify(plain) == "/etc/ssl/certs/corporate.pem"  # what requests alone does
    pinned = docker.APIClient(base_url="tcp://127.0.0.1:2376", tls=tls, version="1.41")
    _pin_ca(pinned)
    assert verify(pinned) == str(ca)


def test_podman_gets_its_boot_settings_as_data() -> None:
    offline = profiles.get("offline")
    on_docker = profiles.boot_options(offline, cgroup=1)
    on_podman = profiles.boot_options(offline, cgroup=1, kind="podman")
    assert on_docker["environment"]["container"] == "docker"
    assert on_podman["environment"]["container"] == "podman"
    # Everything else systemd needs is passed explicitly to both, the same.
    for key in ("tmpfs", "volumes", "cap_add", "security_opt", "stop_signal", "command"):
        assert on_podman[key] == on_docker[key], key
    assert on_podman["stop_signal"] == "SIGRTMIN+3"
    assert "/run" in on_podman["tmpfs"]
    for name in profiles.names():
        profile = profiles.get(name)
        if name in ("offline", "al2", "al2023"):
            assert "podman" in profile.boot.engines, name


def test_an_unknown_engine_kind_in_a_profile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"boot\.engine\.rkt: not an engine kind"):
        profiles._engines(tmp_path, {"rkt": {"environment": {}}})
    made = profiles._engines(tmp_path, {"podman": {"tmpfs": ["/run"], "stop_signal": "SIGTERM"}})
    assert made["podman"].tmpfs == ("/run",)
    assert made["podman"].stop_signal == "SIGTERM"


def test_rpmkit_reach_is_one_of_its_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RPMKIT_REACH", raising=False)
    assert chosen() is None
    monkeypatch.setenv("RPMKIT_REACH", "Prober")
    assert chosen() == PROBER
    monkeypatch.setenv("RPMKIT_REACH", "published")
    assert chosen() == PUBLISHED
    monkeypatch.setenv("RPMKIT_REACH", "tunnel")
    with pytest.raises(ConfigError, match="RPMKIT_REACH='tunnel'"):
        chosen()


def test_a_local_engine_is_reached_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RPMKIT_REACH", "prober")  # a local engine needs none
    reach = Reach(Engine(client=None, host="unix:///var/run/docker.sock"))  # type: ignore[arg-type]
    assert reach.mode == "local"
    assert reach.address == "127.0.0.1"
    remote = Reach(Engine(client=None, host="tcp://10.0.0.5:2376"))  # type: ignore[arg-type]
    assert remote.mode == PROBER
    assert remote.address == "127.0.0.1"  # the forwarders listen here
    assert "RPMKIT_REACH=prober" in remote.describe()


def _frame(stream: int, data: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + struct.pack(">I", len(data)) + data


def test_the_tunnels_output_is_read_from_stream_frames() -> None:
    frames = _Frames()
    wire = _frame(1, b"HTTP/1.1 200 OK\r\n") + _frame(2, b"bash: warning\n") + _frame(1, b"\r\n")
    # Cut anywhere: a frame split over two reads is put back together.
    got = frames.feed(wire[:5]) + frames.feed(wire[5:30]) + frames.feed(wire[30:])
    assert b"".join(got) == b"HTTP/1.1 200 OK\r\n\r\n"


def test_the_balancer_api_also_listens_on_its_own_loopback() -> None:
    health = balancer.HealthSettings("/health", 80, 200, 0.2, 0.1, 2, 2)
    config = balancer.config(health, [])
    assert f"stats socket ipv4@127.0.0.1:{balancer.ADMIN_PORT} level admin" in config
    seen: list[list[str]] = []

    def answer(argv: list[str], timeout: float) -> tuple[int, str]:
        seen.append(argv)
        return 0, "# pxname,svname,status,check_status,scur\napp,old1,UP,L7OK,0\n"

    api = balancer.Api(exec=answer)
    assert api.servers()["old1"].healthy
    assert seen[0][:2] == ["bash", "-c"]
    assert seen[0][-2:] == [str(balancer.ADMIN_PORT), "show stat"]
    with pytest.raises(RehearsalError, match="did not answer"):
        balancer.Api(exec=lambda argv, timeout: (97, "")).send("show stat")

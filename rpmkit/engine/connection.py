"""Connecting to the engine: its address as the docker CLI chooses it, contexts, TLS, ssh.

The address comes from DOCKER_HOST (with DOCKER_TLS_VERIFY and
DOCKER_CERT_PATH for tcp://), else a Docker context, else the default
socket; an `ssh://user@host` address goes through the `ssh` command (its
config, keys and agent), as the docker CLI does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rpmkit.engine.client import Engine, kind_of
from rpmkit.engine.failures import reason
from rpmkit.errors import DockerUnavailable

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
START_HINT = (
    "start the engine (`systemctl start docker`, or `make setup` which runs dockerd), "
    "or point DOCKER_HOST at one that runs"
)


def docker_host() -> str:
    """The engine address rpmkit will try, as the docker CLI chooses it.

    DOCKER_HOST; else the Docker context named by DOCKER_CONTEXT (or the CLI's
    current context, `docker context use`); else the default socket.
    """
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    found = context()
    return found.host if found is not None else DEFAULT_SOCKET


@dataclass(frozen=True)
class Context:
    """A Docker context (`docker context create`): its engine address and TLS files."""

    name: str
    host: str
    tls_dir: Path | None  # ca.pem, cert.pem, key.pem when the context uses TLS


def context() -> Context | None:
    """The Docker context in use, when it is not the default one.

    As the docker CLI finds it: DOCKER_CONTEXT, else `currentContext` in
    $DOCKER_CONFIG/config.json; its endpoint in contexts/meta/<sha256 of the
    name>/meta.json, TLS files in contexts/tls/<same>/docker/ (docker's
    context store layout).
    """
    config = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    name = os.environ.get("DOCKER_CONTEXT") or ""
    if not name:
        try:
            name = str(json.loads((config / "config.json").read_text()).get("currentContext", ""))
        except (OSError, ValueError, AttributeError):
            name = ""
    if name in ("", "default"):
        return None
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config / "contexts" / "meta" / digest / "meta.json"
    try:
        host = json.loads(meta.read_text())["Endpoints"]["docker"]["Host"]
    except (OSError, ValueError, KeyError, TypeError):
        raise DockerUnavailable(
            f"no Docker context named {name} (no {meta})", hint="see `docker context ls`"
        ) from None
    tls = config / "contexts" / "tls" / digest / "docker"
    return Context(name, str(host), tls if tls.is_dir() else None)


def connect(timeout: int = 120) -> Engine:
    """An `Engine` for a reachable engine, or DockerUnavailable naming its address (exit 2)."""
    host = docker_host()
    docker = sdk(ssh=_ssh(host))
    from docker.errors import DockerException

    try:
        found = None if os.environ.get("DOCKER_HOST") else context()
        if found is not None:
            params: dict[str, Any] = {"base_url": found.host, "tls": False}
            if found.tls_dir is not None:
                from docker.tls import TLSConfig

                params["tls"] = TLSConfig(
                    client_cert=(str(found.tls_dir / "cert.pem"), str(found.tls_dir / "key.pem")),
                    ca_cert=str(found.tls_dir / "ca.pem"),
                    verify=True,
                )
        else:
            params = docker.utils.kwargs_from_env()
        # The API version is asked for once the engine's CA is pinned (see `_pin_ca`).
        ssh = _ssh(str(params.get("base_url", "")))
        client = docker.DockerClient(
            version=docker.constants.MINIMUM_DOCKER_API_VERSION, timeout=timeout,
            use_ssh_client=ssh, **params,
        )  # fmt: skip
        _pin_ca(client.api)
        record = _first_answer(client, ssh)
        if not isinstance(record, dict) or "ApiVersion" not in record:
            raise DockerException("its version record names no API version")
        client.api._version = record["ApiVersion"]
        client.ping()
    except (DockerException, OSError) as exc:
        raise DockerUnavailable(
            f"Docker engine not reachable at {host} ({reason(exc)})", hint=START_HINT
        ) from exc
    except ValueError as exc:  # an address the SDK cannot parse: `tcp://[::1`
        raise DockerUnavailable(
            f"{host} is not an engine address ({exc})",
            hint="fix DOCKER_HOST (tcp://HOST:PORT, unix:///PATH or an ssh:// address) or the "
            "context's endpoint",
        ) from None
    made = Engine(client, host)
    made.__dict__["kind"] = kind_of(record)  # the cached property, from the record just read
    return made


# Seconds an ssh:// engine has to answer its first request: the `ssh` command waits for
# ever for a host that accepts and never speaks (its ConnectTimeout ends at the TCP connect).
SSH_WAIT = 30.0


def _first_answer(client: Any, ssh: bool) -> Any:
    """The engine's version record (what docker-py's _retrieve_server_version reads).

    Through ssh, at most SSH_WAIT seconds: then the `ssh` commands this process
    started are ended, and the engine is not reachable.
    """
    if not ssh:
        return client.api.version(api_version=False)
    from docker.errors import DockerException

    answer: list[Any] = []

    def ask() -> None:
        try:
            answer.append(client.api.version(api_version=False))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            answer.append(exc)

    asking = threading.Thread(target=ask, name="rpmkit-ssh-connect", daemon=True)
    asking.start()
    asking.join(SSH_WAIT)
    if not answer:
        _end_own_ssh()
        raise DockerException(f"no answer through ssh in {SSH_WAIT:.0f} s")
    if isinstance(answer[0], BaseException):
        raise answer[0]
    return answer[0]


def _end_own_ssh() -> None:
    """SIGTERM to the `ssh` commands this process started (docker-py's ssh transport)."""
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as fh:
                name, rest = fh.read().split(" (", 1)[1].rsplit(") ", 1)
        except (OSError, IndexError, ValueError):
            continue
        if name == "ssh" and rest.split()[1] == me:
            with contextlib.suppress(OSError):
                os.kill(int(entry), signal.SIGTERM)


def sdk(ssh: bool) -> Any:
    """The `docker` module, with its ssh:// transport loaded only when an address needs it.

    docker-py imports its ssh adapter, and with it paramiko and invoke (about
    55 ms here, a quarter of a check's imports), whenever paramiko is installed,
    even for a unix socket. The first import without `ssh` skips it (an
    import of paramiko fails meanwhile, and works again after); an ssh://
    address later in the same process loads it then.
    """
    if not ssh and "docker" not in sys.modules and "paramiko" not in sys.modules:
        sys.modules["paramiko"] = None  # type: ignore[assignment]  # ImportError: skipped
        try:
            import docker
        finally:
            if sys.modules.get("paramiko", 0) is None:
                del sys.modules["paramiko"]
    import docker
    import docker.api.client
    import docker.transport

    if ssh and not hasattr(docker.api.client, "SSHHTTPAdapter"):
        try:
            from docker.transport.sshconn import SSHHTTPAdapter
        except ImportError as exc:
            raise DockerUnavailable(
                f"an ssh:// engine needs paramiko, which is not installed ({exc})",
                hint="install rpmkit with its dependencies (pip install 'docker[ssh]')",
            ) from None

        docker.transport.SSHHTTPAdapter = SSHHTTPAdapter
        docker.api.client.SSHHTTPAdapter = SSHHTTPAdapter
    return docker


def _ssh(host: str) -> bool:
    # The `ssh` command, not paramiko: the user's ssh config, keys and agent, as the CLI.
    return host.startswith("ssh://")


def _pin_ca(api: Any) -> None:
    """The engine's CA (DOCKER_CERT_PATH/ca.pem, a context's) verifies the engine, always.

    requests lets REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE replace a session's own
    CA file on every request (psf/requests#3829): with a corporate bundle set,
    a TLS engine would be checked against the wrong CA and refused. The docker
    CLI ignores those variables; so does rpmkit for the engine.
    """
    if not isinstance(api.verify, str):
        return
    merge = api.merge_environment_settings

    def pinned(*args: Any) -> dict[str, Any]:
        settings = dict(merge(*args))
        settings["verify"] = api.verify
        return settings

    api.merge_environment_settings = pinned

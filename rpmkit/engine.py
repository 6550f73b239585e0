"""The one seam around Docker: only this module calls `docker.from_env()`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from rpmkit.errors import DockerUnavailable

if TYPE_CHECKING:
    from docker import DockerClient

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
START_HINT = (
    "start the engine (`systemctl start docker`, or `make setup` which runs dockerd), "
    "or point DOCKER_HOST at one that runs"
)


def docker_host() -> str:
    """The engine address rpmkit will try: DOCKER_HOST, else the default socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET


def engine_is_local() -> bool:
    """Whether the engine runs on this machine (a unix socket), so bind mounts see our files."""
    return docker_host().startswith("unix://")


def connect(timeout: int = 120) -> DockerClient:
    """Return a client for a reachable engine, or raise DockerUnavailable naming the socket."""
    import docker
    from docker.errors import DockerException

    host = docker_host()
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except (DockerException, OSError) as exc:
        raise DockerUnavailable(
            f"Docker engine not reachable at {host} ({_reason(exc)})", hint=START_HINT
        ) from exc
    return client


def engine_version(client: DockerClient) -> dict[str, Any]:
    """The engine's version record (Version, ApiVersion, ...)."""
    return dict(client.version())


def _reason(exc: BaseException) -> str:
    # docker-py wraps the socket error several levels deep; the innermost names the cause.
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc).strip() or type(exc).__name__
    if "No such file or directory" in text or "FileNotFoundError" in text:
        return "no such socket"
    if "Connection refused" in text:
        return "connection refused"
    if "Permission denied" in text:
        return "permission denied; is your user in the docker group?"
    return text.splitlines()[0][:160]

"""The connected engine: what it is (Docker or Podman, local or remote) and where it publishes.

`Engine` gathers the parts that work on the engine's objects: containers
(containers.py), networks (networks.py), images (images.py) and the clean-up
by labels (cleanup.py). `connect()` (connection.py) makes one.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from rpmkit.engine.cleanup import Cleanup
from rpmkit.engine.failures import translated
from rpmkit.engine.reach import Reach

DOCKER = "docker"
PODMAN = "podman"
KINDS = (DOCKER, PODMAN)


def kind_of(version: dict[str, Any]) -> str:
    """`docker` or `podman`, from the engine's version record (`GET /version`).

    Podman's Docker-compatible API lists a component named "Podman Engine".
    """
    names = [str(c.get("Name", "")) for c in version.get("Components") or []]
    return PODMAN if any(n.lower().startswith("podman") for n in names) else DOCKER


class Engine(Cleanup):
    """A connected engine. Made by `connect()`; everything Docker goes through here."""

    @property
    def address(self) -> str:
        """Where this machine reaches the engine's published ports.

        127.0.0.1 for a local engine; the host part of a tcp:// or ssh:// address otherwise.
        """
        if self.is_local:
            return "127.0.0.1"
        host = self.host.split("://", 1)[-1].rsplit("@", 1)[-1]
        return host.rsplit(":", 1)[0].strip("[]") or "127.0.0.1"

    @cached_property
    def reach(self) -> Reach:
        """How this machine reaches the containers' ports (see reach.py)."""
        return Reach(self)

    @cached_property
    def kind(self) -> str:
        """The engine's kind, `docker` or `podman` (see `kind_of`); read once."""
        return kind_of(self.version())

    def remove_run(self, run_id: str) -> list[str]:
        """Remove one run's containers, networks and images (and stop its forwarders)."""
        if "reach" in self.__dict__:  # made: it may hold the run's forwarders
            self.reach.release(run_id)
        return super().remove_run(run_id)

    def version(self) -> dict[str, Any]:
        """The engine's version record (Version, ApiVersion, Components, ...)."""
        with translated(self.host, "reading its version"):
            return dict(self._client.version())

    def info(self) -> dict[str, Any]:
        """The engine's `docker info` record."""
        with translated(self.host, "reading its info"):
            return dict(self._client.info())

    def cgroup_version(self) -> int:
        """The cgroup version of the engine's host (1 or 2)."""
        return 2 if str(self.info().get("CgroupVersion", "1")) == "2" else 1

    def ping(self) -> None:
        """DockerUnavailable unless the engine answers now."""
        with translated(self.host, "answering a ping"):
            self._client.ping()

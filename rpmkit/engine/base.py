"""What every part of `Engine` holds: docker-py's client and the engine's address."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docker import DockerClient


class EngineBase:
    """docker-py's client and the address it was reached at (for errors)."""

    def __init__(self, client: DockerClient, host: str) -> None:
        self._client = client
        self.host = host

    @property
    def is_local(self) -> bool:
        """Whether the engine shares this machine's filesystem (a unix socket)."""
        return self.host.startswith("unix://")

"""testinfra reaching an instance through the engine seam.

testinfra's own docker backend runs the `docker` CLI for every command; this
backend runs them with `Container.exec`, so the app's testinfra tests (`host`,
`rpm_host`) work wherever rpmkit's engine does (a remote engine included) and
no other module drives Docker.
"""

from __future__ import annotations

from typing import Any

from testinfra.backend.base import BaseBackend, CommandResult
from testinfra.host import Host

from rpmkit.engine.client import Engine


class EngineBackend(BaseBackend):  # type: ignore[misc]
    """A testinfra backend whose commands run through `Container.exec`."""

    NAME = "rpmkit"

    def __init__(self, engine: Engine, name: str, *args: Any, **kwargs: Any) -> None:
        self._engine = engine
        self.name = name
        super().__init__(name, *args, **kwargs)

    def run(self, command: str, *args: str, **kwargs: Any) -> CommandResult:
        cmd = self.get_command(command, *args)
        container = self._engine.container(self.name)
        if container is None:
            raise RuntimeError(f"no instance {self.name}: it was removed")
        result = container.exec(["/bin/sh", "-c", cmd])
        return self.result(
            result.rc, self.encode(cmd), result.stdout.encode(), result.stderr.encode()
        )


def host(engine: Engine, name: str) -> Any:
    """A testinfra `Host` of the container `name`."""
    return Host(EngineBackend(engine, name))

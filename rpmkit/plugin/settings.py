"""What the plugin was asked to do, and the instance its fixtures describe."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Settings:
    """What the plugin was asked to do."""

    app: Path | None = None  # build, install and boot this app once per test run
    instance: str | None = None  # or use this booted instance (what `rpmkit check` passes)
    profile: str | None = None
    dist: Path | None = None  # where the RPM goes; default APP/dist


@dataclass(frozen=True)
class RpmInstance:
    """The booted instance the tests run against (the `rpm_instance` fixture)."""

    name: str  # the container's name: `docker exec -it NAME bash` enters it
    app: str
    address: str  # where its ports are published on this machine
    ports: dict[int, int] = field(default_factory=dict)  # instance port -> port on `address`

    def url(self, path: str = "/", port: int = 80) -> str:
        """The URL of `path` on the instance's `port`, as published on this machine."""
        if port not in self.ports:
            raise KeyError(f"port {port} of {self.name} is not published (published: {self.ports})")
        return f"http://{self.address}:{self.ports[port]}{path}"


SETTINGS = pytest.StashKey[Settings]()

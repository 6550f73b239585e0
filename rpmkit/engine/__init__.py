"""The one seam around the container engine.

Only this package imports `docker` (a test asserts it). Everything else gets
an `Engine` from `connect()` and works with its `Container` values:

- containers, images and networks are made here, with a run's labels (or a
  cache's) stamped on by the engine, never by the caller;
- commands run inside a container one way, `Container.exec(argv) -> Result`,
  its exit status read from the engine (never parsed from output), its output
  bounded (head and tail kept, the middle counted);
- an engine that fails or goes away is one `DockerUnavailable` naming the
  engine's address and its own reason (exit 2), not a library traceback.

The modules: connection (the address, contexts, TLS, ssh), client (`Engine`:
its kind, Docker or Podman, and address), containers, container (one
container's calls), images, networks, cleanup (by labels), reach (how this
machine gets to a container's ports: published, or through a prober),
failures, testinfra.

Shaped after testcontainers-python's `core/docker_client.py`.
"""

from __future__ import annotations

from rpmkit.engine.client import Engine
from rpmkit.engine.connection import (
    DEFAULT_SOCKET,
    START_HINT,
    connect,
    docker_host,
)
from rpmkit.engine.container import Container
from rpmkit.engine.images import ImageInfo
from rpmkit.engine.output import Result

__all__ = [
    "DEFAULT_SOCKET",
    "START_HINT",
    "Container",
    "Engine",
    "ImageInfo",
    "Result",
    "connect",
    "docker_host",
]

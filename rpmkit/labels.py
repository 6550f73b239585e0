"""Labels that mark what rpmkit makes, and the clean-up that finds it by them."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docker import DockerClient

RUN = "rpmkit.run"
APP = "rpmkit.app"
CACHE = "rpmkit.cache"
PROFILE = "rpmkit.profile"
KEY = "rpmkit.key"


def new_run_id() -> str:
    """A short random id shared by everything one run makes."""
    return secrets.token_hex(6)


def run_labels(run_id: str, app: str) -> dict[str, str]:
    """Labels for a container, image or network that belongs to one run."""
    return {RUN: run_id, APP: app}


def remove_run(client: DockerClient, run_id: str | None = None) -> list[str]:
    """Remove the containers, networks and images of one run (all runs when run_id is None)."""
    selector = f"{RUN}={run_id}" if run_id else RUN
    removed: list[str] = []
    for container in client.containers.list(all=True, filters={"label": selector}):
        container.remove(force=True, v=True)
        removed.append(f"container {container.name}")
    for network in client.networks.list(filters={"label": selector}):
        network.remove()
        removed.append(f"network {network.name}")
    for image in client.images.list(filters={"label": selector}):
        client.images.remove(image.id, force=True)
        removed.append(f"image {image.short_id}")
    return removed

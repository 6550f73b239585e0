"""Labels that mark what rpmkit makes, and the clean-up that finds it by them."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docker import DockerClient

RUN = "rpmkit.run"
APP = "rpmkit.app"
CACHE = "rpmkit.cache"
PROFILE = "rpmkit.profile"
KEY = "rpmkit.key"
# Which process on which machine owns a run: `images prune` leaves live runs alone.
OWNER = "rpmkit.owner"
KEEP = "rpmkit.keep"


def new_run_id() -> str:
    """A short random id shared by everything one run makes."""
    return secrets.token_hex(6)


def owner() -> str:
    """This process, as `host:pid`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_labels(run_id: str, app: str, keep: bool = False) -> dict[str, str]:
    """Labels for a container, image or network that belongs to one run."""
    labels = {RUN: run_id, APP: app, OWNER: owner()}
    if keep:
        labels[KEEP] = "1"
    return labels


@contextlib.contextmanager
def gone_is_fine() -> Iterator[None]:
    """Ignore 'no such object' and 'removal already in progress' while cleaning up."""
    from docker.errors import APIError, NotFound

    try:
        yield
    except NotFound:
        pass
    except APIError as exc:
        if exc.status_code != 409:
            raise


def owner_alive(labels: dict[str, str]) -> bool:
    """Whether the process that made an object (its rpmkit.owner label) still runs here."""
    host, _, pid = labels.get(OWNER, "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_run(client: DockerClient, run_id: str | None = None) -> list[str]:
    """Remove the containers, networks and images of one run.

    With no run id (`images prune`): of every run whose owning process is gone,
    or that was kept on purpose; runs still in progress are left alone.
    """
    selector = f"{RUN}={run_id}" if run_id else RUN
    removed: list[str] = []
    live: set[str] = set()
    for container in client.containers.list(all=True, filters={"label": selector}):
        labels: dict[str, Any] = container.labels or {}
        if run_id is None and not labels.get(KEEP) and owner_alive(labels):
            live.add(labels.get(RUN, ""))
            continue
        with gone_is_fine():
            container.remove(force=True, v=True)
            removed.append(f"container {container.name}")
    for network in client.networks.list(filters={"label": selector}):
        if (network.attrs.get("Labels") or {}).get(RUN) in live:
            continue
        with gone_is_fine():
            network.remove()
            removed.append(f"network {network.name}")
    for image in client.images.list(filters={"label": selector}):
        if (image.labels or {}).get(RUN) in live:
            continue
        with gone_is_fine():
            client.images.remove(image.id, force=True)
            removed.append(f"image {image.short_id}")
    return removed

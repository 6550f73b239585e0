"""Shared fixtures: the Docker engine, the offline images, and a leak check."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _connect() -> Any:
    from rpmkit import engine
    from rpmkit.errors import DockerUnavailable

    try:
        return engine.connect(timeout=300)
    except DockerUnavailable as exc:
        if IN_CI:
            pytest.fail(f"Docker tests must run in CI: {exc.message}", pytrace=False)
        pytest.skip(f"no Docker engine: {exc.message}")


@pytest.fixture(scope="session")
def engine() -> Any:
    """rpmkit's Engine for the local engine; skips without one, except in CI where it fails."""
    return _connect()


@pytest.fixture(scope="session")
def docker_client(engine: Any) -> Any:
    """docker-py's client, for tests that inspect what rpmkit made (rpmkit itself never
    uses it outside its engine seam)."""
    import docker

    return docker.from_env(timeout=300)


@pytest.fixture(scope="session")
def offline_images(engine: Any) -> dict[str, str]:
    """The offline profile's images, built if missing: role -> tag."""
    from rpmkit import images, profiles
    from rpmkit.progress import Reporter

    results = images.build(engine, profiles.get("offline"), Reporter(verbosity=-1))
    return {plan.role: plan.tag for plan, _ in results}


# The suite's checks start their instances on demand, so tests find them by their run's
# labels (a warm spare carries a cache's); the tests of the spare ask for it.
os.environ.setdefault("RPMKIT_SPARE", "0")


@pytest.fixture(scope="session", autouse=True)
def _nothing_left_behind() -> Iterator[None]:
    """After the whole suite, no container, image or network of a run may remain."""
    yield
    from rpmkit import engine
    from rpmkit.errors import DockerUnavailable

    try:
        engine.connect()
        import docker

        client = docker.from_env()
    except DockerUnavailable:
        return  # no engine: nothing can have been left in it
    from rpmkit import labels

    def leaked(found: dict[str, str] | None) -> bool:
        # Ours, or of a process that has ended: a leak. Another live process's run
        # (a second suite on the same engine) is still in progress, not a leak.
        found = found or {}
        return found.get(labels.OWNER) == labels.owner() or not labels.owner_alive(found)

    def left_now() -> list[str]:
        from docker.errors import NotFound

        selector = {"label": labels.RUN}
        try:
            found = client.containers.list(all=True, filters=selector, ignore_removed=True)
            left = [c.name for c in found if leaked(c.labels)]
            left += [i.short_id for i in client.images.list(filters=selector) if leaked(i.labels)]
            left += [
                n.name
                for n in client.networks.list(filters=selector)
                if leaked(n.attrs.get("Labels"))
            ]
        except NotFound:  # removed while listed: another run is cleaning up; look again
            return ["(listing raced a removal)"]
        return left

    # Another suite on the same engine may hold an object whose CLI process has ended
    # (a builder kept with --keep until its test removes it): a leak stays, that goes.
    deadline = time.monotonic() + 60
    while (left := left_now()) and time.monotonic() < deadline:
        time.sleep(2)
    assert not left, f"left behind by the test run: {left}"

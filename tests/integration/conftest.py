"""Integration fixtures: containers that carry the run labels and are always removed."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rpmkit import labels

Start = Callable[..., Any]


@pytest.fixture
def start_container(docker_client: Any) -> Iterator[Start]:
    """Start a detached container (labelled as a run of the tests); removed at teardown."""
    run_id = labels.new_run_id()
    started: list[Any] = []

    def start(image: str, command: Any = None, **kwargs: Any) -> Any:
        kwargs.setdefault("labels", labels.run_labels(run_id, "tests"))
        container = docker_client.containers.run(image, command, detach=True, **kwargs)
        started.append(container)
        return container

    yield start
    from docker.errors import NotFound

    for container in started:
        with contextlib.suppress(NotFound):  # the test may have removed it already
            container.remove(force=True, v=True)


def sh(container: Any, script: str) -> tuple[int, str]:
    """Run a shell script in a running container; exit code and combined output."""
    code, out = container.exec_run(["sh", "-c", script])
    return int(code), out.decode(errors="replace")

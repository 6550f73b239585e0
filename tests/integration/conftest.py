"""Integration fixtures: containers that carry the run labels and are always removed."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
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
        kwargs.setdefault("labels", labels.Run(run_id, "tests").labels())
        container = docker_client.containers.run(image, command, detach=True, **kwargs)
        started.append(container)
        return container

    yield start
    from docker.errors import NotFound

    for container in started:
        with contextlib.suppress(NotFound):  # the test may have removed it already
            container.remove(force=True, v=True)


def put_file(container: Any, directory: str, name: str, data: bytes) -> None:
    """Write one file into a container."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert container.put_archive(directory, buf.getvalue())


def get_file(container: Any, path: str) -> bytes:
    """Read one file out of a container."""
    stream, _ = container.get_archive(path)
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        member = tar.next()
        assert member is not None
        extracted = tar.extractfile(member)
        assert extracted is not None
        return extracted.read()


def rpmkit_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `rpmkit ARGS` as a separate process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "rpmkit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
    )


def sh(container: Any, script: str) -> tuple[int, str]:
    """Run a shell script in a running container; exit code and combined output."""
    code, out = container.exec_run(["sh", "-c", script])
    return int(code), out.decode(errors="replace")


@pytest.fixture(scope="session")
def rpm_factory(
    docker_client: Any, offline_images: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Any]]:
    """Build a hand-written spec with rpmbuild in one builder container; returns the RPM path.

    For tests that need deliberately broken packages without going through templates.
    """
    out_dir = tmp_path_factory.mktemp("rpms")
    container = docker_client.containers.run(
        offline_images["builder"],
        ["sleep", "infinity"],
        detach=True,
        labels=labels.Run(labels.new_run_id(), "tests").labels(),
    )
    count = 0

    def build(spec: str) -> Path:
        nonlocal count
        count += 1
        put_file(container, "/tmp", f"spec{count}.spec", spec.encode())
        code, out = container.exec_run(
            [
                "sh", "-c",
                f"rpmbuild -bb --define '_topdir /tmp/rb{count}' /tmp/spec{count}.spec "
                f">/tmp/log{count} 2>&1 || {{ cat /tmp/log{count}; exit 1; }}; "
                f"ls /tmp/rb{count}/RPMS/*/*.rpm",
            ]
        )  # fmt: skip
        assert code == 0, out.decode()
        path = out.decode().split()[-1]
        target = out_dir / Path(path).name
        target.write_bytes(get_file(container, path))
        return target

    yield build
    container.remove(force=True)


def check_paths(
    engine: Any,
    runtime_tag: str,
    rpms: tuple[Path, ...],
    app: str,
    expect: Any,
    upgrade_from: tuple[Path, ...] = (),
    profile: Any = None,
    **plan: Any,
) -> Any:
    """`run_check` of RPM files as `rpmkit check` runs it (staged; the offline profile
    unless another is given)."""
    from rpmkit import profiles, targets
    from rpmkit.check.plan import CheckPlan
    from rpmkit.check.run import check as run_check
    from rpmkit.images import RuntimeImage
    from rpmkit.progress import Reporter

    runtime = RuntimeImage(runtime_tag, engine.image_id(runtime_tag) or "")
    with targets.staged(rpms) as staged, targets.staged(upgrade_from) as old:
        made = CheckPlan(staged, app, expect, upgrade_from=old, **plan)
        return run_check(
            engine, profile or profiles.get("offline"), runtime, made, Reporter(verbosity=-1)
        )


def left_after(found: Callable[[], set[str]], seconds: float = 15.0) -> set[str]:
    """What `found()` still returns after at most `seconds`: rpmkit's teardown goes on in a
    detached process after the command returns (check/teardown.py), so it has a moment."""
    deadline = time.monotonic() + seconds
    while (left := found()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.fixture(scope="session")
def team_repo(
    docker_client: Any, offline_images: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """A team's signed yum repository and an app requiring a package from it (repo_helpers)."""
    from tests.integration import repo_helpers

    return repo_helpers.make(
        docker_client, offline_images["builder"], tmp_path_factory.mktemp("team")
    )

"""`rpmkit instances rm`: a run still in progress keeps its instance unless --force."""

from __future__ import annotations

from typing import Any

import pytest

from rpmkit.labels import Run
from tests.integration.conftest import rpmkit_cli

pytestmark = pytest.mark.docker


def test_an_instance_of_a_live_run_is_refused_unless_forced(
    engine: Any, offline_images: dict[str, str]
) -> None:
    run = Run.new("rk-rm-live")  # owned by this test's process: alive
    name = run.container_name()
    engine.create(offline_images["runtime"], name=name, run=run, command=["sleep", "60"])
    try:
        listed = rpmkit_cli("instances")
        assert "running" in listed.stdout, listed.stdout
        refused = rpmkit_cli("instances", "rm", name)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        [line] = refused.stderr.splitlines()
        assert line.startswith(f"error: {name} belongs to a run still in progress")
        assert "--force" in line
        assert engine.container(name) is not None
        every = rpmkit_cli("instances", "rm", "--all")
        assert every.returncode == 0, every.stderr
        assert name not in every.stdout
        assert engine.container(name) is not None
        forced = rpmkit_cli("instances", "rm", "--force", name)
        assert forced.returncode == 0, forced.stderr
        assert f"removed {name}" in forced.stdout
        assert engine.container(name) is None
    finally:
        found = engine.container(name)
        if found is not None:
            found.remove()

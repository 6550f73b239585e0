"""The engine going away mid-check: exit 2 within seconds, and the next run reaps what was left.

Run against a second engine started by the test (never the main one), which
it stops during the health wait.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rpmkit import labels
from tests.integration import second_engine
from tests.integration.conftest import left_after
from tests.integration.test_check import web_spec

pytestmark = [pytest.mark.docker, pytest.mark.slow]

Build = Callable[[str], Path]


@pytest.fixture(scope="module")
def engine2(
    offline_images: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[second_engine.SecondEngine]:
    made = second_engine.make(Path("/var/tmp") / f"rpmkit-engine2-{os.getpid()}")
    try:
        made.start()
        made.load(offline_images["runtime"])
        yield made
    finally:
        second_engine.remove(made)


def _rpmkit(host: str, *args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rpmkit", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "DOCKER_HOST": host},
    )


def test_engine_lost_during_the_health_wait(
    engine2: second_engine.SecondEngine,
    rpm_factory: Build,
    docker_client: Any,
    offline_images: dict[str, str],
) -> None:
    app = "rk-engine-loss"
    rpm = rpm_factory(web_spec(name=app, unit_extra="ExecStartPre=/bin/sleep 60"))
    proc = _rpmkit(engine2.host, "check", rpm, "--profile", "offline", "--no-cache")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ps = engine2.docker("ps", "-q", "--filter", f"label={labels.APP}={app}", check=False)
        if ps.stdout.strip():
            state = engine2.docker("exec", ps.stdout.split()[0], "systemctl", "is-system-running",
                                   check=False)  # fmt: skip
            if "starting" in state.stdout:
                break
        assert proc.poll() is None, proc.communicate()[0]
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the check never reached the boot")
    time.sleep(1.0)  # well into the health wait
    stopped = time.monotonic()
    engine2.stop()
    out, _ = proc.communicate(timeout=60)
    noticed = time.monotonic() - stopped
    assert proc.returncode == 2, out
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, out
    assert engine2.host in errors[0]
    assert "Traceback" not in out
    assert "internal error" not in out
    # Within a few seconds of the engine going (its own shutdown takes some of that).
    assert noticed < 20, f"noticed after {noticed:.1f}s"

    # The engine comes back: the dead run's instance is there until the next run reaps it.
    engine2.start()
    left = engine2.docker("ps", "-aq", "--filter", f"label={labels.APP}={app}").stdout.split()
    nxt = _rpmkit(engine2.host, "check", rpm_factory(web_spec(name="rk-after-loss")),
                  "--profile", "offline", "--no-boot", "--no-health", "--no-cache")  # fmt: skip
    out, _ = nxt.communicate(timeout=300)
    assert nxt.returncode == 0, out
    # Its teardown reaps, after its own verdict: a moment after it returns.
    after = left_after(
        lambda: set(
            engine2.docker("ps", "-aq", "--filter", f"label={labels.APP}={app}").stdout.split()
        )
    )
    assert after == set(), f"left: {left} -> {after}"
    # The main engine was never touched: it still starts containers (run raises otherwise).
    said = docker_client.containers.run(
        offline_images["runtime"], ["echo", "main engine fine"], remove=True,
        labels=labels.Run(labels.new_run_id(), "tests").labels(),
    )  # fmt: skip
    assert said == b"main engine fine\n"

"""The warm spare and the teardown after the verdict, on the real engine.

A check may take the instance the last check left started and waiting, and
leave one for the next; the spare must be indistinguishable from an instance
started on demand, a stale one is discarded, two checks never take the same
one, it goes away by itself, and nothing of a run survives its process by more
than a few seconds, a `kill -9` during the teardown included.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rpmkit import labels, profiles, targets
from rpmkit.install import spare
from rpmkit.install.stage import RPM_DIR, Limits, install
from rpmkit.labels import Run
from tests.integration.conftest import left_after
from tests.integration.test_check import web_spec

pytestmark = pytest.mark.docker

Build = Callable[[str], Path]
VERDICT = ("PASS: ", "FAIL at ")
TAKEN = "the spare the last check left"


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Any) -> Iterator[Path]:
    """A cache home of this test's own (its spares are its own); they are removed after."""
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    yield home
    for container in engine.containers(f"{labels.CACHE}={spare.KIND}"):
        if container.labels.get(spare.FOLDER) == str(spare.root()):
            container.remove()
    shutil.rmtree(spare.root(), ignore_errors=True)  # the spares' own watchers end with them


def _env(**env: str) -> dict[str, str]:
    """The environment of an rpmkit process: the spare as its flags or CI say, not the suite."""
    made = {**os.environ, "NO_COLOR": "1", **env}
    made.pop("RPMKIT_SPARE", None)
    return made


def _cli(*args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rpmkit", *map(str, args)],
        capture_output=True, text=True, timeout=300, env=_env(**env),
    )  # fmt: skip


def _spares(engine: Any) -> set[str]:
    """The names of this test's spare containers."""
    return {
        c.name
        for c in engine.containers(f"{labels.CACHE}={spare.KIND}")
        if c.labels.get(spare.FOLDER) == str(spare.root())
    }


def _ready(seconds: float = 30) -> str:
    """The name of the spare waiting in this cache home, once there is one."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready = spare.root() / "ready"
        names = [p.name.partition(".")[2] for p in ready.iterdir()] if ready.is_dir() else []
        if names:
            return names[0]
        time.sleep(0.1)
    pytest.fail("no spare was left")


def _run_objects(docker_client: Any, app: str) -> set[str]:
    selector = {"label": [labels.RUN, f"{labels.APP}={app}"]}
    found = {c.name for c in docker_client.containers.list(all=True, filters=selector)}
    return found | {n.name for n in docker_client.networks.list(filters=selector)}


def test_the_next_check_takes_the_spare_and_leaves_a_new_one(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any, cache_home: Path
) -> None:
    rpm = rpm_factory(web_spec(name="rk-spare"))
    argv = ("-v", "check", rpm, "--profile", "offline", "--no-cache", "--health-port", "80")
    first = _cli(*argv, "--spare")
    assert first.returncode == 0, first.stdout + first.stderr
    assert TAKEN not in first.stderr
    left = _ready()
    second = _cli(*argv, "--spare")
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"installed into {left}, {TAKEN}" in second.stderr
    # The same checks, the same verdicts: only the instance's start differs.
    assert [line[:4] for line in first.stdout.splitlines()] == [
        line[:4] for line in second.stdout.splitlines()
    ]
    assert left_after(lambda: {left} & _spares(engine)) == set()  # removed with its run
    assert _ready() != left  # and a new one waits
    listed = _cli("images", "prune", "--dry-run")
    assert f"container {_ready()}" in listed.stdout, listed.stdout


def test_off_with_no_spare_and_in_ci(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any, cache_home: Path
) -> None:
    rpm = rpm_factory(web_spec(name="rk-nospare"))
    argv = ("check", rpm, "--profile", "offline", "--no-cache", "--no-boot", "--no-health")
    assert _cli(*argv, "--no-spare").returncode == 0
    assert _cli(*argv, CI="true").returncode == 0
    time.sleep(3)  # a spare would be made by now (the detached teardown's last step)
    assert _spares(engine) == set()
    assert not (spare.root() / "ready").exists() or not list((spare.root() / "ready").iterdir())


def _instance(
    engine: Any, runtime: str, staged: Any, spares: spare.Spares | None, limits: Any = None
) -> Any:
    """An unbooted instance of the staged RPMs, as the check installs it."""
    return install(
        engine, profiles.get("offline"), runtime, staged, Run.new("rk-same"), boot=False,
        publish=(80,), limits=limits or Limits(), spares=spares,
    )  # fmt: skip


def _spares_for(engine: Any, runtime: str) -> spare.Spares:
    return spare.Spares(engine, runtime, engine.image_id(runtime), RPM_DIR)


def _inside(instance: Any) -> dict[str, str]:
    """What the check could see of how the instance was made."""
    processes = instance.sh("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done")
    return {
        "run": instance.sh("ls -A /run /run/lock").stdout,
        "mounts": instance.sh(
            "grep -E ' /run| /rpmkit| /sys/fs/cgroup' /proc/mounts | cut -d' ' -f2-4 | sort"
        ).stdout,  # fmt: skip
        "processes": "\n".join(
            sorted(p for p in processes.stdout.splitlines() if p and "/proc/[0-9]" not in p)
        ),
        "rpms": instance.sh(f"cd {RPM_DIR} && stat -c '%A %U %G %s %n' . .??* *").stdout,
        "cgroup limits": instance.sh(
            "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>&1"
        ).stdout,  # fmt: skip
    }


def _made(docker_client: Any, name: str) -> dict[str, Any]:
    attrs = docker_client.containers.get(name).attrs
    host, config = attrs["HostConfig"], attrs["Config"]
    keep = ("CapAdd", "SecurityOpt", "Tmpfs", "Memory", "MemorySwap", "PidsLimit", "Sysctls",
            "CgroupnsMode", "Privileged", "NetworkMode")  # fmt: skip
    return {
        "image": attrs["Image"],
        "cmd": config["Cmd"],
        "env": sorted(config["Env"] or []),
        "stop signal": config.get("StopSignal"),
        "ports": sorted(host["PortBindings"] or {}),
        "binds": sorted(b.split(":", 1)[1] for b in host["Binds"] or []),
        **{k: host.get(k) for k in keep},
    }


def test_a_spare_is_indistinguishable_from_an_instance_started_on_demand(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any, docker_client: Any,
    cache_home: Path,
) -> None:  # fmt: skip
    runtime = offline_images["runtime"]
    rpm = rpm_factory(web_spec(name="rk-same"))
    with targets.staged((rpm,)) as staged:
        spares = _spares_for(engine, runtime)
        on_demand = _instance(engine, runtime, staged, spares)  # none waits: on demand
        try:
            assert not spares.taken
            left = spares.leave("offline")
            assert left is not None
            time.sleep(1)  # a spare waits a while before it is taken
            again = _spares_for(engine, runtime)
            warm = _instance(engine, runtime, staged, again)
            try:
                assert warm.name == left
                assert [t.container.name for t in again.taken] == [left]
                assert _made(docker_client, warm.name) == _made(docker_client, on_demand.name)
                seen = _inside(on_demand)
                assert "00.rpm" in seen["rpms"]
                assert ".rpmkit-owner" in seen["rpms"]
                assert "mkfifo" in seen["processes"]  # PID 1, waiting: nothing else runs
                assert "/run tmpfs" in seen["mounts"]
                assert _inside(warm) == seen
                assert warm.log.output == on_demand.log.output
            finally:
                again.release()
            assert left not in _spares(engine)
        finally:
            on_demand.container.remove()


@pytest.mark.parametrize("stale", ["other settings", "an older image"])
def test_a_spare_of_other_settings_or_an_older_image_is_discarded(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any, cache_home: Path, stale: str
) -> None:
    runtime = offline_images["runtime"]
    rpm = rpm_factory(web_spec(name="rk-same"))
    with targets.staged((rpm,)) as staged:
        spares = _spares_for(engine, runtime)
        limits = Limits(memory_mib=1024) if stale == "other settings" else Limits()
        _instance(engine, runtime, staged, spares, limits).container.remove()
        maker = spares
        if stale == "an older image":  # made when the tag named another image
            maker = spare.Spares(engine, runtime, "sha256:" + "0" * 64, RPM_DIR)
            assert spares.request is not None
            _, ports, options = spares.request
            maker.request = (spare.digest(maker.image_id, ports, options, RPM_DIR), ports, options)
        name = maker.leave("offline")
        assert name is not None
        taker = _spares_for(engine, runtime)
        instance = _instance(engine, runtime, staged, taker)
        try:
            assert instance.name != name
            assert not taker.taken
            assert taker.discarded == [name]
        finally:
            instance.container.remove()
            taker.release()
    assert name not in _spares(engine)
    assert not list((spare.root() / "ready").iterdir())


def test_two_checks_never_take_the_same_spare(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any, cache_home: Path
) -> None:
    runtime = offline_images["runtime"]
    rpm = rpm_factory(web_spec(name="rk-same"))
    with targets.staged((rpm,)) as staged:
        first = _spares_for(engine, runtime)
        _instance(engine, runtime, staged, first).container.remove()
        assert first.request is not None
        _, ports, options = first.request
        for _ in range(3):
            name = first.leave("offline")
            takers = [_spares_for(engine, runtime) for _ in range(8)]
            won: list[Any] = []
            start = threading.Barrier(len(takers))

            def take(s: spare.Spares, start: Any = start, won: list[Any] = won) -> None:
                start.wait()
                got = s.take(ports, options, staged)
                if got is not None:
                    won.append(got)

            threads = [threading.Thread(target=take, args=(s,)) for s in takers]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [c.name for c in won] == [name]
            for s in takers:
                s.release()
    assert _spares(engine) == set()


def test_an_unclaimed_spare_goes_away_by_itself(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any, cache_home: Path
) -> None:
    rpm = rpm_factory(web_spec(name="rk-idle"))
    done = _cli(
        "check", rpm, "--profile", "offline", "--no-cache", "--no-boot", "--no-health",
        "--spare", RPMKIT_SPARE_IDLE="2",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    name = _ready()
    assert name in _spares(engine)
    assert left_after(lambda: _spares(engine), 20) == set()


@pytest.mark.parametrize("when", ["after its verdict", "while it boots"])
def test_nothing_of_a_run_survives_a_kill_9(
    rpm_factory: Build, offline_images: dict[str, str], docker_client: Any, engine: Any,
    cache_home: Path, when: str,
) -> None:  # fmt: skip
    app = f"rk-kill-{when.split()[-1]}"
    rpm = rpm_factory(web_spec(name=app))
    proc = subprocess.Popen(
        [sys.executable, "-m", "rpmkit", "check", str(rpm), "--profile", "offline",
         "--no-cache", "--health-port", "80", "--spare"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=_env(PYTHONUNBUFFERED="1"), start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    if when == "after its verdict":
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith(VERDICT):
                break
        assert lines[-1].startswith("PASS: "), "".join(lines)
    else:
        deadline = time.monotonic() + 120
        while not _run_objects(docker_client, app) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _run_objects(docker_client, app), "the instance never started"
    os.killpg(proc.pid, signal.SIGKILL)  # rpmkit and everything in its session
    proc.wait(timeout=30)
    # No next run needed: the watcher started with the check removes what it made.
    assert left_after(lambda: _run_objects(docker_client, app)) == set()

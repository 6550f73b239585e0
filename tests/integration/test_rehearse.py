"""The rollout rehearsal against the real engine, HAProxy, systemd and the test service."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rpmkit import labels, profiles, targets
from rpmkit.progress import Reporter
from rpmkit.rehearse import balancer_image
from rpmkit.rehearse import report as rehearse_report
from rpmkit.rehearse import run as rehearse
from rpmkit.rehearse.run import Rehearsal
from tests.integration.conftest import rpmkit_cli
from tests.integration.rehearse_helpers import plan, service_spec
from tests.reports import read_junit, read_report

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"
Build = Callable[[str], Path]


@pytest.fixture(scope="module")
def lb_image(engine: Any, offline_images: dict[str, str]) -> str:
    """The balancer's image, built on first use as `rpmkit rehearse` does."""
    tag, _ = balancer_image.ensure(engine, Reporter(verbosity=-1))
    return tag


def run(
    engine: Any,
    offline_images: dict[str, str],
    lb_image: str,
    app: str,
    old: Path,
    new: Path,
    **options: Any,
) -> Rehearsal:
    """`rehearse.rehearse` of two RPM files, staged as `rpmkit rehearse` stages them."""
    with targets.staged((old,)) as old_rpms, targets.staged((new,)) as new_rpms:
        return rehearse.rehearse(
            engine,
            profiles.get("offline"),
            offline_images["runtime"],
            lb_image,
            plan(app, old_rpms, new_rpms, **options),
            Reporter(verbosity=-1),
        )


def run_objects(client: Any, app: str, owner: str | None = None) -> set[str]:
    """Every container, image and network of an app's runs (of one process) on the engine."""
    selector = {"label": [labels.RUN, f"{labels.APP}={app}"]}
    if owner is not None:
        selector["label"].append(f"{labels.OWNER}={owner}")

    def counted(found: dict[str, str] | None) -> bool:
        # Without an owner: runs whose process has ended, not another suite's in progress.
        return owner is not None or not labels.owner_alive(found or {})

    containers = client.containers.list(all=True, filters=selector, ignore_removed=True)
    found = {f"container {c.name}" for c in containers if counted(c.labels)}
    found |= {f"image {i.id}" for i in client.images.list(filters=selector) if counted(i.labels)}
    found |= {
        f"network {n.name}"
        for n in client.networks.list(filters=selector)
        if counted(n.attrs.get("Labels"))
    }
    return found


def assert_nothing_left(client: Any, app: str, before: set[str]) -> None:
    """No run object made since `before` remains.

    Another rpmkit on the same engine may be mid-run (a build of the same app):
    what it made goes when it ends, while a leak stays, so new objects get a grace period.
    """
    deadline = time.monotonic() + 30
    while (left := run_objects(client, app) - before) and time.monotonic() < deadline:
        time.sleep(1)
    assert not left, f"left behind: {sorted(left)}"


def event_time(r: Rehearsal, what: str) -> float:
    (at,) = [e.at for e in r.events if e.what == what]
    return at


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


@pytest.fixture(scope="module")
def hello_rpms(offline_images: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """hello-world 1.0.0 and 1.0.1, built with `rpmkit build --version`."""
    dist = tmp_path_factory.mktemp("hello-rehearse")
    for version in ("1.0.0", "1.0.1"):
        proc = rpmkit_cli(
            "build", str(HELLO), "--profile", "offline", "--dist", str(dist), "--version", version
        )
        assert proc.returncode == 0, output(proc)
    return [dist / f"hello-world-{v}-1.x86_64.rpm" for v in ("1.0.0", "1.0.1")]


def test_hello_world_rolls_out_under_chaos(
    docker_client: Any, lb_image: str, hello_rpms: list[Path], tmp_path: Path
) -> None:
    old, new = hello_rpms
    before = run_objects(docker_client, "hello-world")
    json_path, junit_path = tmp_path / "r.json", tmp_path / "r.xml"
    proc = rpmkit_cli(
        "rehearse", str(HELLO), "--profile", "offline", "--from", str(old), "--to", str(new),
        "--chaos", "--steady-seconds", "6", "--after-seconds", "3",
        "--json", str(json_path), "--junit-xml", str(junit_path),
    )  # fmt: skip
    assert proc.returncode == 0, output(proc)
    assert "PASS: hello-world-1.0.0-1.x86_64 -> hello-world-1.0.1-1.x86_64 rehearsed" in proc.stdout
    assert "swap took" in proc.stdout
    report = read_report(json_path)
    assert report["verdict"] == "pass"
    [app] = report["apps"]
    data = app["rehearsal"]
    # A steady, bounded stream: 50 requests a second from 4 clients.
    assert data["settings"]["requests_per_second"] == 50
    assert data["settings"]["clients"] == 4
    assert data["load"]["rate"] > 45
    (chaos,) = data["chaos"]
    assert chaos["during"] == "steady"
    assert chaos["down_after"] is not None
    assert chaos["replacement"] == "old3"
    assert chaos["in_service_after"] > chaos["down_after"]
    # The only failed requests are those the killed instance had at the kill: reported.
    assert all(f["at_kill"] and f["server"] == chaos["killed"] for f in data["failed"])
    for f in data["failed"]:
        assert f["start"] + f["seconds"] >= chaos["at"]
        assert f["start"] <= chaos["at"] + chaos["down_after"] + 0.5
        assert f"#{f['id']}" in proc.stdout
    # Nothing failed during the swap, and the swap took a measured time.
    swap_start, swap_end = data["phases"]["swap"]
    assert not [f for f in data["failed"] if swap_start <= f["start"] < swap_end]
    assert 0 < data["swap"]["healthy"] <= data["swap"]["switched"] <= data["swap"]["detached"]
    stages = {s["name"]: s["seconds"] for s in app["stages"]}
    assert stages["swap"] == data["swap"]["detached"]
    suites = read_junit(junit_path)
    assert list(suites) == ["hello-world"]
    assert {result for *_, result in suites["hello-world"]} == {"pass"}
    assert_nothing_left(docker_client, "hello-world", before)


def test_the_switch_waits_until_every_new_instance_is_healthy(
    rpm_factory: Build, engine: Any, offline_images: dict[str, str], lb_image: str
) -> None:
    # The new version's health check fails for its first 20 seconds.
    old = rpm_factory(service_spec("rk-late", "1.0"))
    new = rpm_factory(service_spec("rk-late", "1.1", late=20))
    r = run(engine, offline_images, lb_image, "rk-late", old, new, steady_seconds=2)
    rr = rehearse_report.build(r, 0)
    assert rr.ok, rehearse_report.render(rr)
    assert r.swap["healthy"] >= 20
    switched = event_time(r, "switched the balancer to the new group")
    served = [s for s in r.samples if s.ok]
    assert len(served) == len(r.samples)  # not one request failed
    # The old group served everything until the switch; the new one everything after.
    assert {s.server for s in served if s.end < switched} == {"old1", "old2"}
    assert {s.server for s in served if s.start > switched + 0.5} == {"new1", "new2"}
    assert max(s.start for s in served if s.server.startswith("new")) > switched
    assert min(s.end for s in served if s.server.startswith("new")) >= switched


def test_an_old_instance_killed_during_the_swap(
    rpm_factory: Build, engine: Any, offline_images: dict[str, str], lb_image: str
) -> None:
    old = rpm_factory(service_spec("rk-swapkill", "1.0"))
    new = rpm_factory(service_spec("rk-swapkill", "1.1"))
    r = run(
        engine, offline_images, lb_image, "rk-swapkill", old, new,
        steady_seconds=1.5, chaos_swap=True,
    )  # fmt: skip
    rr = rehearse_report.build(r, 0)
    assert rr.ok, rehearse_report.render(rr)
    (chaos,) = r.chaos
    assert chaos.during == "swap"
    assert chaos.killed in ("old1", "old2")
    assert chaos.replacement is None  # the old group is on its way out
    swap_start, swap_end = r.phases["swap"]
    assert swap_start <= chaos.at <= swap_end
    assert all(s.server == chaos.killed for s in rr.at_kill)
    assert rr.counted == ()


def write_app(folder: Path, name: str, extra: str = "") -> Path:
    """An app directory for the CLI: a hand-written spec app with short rehearsal phases."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.spec").write_text(service_spec(name))
    (folder / "rpmkit.toml").write_text(
        f'name = "{name}"\nversion = "1.1"\nsummary = "test"\nlicense = "MIT"\n'
        'spec = "app.spec"\n\n[rehearse]\ninstances = 1\nsteady_seconds = 1.5\n'
        f"after_seconds = 1.0\n{extra}"
    )
    return folder


@pytest.mark.parametrize(
    ("name", "state", "keeps"),
    [("rk-opt", "/opt/rk-opt/data.db", True), ("rk-tmp", "/tmp/data.db", False)],
)
def test_state_on_the_instance_fails_the_disposability_check(
    rpm_factory: Build, lb_image: str, tmp_path: Path, name: str, state: str, keeps: bool
) -> None:
    old = rpm_factory(service_spec(name, "1.0", state=state))
    new = rpm_factory(service_spec(name, "1.1", state=state))
    app = write_app(tmp_path / name, name)
    json_path = tmp_path / "r.json"
    proc = rpmkit_cli(
        "rehearse", str(app), "--profile", "offline", "--from", str(old), "--to", str(new),
        "--json", str(json_path),
    )  # fmt: skip
    [app] = read_report(json_path)["apps"]
    data = app["rehearsal"]
    if keeps:
        assert proc.returncode == 1, output(proc)
        assert app["failed_stage"] == "disposable"
        assert f"written outside disposable paths: {state} (new1, old1)" in proc.stdout
        assert f"old1: added {state}" in proc.stdout
        assert "error: rehearsal failed at the disposable stage" in proc.stderr
        assert data["writes"]["new1"] == [{"path": state, "kind": "added"}]
    else:
        assert proc.returncode == 0, output(proc)
        assert data["writes"] == {"old1": [], "new1": []}
        assert "PASS  disposable no instance keeps state on its own disk" in proc.stdout


def test_a_version_that_crashes_under_load_fails_with_the_count_and_times(
    rpm_factory: Build, engine: Any, offline_images: dict[str, str], lb_image: str
) -> None:
    old = rpm_factory(service_spec("rk-crash", "1.0"))
    new = rpm_factory(service_spec("rk-crash", "1.1", crash_after=40))
    r = run(
        engine, offline_images, lb_image, "rk-crash", old, new, steady_seconds=2, after_seconds=3
    )
    rr = rehearse_report.build(r, 0)
    assert not rr.ok
    assert rr.failed_stage in ("swap", "after")
    switched = event_time(r, "switched the balancer to the new group")
    assert len(rr.counted) > 10
    assert all(s.start >= switched - 0.1 for s in rr.counted)
    assert {s.server for s in rr.counted} <= {"new1", "new2", "<NOSRV>"}
    text = rehearse_report.render(rr)
    assert f"({len(rr.counted)} failed, budget 0)" in text
    first = rr.counted[0]
    assert f"{first.start:7.2f}s  {first.seconds:6.3f}s  {first.outcome}" in text


@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["SIGINT", "SIGTERM", "SIGHUP"],
)
def test_a_signal_mid_rehearsal_leaves_nothing_behind(
    rpm_factory: Build,
    docker_client: Any,
    lb_image: str,
    tmp_path: Path,
    sig: signal.Signals,
    code: int,
) -> None:
    old = rpm_factory(service_spec("rk-int", "1.0"))
    new = rpm_factory(service_spec("rk-int", "1.1"))
    app = write_app(tmp_path / "rk-int", "rk-int", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rpmkit", "rehearse", str(app), "--profile", "offline",
         "--from", str(old), "--to", str(new), "--steady-seconds", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        running = docker_client.containers.list(filters={"label": f"{labels.APP}=rk-int"})
        if any(c.name.endswith("-balancer") for c in running):
            break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"the balancer never started: {proc.communicate()[0]}")
    time.sleep(3)  # the load is running against the group
    owner = labels.owner(proc.pid)
    made = run_objects(docker_client, "rk-int", owner)
    assert {o.split()[0] for o in made} == {"container", "image", "network"}, made
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == code, out
    assert f"interrupted ({sig.name})" in out
    assert not run_objects(docker_client, "rk-int", owner)

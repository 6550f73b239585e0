"""Stopped by a signal at any stage: the right exit code, and nothing left behind.

Also: a run killed with SIGKILL (no clean-up possible) leaves its instance,
which the next rpmkit run reaps.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rpmkit import labels
from tests.integration.apps import WSGI, config, write
from tests.integration.conftest import left_after
from tests.integration.test_check import web_spec

pytestmark = [pytest.mark.docker, pytest.mark.slow]

Build = Callable[[str], Path]
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


def _start(
    *args: str | Path, tmpdir: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    extra = {**({"TMPDIR": str(tmpdir)} if tmpdir else {}), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "rpmkit", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **extra},
        start_new_session=True,  # a terminal's Ctrl-C goes to rpmkit alone here
    )


def _objects(client: Any, app: str) -> list[str]:
    selector = {"label": [labels.RUN, f"{labels.APP}={app}"]}
    found = [f"container {c.name}" for c in client.containers.list(all=True, filters=selector)]
    found += [f"image {i.id}" for i in client.images.list(filters=selector)]
    found += [f"network {n.name}" for n in client.networks.list(filters=selector)]
    return found


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            pytest.fail(f"rpmkit ended before {what}: {proc.communicate()[0]}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"never reached {what}")


def _in_container(client: Any, app: str, command: list[str], expect: bytes) -> bool:
    for container in client.containers.list(filters={"label": f"{labels.APP}={app}"}):
        code, out = container.exec_run(command)
        if expect in out:
            return True
    return False


def _stop(proc: subprocess.Popen[str], sig: signal.Signals) -> str:
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == EXIT[sig], out
    assert f"interrupted ({sig.name})" in out
    assert "Traceback" not in out
    return out


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_stopped_during_the_install(
    sig: signal.Signals, rpm_factory: Build, docker_client: Any, offline_images: dict[str, str]
) -> None:
    app = f"rk-sig-install-{sig.name.lower()}"
    rpm = rpm_factory(web_spec(name=app, post="sleep 30"))
    proc = _start("check", rpm, "--profile", "offline", "--no-cache")
    # The %post scriptlet is running: rpm is mid-transaction.
    _wait_for(
        lambda: _in_container(docker_client, app, ["pgrep", "-f", "sleep 30"], b"\n"),
        proc, "the %post scriptlet",
    )  # fmt: skip
    _stop(proc, sig)
    assert _objects(docker_client, app) == []


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_stopped_during_the_boot_and_health_wait(
    sig: signal.Signals, rpm_factory: Build, docker_client: Any, offline_images: dict[str, str]
) -> None:
    app = f"rk-sig-boot-{sig.name.lower()}"
    rpm = rpm_factory(web_spec(name=app, unit_extra="ExecStartPre=/bin/sleep 30"))
    proc = _start("check", rpm, "--profile", "offline", "--no-cache")
    _wait_for(
        lambda: _in_container(
            docker_client, app, ["systemctl", "is-system-running"], b"starting"
        ),
        proc, "the boot",
    )  # fmt: skip
    _stop(proc, sig)
    assert _objects(docker_client, app) == []


SLOW_SPEC = """\
Name: rk-sig-build
Version: 1
Release: 1
Summary: builds slowly
License: MIT
BuildArch: noarch
%description
Takes its time in %build, so a signal lands while rpmbuild runs.
%build
sleep 60
%files
"""


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_stopped_during_rpmbuild(
    sig: signal.Signals, docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    app_dir = tmp_path / "slow"
    app_dir.mkdir()
    (app_dir / "slow.spec").write_text(SLOW_SPEC)
    (app_dir / "rpmkit.toml").write_text(
        'name = "rk-sig-build"\nversion = "1"\nsummary = "slow"\nlicense = "MIT"\n'
        'spec = "slow.spec"\n'
    )
    dist = tmp_path / "dist"
    proc = _start("build", app_dir, "--profile", "offline", "--dist", dist)
    _wait_for(
        lambda: _in_container(docker_client, "rk-sig-build", ["pgrep", "-x", "sleep"], b"\n"),
        proc, "rpmbuild's %build",
    )  # fmt: skip
    _stop(proc, sig)
    assert _objects(docker_client, "rk-sig-build") == []
    left = sorted(p.name for p in dist.rglob("*") if p.is_file()) if dist.exists() else []
    assert [name for name in left if name.endswith(".rpm") or "partial" in name] == []
    assert not (dist / "failed").exists()


def test_a_killed_run_is_reaped_by_the_next(
    rpm_factory: Build, docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = "rk-sig-kill"
    rpm = rpm_factory(web_spec(name=app, unit_extra="ExecStartPre=/bin/sleep 30"))
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    proc = _start("check", rpm, "--profile", "offline", "--no-cache", tmpdir=tmpdir)
    _wait_for(lambda: bool(_objects(docker_client, app)), proc, "the instance")
    # SIGKILL to rpmkit and to the watcher it started (check/teardown.py): nothing cleans up.
    for pid in [*_children(proc.pid), proc.pid]:
        os.kill(pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert _objects(docker_client, app) != []
    assert [p.name for p in tmpdir.glob("rpmkit-rpms-*")] != []  # its staged copy stays, for now
    listed = subprocess.run(
        [sys.executable, "-m", "rpmkit", "instances"], capture_output=True, text=True, timeout=60
    )
    assert "leftover" in listed.stdout, listed.stdout
    # Any later run reaps it: here a static check of another RPM.
    other = rpm_factory(web_spec(name="rk-sig-next"))
    done = subprocess.run(
        [sys.executable, "-m", "rpmkit", "check", str(other), "--profile", "offline",
         "--no-boot", "--no-health", "--no-cache"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "TMPDIR": str(tmpdir)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # The next run's teardown reaps, after its own verdict: a moment after it returns.
    assert left_after(lambda: set(_objects(docker_client, app))) == set()
    assert list(tmpdir.iterdir()) == []  # the killed run's staged RPMs went with its instance


def test_a_build_killed_mid_rpmbuild_is_cleaned_up_by_the_next_build(
    docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    app_dir = tmp_path / "slow"
    app_dir.mkdir()
    spec = SLOW_SPEC.replace("rk-sig-build", "rk-kill-build")
    (app_dir / "slow.spec").write_text(spec)
    (app_dir / "rpmkit.toml").write_text(
        'name = "rk-kill-build"\nversion = "1"\nsummary = "slow"\nlicense = "MIT"\n'
        'spec = "slow.spec"\n'
    )
    dist, tmpdir = tmp_path / "dist", tmp_path / "tmp"
    tmpdir.mkdir()
    proc = _start("build", app_dir, "--profile", "offline", "--dist", dist, tmpdir=tmpdir)
    _wait_for(
        lambda: _in_container(docker_client, "rk-kill-build", ["pgrep", "-x", "sleep"], b"\n"),
        proc, "rpmbuild's %build",
    )  # fmt: skip
    proc.kill()
    proc.communicate(timeout=30)
    assert list(dist.glob(".rpmkit-build-*")) != []
    assert list(tmpdir.glob("rpmkit-build-*")) != []
    # The next build into the same dist/ (here a quick one) removes both and the container.
    changelog = "%changelog\n* Mon Nov 30 2026 rpmkit <rpmkit@example.com> - 1-1\n- quick\n"
    (app_dir / "slow.spec").write_text(spec.replace("sleep 60", "true") + changelog)
    done = subprocess.run(
        [sys.executable, "-m", "rpmkit", "build", str(app_dir), "--profile", "offline",
         "--dist", str(dist)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TMPDIR": str(tmpdir)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(dist.glob(".rpmkit-build-*")) == []
    assert list(tmpdir.iterdir()) == []
    assert _objects(docker_client, "rk-kill-build") == []
    assert "rk-kill-build-1-1.noarch.rpm" in [p.name for p in dist.glob("*.rpm")]


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (proc(5): the stat file's fourth field)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_stopped_during_the_upgrade(
    sig: signal.Signals, rpm_factory: Build, docker_client: Any, offline_images: dict[str, str]
) -> None:
    app = f"rk-sig-up-{sig.name.lower()}"
    old = rpm_factory(web_spec(name=app, version="1.0"))
    new = rpm_factory(web_spec(name=app, version="1.1", post="sleep 30"))
    proc = _start(
        "check", new, "--upgrade-from", old, "--profile", "offline", "--no-cache",
        "--health-port", "80",
    )  # fmt: skip
    # The new version's %post is running: the upgrade transaction is mid-way.
    _wait_for(
        lambda: _in_container(docker_client, app, ["pgrep", "-f", "sleep 30"], b"\n"),
        proc, "the upgrade's %post",
    )  # fmt: skip
    _stop(proc, sig)
    assert _objects(docker_client, app) == []


@pytest.fixture
def hanging_index() -> Iterator[tuple[str, list[socket.socket]]]:
    """An index URL whose server accepts connections and never answers (pip waits), and
    the connections it holds."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/simple", held
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _pip_running(index: str) -> bool:
    found = subprocess.run(["pgrep", "-f", f"pip download .*{index}"], capture_output=True)
    return found.returncode == 0


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_stopped_during_the_wheel_download(
    sig: signal.Signals,
    hanging_index: tuple[str, list[socket.socket]],
    docker_client: Any,
    offline_images: dict[str, str],
    tmp_path: Path,
) -> None:
    app = write(tmp_path / "app", {
        "app.py": WSGI,
        "requirements.txt": "gunicorn==23.0.0\n",
        "rpmkit.toml": config("rk-sig-wheels", "gunicorn app:application -b 127.0.0.1:8000"),
    })  # fmt: skip
    dist, tmpdir, cache = tmp_path / "dist", tmp_path / "tmp", tmp_path / "cache"
    tmpdir.mkdir()
    index, connections = hanging_index
    proc = _start(
        "build", app, "--profile", "offline", "--dist", dist, "--index-url", index,
        tmpdir=tmpdir, env={"XDG_CACHE_HOME": str(cache)},
    )  # fmt: skip
    _wait_for(lambda: bool(connections), proc, "pip asking the index")
    assert _pip_running(index)
    _stop(proc, sig)
    deadline = time.monotonic() + 5
    while _pip_running(index) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _pip_running(index), "pip outlived rpmkit"
    assert _objects(docker_client, "rk-sig-wheels") == []
    assert list(tmpdir.iterdir()) == []
    assert [p for p in cache.rglob("*") if "partial" in p.name] == []
    assert not dist.exists() or list(dist.rglob("*")) == []


BIG_SPEC = """\
Name: rk-sig-copy
Version: 1
Release: 1
Summary: a large payload, so copying it out takes a moment
License: MIT
BuildArch: noarch
%define _binary_payload w0.ufdio
%define __os_install_post %{nil}
%description
Large and uncompressed: the build's outputs take a while to copy out.
%install
mkdir -p %{buildroot}/opt/big
head -c 100000000 /dev/urandom > %{buildroot}/opt/big/blob
%files
/opt/big
"""


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_stopped_while_the_outputs_are_copied_out(
    sig: signal.Signals, docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    app_dir = tmp_path / "big"
    app_dir.mkdir()
    (app_dir / "big.spec").write_text(BIG_SPEC)
    (app_dir / "rpmkit.toml").write_text(
        'name = "rk-sig-copy"\nversion = "1"\nsummary = "big"\nlicense = "MIT"\nspec = "big.spec"\n'
    )
    dist = tmp_path / "dist"
    proc = _start("build", app_dir, "--profile", "offline", "--dist", dist)

    def copying() -> bool:
        return any(dist.glob(".rpmkit-build-*/*.rpm"))  # the first package being written

    _wait_for(copying, proc, "the copy of the outputs")
    _stop(proc, sig)
    assert _objects(docker_client, "rk-sig-copy") == []
    assert sorted(p.name for p in dist.rglob("*")) == []  # no partial RPM, no staging folder

"""The build stage for real: rpmbuild and rpmlint in the offline builder container."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from rpmkit import config, labels, profiles
from rpmkit.build import spec
from rpmkit.build import stage as build
from rpmkit.errors import BuildError
from rpmkit.progress import Reporter

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "examples" / "hello-world"
QUIET = Reporter(verbosity=-1)

SPEC = """\
Name: @NAME@
Version: 1.0
Release: 1
Summary: Tiny package for the build stage tests
License: MIT
URL: https://example.com/tiny
BuildArch: noarch
Source0: @NAME@-1.0.tar.gz

%description
A tiny package that rpmkit's build stage tests build.

%prep
%setup -q

%build

%install
install -d %{buildroot}/usr/share/@NAME@
install -m 0644 hello.txt %{buildroot}/usr/share/@NAME@/hello.txt
seq 1 1000 > %{buildroot}/usr/share/@NAME@/made-during-the-build.txt
@INSTALL@

%files
/usr/share/@NAME@

%changelog
* Thu Jan 01 2026 rpmkit tests <tests@example.com> - 1.0-1
- First release.
"""


def _app(root: Path, name: str, install: str = "") -> Path:
    """A tiny app with a hand-written spec; `install` is appended to its %install."""
    root.mkdir(parents=True)
    (root / "rpmkit.toml").write_text(
        f'name = "{name}"\nversion = "1.0"\nsummary = "Tiny package for tests"\n'
        f'license = "MIT"\nspec = "{name}.spec"\n'
    )
    (root / f"{name}.spec").write_text(SPEC.replace("@NAME@", name).replace("@INSTALL@", install))
    (root / "hello.txt").write_text("hello\n")
    (root / "debug.log").write_text("left out by .gitignore\n")
    (root / ".gitignore").write_text("*.log\n")
    return root


def _build(engine: Any, app: Path, dist: Path, reporter: Reporter = QUIET, **kw: Any) -> Any:
    loaded = config.load(app)
    options = build.BuildOptions(dist=dist)
    return build.build(
        engine, loaded, spec.render(loaded), profiles.get("offline"), reporter, options, **kw
    )


def _rpm(client: Any, image: str, directory: Path, *args: str) -> str:
    """Run `rpm ARGS` in the builder with `directory` at /rpms (read-only)."""
    out = client.containers.run(
        image,
        ["rpm", *args],
        volumes={str(directory): {"bind": "/rpms", "mode": "ro"}},
        labels=labels.Run(labels.new_run_id(), "tests").labels(),
        network_disabled=True,
        remove=True,
    )
    return str(out.decode())


def _left(client: Any, app: str) -> list[str]:
    found = client.containers.list(all=True, filters={"label": f"{labels.APP}={app}"})
    return [c.name for c in found]


def _digests(client: Any, image: str, rpm: Path) -> str:
    return _rpm(client, image, rpm.parent, "-qp", "--qf", QF, f"/rpms/{rpm.name}")


# Ends in a newline: docker's log keeps no unterminated last line.
QF = "%{PAYLOADDIGEST} %{PAYLOADDIGESTALT} %{BUILDTIME} %{BUILDHOST}\n"


def test_build_writes_rpm_srpm_and_log(
    engine: Any,
    docker_client: Any,
    offline_images: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    app = _app(tmp_path / "app", "rk-tiny")
    rpm = _build(engine, app, tmp_path / "dist")
    dist = tmp_path / "dist"
    assert rpm.path == dist / "rk-tiny-1.0-1.noarch.rpm"
    assert rpm.srpm == dist / "rk-tiny-1.0-1.src.rpm"
    assert rpm.log == dist / "rk-tiny-1.0-1.build.log"
    assert sorted(p.name for p in dist.iterdir()) == [
        ".rpmkit-source-rk-tiny.json",  # the source digest, for the next build (`reuse`)
        "rk-tiny-1.0-1.build.log",
        "rk-tiny-1.0-1.noarch.rpm",
        "rk-tiny-1.0-1.src.rpm",
    ]
    assert rpm.sha256 == hashlib.sha256(rpm.path.read_bytes()).hexdigest()
    assert rpm.profile == "offline"
    assert rpm.lint is not None
    assert rpm.lint.errors == ()
    log = rpm.log.read_text()
    assert "Wrote: /tmp/rpmbuild/RPMS/noarch/rk-tiny-1.0-1.noarch.rpm" in log
    assert "0 errors" in log.splitlines()[-2]
    assert log.splitlines()[-1] == "# rpmlint: no finding accepted"
    image = offline_images["builder"]
    assert _digests(docker_client, image, rpm.path).split()[2:] == ["1700000000", "rpmkit"]
    files = _rpm(docker_client, image, dist, "-qpl", "/rpms/rk-tiny-1.0-1.noarch.rpm").split()
    assert "/usr/share/rk-tiny/hello.txt" in files
    # Source0 honoured .gitignore (debug.log), and ships no version control file.
    script = (
        "rpm2cpio /rpms/rk-tiny-1.0-1.src.rpm "
        "| cpio -i --quiet --to-stdout rk-tiny-1.0.tar.gz | tar -tzf -"
    )
    listing = docker_client.containers.run(
        image,
        ["sh", "-c", script],
        volumes={str(dist): {"bind": "/rpms", "mode": "ro"}},
        network_disabled=True,
        remove=True,
    )
    assert sorted(listing.decode().split()) == [
        "rk-tiny-1.0/",
        "rk-tiny-1.0/hello.txt",
        "rk-tiny-1.0/rk-tiny.spec",
        "rk-tiny-1.0/rpmkit.toml",
    ]
    assert _left(docker_client, "rk-tiny") == []


def test_failing_install_shows_the_failing_lines(
    engine: Any, docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = _app(tmp_path / "app", "rk-broken", 'echo "about to fail: no config to install"\nexit 3')
    with pytest.raises(BuildError) as info:
        _build(engine, app, tmp_path / "dist")
    error = info.value
    assert error.exit_code == 1
    prefix = "rpmbuild failed in %install building rk-broken-1.0-1: "
    assert error.message.startswith(prefix)
    # The last words before rpm's "Bad exit status": the echo's output or the failing command,
    # whichever came last (the shell's trace and the script's output are separate streams).
    assert error.message.removeprefix(prefix) in (
        "`exit 3` failed",
        "about to fail: no config to install",
    )
    details = error.details or ""
    assert "+ exit 3" in details
    assert "about to fail: no config to install" in details
    assert "Bad exit status" in details
    failed = tmp_path / "dist" / "failed"
    assert error.hint == f"log kept in {failed} (never checked)"
    assert "+ exit 3" in (failed / "rk-broken-1.0-1.build.log").read_text()
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == ["failed"]
    assert _left(docker_client, "rk-broken") == []


def test_failing_install_exits_1(
    docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = _app(tmp_path / "app", "rk-broken-cli", "false")
    cmd = [sys.executable, "-m", "rpmkit", "build", str(app), "--profile", "offline"]
    proc = subprocess.run(
        [*cmd, "--dist", str(tmp_path / "out")], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 1, proc.stderr
    assert "error: rpmbuild failed in %install building rk-broken-cli-1.0-1: `false` failed" in (
        proc.stderr
    )
    assert "  | + false" in proc.stderr
    assert proc.stdout == ""
    assert _left(docker_client, "rk-broken-cli") == []


class _Interrupting(Reporter):
    """Presses Ctrl-C when rpmbuild reaches %install."""

    def detail(self, message: str) -> None:
        if message.startswith("Executing(%install)"):
            raise KeyboardInterrupt


def test_ctrl_c_removes_the_container(
    engine: Any, docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = _app(tmp_path / "app", "rk-interrupted")
    run_id = labels.new_run_id()
    with pytest.raises(KeyboardInterrupt):
        _build(engine, app, tmp_path / "dist", _Interrupting(-1), run=labels.Run(run_id, "tests"))
    assert (
        docker_client.containers.list(all=True, filters={"label": f"{labels.RUN}={run_id}"}) == []
    )
    # An interrupted build keeps nothing: no staging folder, no dist/failed/.
    assert list((tmp_path / "dist").iterdir()) == []


def test_same_inputs_give_the_same_payload(
    engine: Any, docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = _app(tmp_path / "app", "rk-repro")
    first = _build(engine, app, tmp_path / "one")
    time.sleep(1.1)  # a different second on the clock, and new file times
    os.utime(app / "hello.txt")
    second = _build(engine, app, tmp_path / "two")
    image = offline_images["builder"]
    one = _digests(docker_client, image, first.path)
    assert one == _digests(docker_client, image, second.path)
    assert len(one.split()[0]) == 64


@pytest.fixture(scope="module")
def hello_world(docker_client: Any, offline_images: dict[str, str], tmp_path_factory: Any) -> Path:
    """`rpmkit build examples/hello-world --profile offline` as a user runs it: its dist dir."""
    if not (HELLO / "rpmkit.toml").is_file():
        pytest.fail("examples/hello-world is missing")
    dist = tmp_path_factory.mktemp("hello-dist")
    cmd = [sys.executable, "-m", "rpmkit", "build", str(HELLO), "--profile", "offline"]
    proc = subprocess.run([*cmd, "--dist", str(dist)], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.split()
    assert [Path(p).parent for p in printed] == [dist] * 3
    return dist


def _hello_rpm(dist: Path) -> Path:
    (rpm,) = [p for p in dist.glob("hello-world-1.0.0-1*.rpm") if not p.name.endswith(".src.rpm")]
    return rpm


@pytest.mark.slow
def test_hello_world_package(
    docker_client: Any, offline_images: dict[str, str], hello_world: Path
) -> None:
    rpm = _hello_rpm(hello_world)
    assert (hello_world / "hello-world-1.0.0-1.src.rpm").is_file()
    assert (hello_world / "hello-world-1.0.0-1.build.log").is_file()
    image = offline_images["builder"]
    inside = f"/rpms/{rpm.name}"
    scripts = _rpm(docker_client, image, hello_world, "-qp", "--scripts", inside)
    assert "useradd -r -g hello-world" in scripts
    assert "systemctl" in scripts
    requires = _rpm(docker_client, image, hello_world, "-qp", "--requires", inside).splitlines()
    assert {"nginx", "python3", "shadow-utils"} <= {r.split()[0] for r in requires}
    files = _rpm(docker_client, image, hello_world, "-qpl", inside).split()
    for path in (
        "/usr/lib/systemd/system/hello-world.service",
        "/etc/nginx/conf.d/hello-world.conf",
        "/opt/hello-world/venv/bin/python",
        "/opt/hello-world/venv/bin/gunicorn",
        "/opt/hello-world/app/app.py",
    ):
        assert path in files
    log = (hello_world / "hello-world-1.0.0-1.build.log").read_text()
    assert " 0 errors," in log.splitlines()[-2], "rpmlint reported errors"


@pytest.mark.slow
def test_hello_world_venv_works_at_its_real_path(
    docker_client: Any, offline_images: dict[str, str], hello_world: Path, tmp_path: Path
) -> None:
    rpm = _hello_rpm(hello_world)
    root = tmp_path / "root"
    root.mkdir()
    docker_client.containers.run(
        offline_images["builder"],
        ["sh", "-c", f"cd /root-out && rpm2cpio /rpms/{rpm.name} | cpio -idm --quiet"],
        volumes={
            str(hello_world): {"bind": "/rpms", "mode": "ro"},
            str(root): {"bind": "/root-out", "mode": "rw"},
        },
        network_disabled=True,
        remove=True,
    )
    out = docker_client.containers.run(
        offline_images["runtime"],
        [
            "/opt/hello-world/venv/bin/python",
            "-c",
            "import flask, gunicorn, sys; print(sys.prefix, flask.__file__)",
        ],
        volumes={str(root / "opt/hello-world"): {"bind": "/opt/hello-world", "mode": "ro"}},
        network_disabled=True,
        remove=True,
    ).decode()
    prefix, flask_file = out.split()
    assert prefix == "/opt/hello-world/venv"
    assert flask_file.startswith("/opt/hello-world/venv/lib/python3.11/site-packages/flask/")


@pytest.mark.slow
def test_hello_world_rebuild_gives_the_same_payload(
    engine: Any,
    docker_client: Any,
    offline_images: dict[str, str],
    hello_world: Path,
    tmp_path: Path,
) -> None:
    loaded = config.load(HELLO)
    again = build.build(
        engine,
        loaded,
        spec.render(loaded),
        profiles.get("offline"),
        QUIET,
        build.BuildOptions(dist=tmp_path),
    )
    image = offline_images["builder"]
    first = _digests(docker_client, image, _hello_rpm(hello_world))
    assert first == _digests(docker_client, image, again.path)

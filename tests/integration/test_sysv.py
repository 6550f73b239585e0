"""SysV init scripts registered with chkconfig, checked on the offline profile.

The offline runtime has a chkconfig stand-in (images/offline/files/chkconfig)
over Amazon Linux's /etc/rc.d layout; systemd's SysV generator starts what is
registered. A SysV package must pass the same check a systemd one does, and
one whose %post forgets `chkconfig --add` must fail it at verify.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rpmkit.checks import Check
from rpmkit.report.text import Report
from rpmkit.verify import Expectations
from rpmkit.verify.health import Probe
from tests.integration.conftest import Start, check_paths, rpmkit_cli, sh
from tests.integration.test_check import APP

pytestmark = pytest.mark.docker

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"

# A Python server on 8000, started at boot by an init script it registers in %post.
SPEC = """\
Name: @NAME@
Version: @VERSION@
Release: 1
Summary: rpmkit SysV test service
License: MIT
BuildArch: noarch
Requires: python3
Requires(pre): shadow-utils
Requires(post): chkconfig
Requires(preun): chkconfig
Requires(preun): initscripts
%description
A service started by a SysV init script, registered with chkconfig.
%install
mkdir -p %{buildroot}/opt/@NAME@ %{buildroot}/etc/rc.d/init.d
cat > %{buildroot}/opt/@NAME@/app.py <<'END'
@APP@
END
cat > %{buildroot}/etc/rc.d/init.d/@NAME@ <<'END'
#!/bin/sh
# chkconfig: 345 85 15
# description: rpmkit SysV test service
# pidfile: /run/@NAME@.pid
### BEGIN INIT INFO
# Provides:          @NAME@
# Required-Start:    $network $remote_fs
# Required-Stop:     $network $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: rpmkit SysV test service
### END INIT INFO
PIDFILE=/run/@NAME@.pid
case "$1" in
    start)
        setsid runuser -u @NAME@ -- /usr/bin/python3 /opt/@NAME@/app.py \\
            >/dev/null 2>&1 </dev/null &
        echo $! >"$PIDFILE" ;;
    stop) pkill -P "$(cat "$PIDFILE")"; rm -f "$PIDFILE" ;;
    status) [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" ;;
esac
END
%pre
getent passwd @NAME@ >/dev/null || useradd -r -d /opt/@NAME@ -s /sbin/nologin @NAME@
%post
@POST@
%preun
if [ $1 -eq 0 ]; then
    /sbin/service @NAME@ stop >/dev/null 2>&1 || :
    /sbin/chkconfig --del @NAME@
fi
%files
/opt/@NAME@
%attr(0755,root,root) /etc/rc.d/init.d/@NAME@
"""

FAST = Probe(path="/health_check", port=8000, interval=0.1, timeout=1.0, deadline=6.0)
Build = Callable[[str], Path]


def sysv_spec(name: str, post: str | None = None, version: str = "1.0") -> str:
    values = {
        "NAME": name,
        "VERSION": version,
        # No nginx in front: the health check reaches the service itself.
        "APP": APP.strip().replace('"127.0.0.1"', '"0.0.0.0"'),
        "POST": f"/sbin/chkconfig --add {name}" if post is None else post,
    }
    text = SPEC
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def run_check(
    rpm: Path, name: str, offline_images: dict[str, str], engine: Any, **plan: Any
) -> Report:
    expect = Expectations(ports=(8000,), users=(name,), probe=FAST)
    return check_paths(engine, offline_images["runtime"], (rpm,), name, expect, **plan).report


def failed(report: Report) -> dict[str, Check]:
    return {c.name: c for c in report.checks if not (c.ok or c.warning)}


def test_sysv_package_passes_the_full_check(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    rpm = rpm_factory(sysv_spec("rk-sysv"))
    report = run_check(rpm, "rk-sysv", offline_images, engine, erase=True)
    assert report.ok, [c for c in report.checks if not c.ok]
    names = [c.name for c in report.checks]
    assert "init script rk-sysv on for runlevel 3" in names
    assert "init script rk-sysv started at boot" in names
    assert "port 8000 listening" in names
    assert "health check" in names
    assert "erase left nothing behind but %config(noreplace) files" in names


def test_post_without_chkconfig_add_fails_at_verify(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    rpm = rpm_factory(sysv_spec("rk-sysv-noadd", post="true"))
    report = run_check(rpm, "rk-sysv-noadd", offline_images, engine)
    assert report.failed_stage == "verify"
    problems = failed(report)
    registered = problems["init script rk-sysv-noadd on for runlevel 3"]
    assert "not registered with chkconfig" in registered.detail
    assert "`chkconfig --add rk-sysv-noadd`" in registered.detail
    assert "not referenced in any runlevel" in registered.evidence
    # Nothing starts it: that is certain at once, the health check is not awaited.
    health = next(c for c in report.checks if c.name == "health check")
    assert health.warning
    assert "when the check failed" in health.detail
    assert "init script rk-sysv-noadd started at boot" not in [c.name for c in report.checks]


def test_no_boot_tier_sees_the_missing_registration(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    rpm = rpm_factory(sysv_spec("rk-sysv-static", post="true"))
    report = run_check(rpm, "rk-sysv-static", offline_images, engine, boot=False)
    assert report.failed_stage == "verify"
    assert "init script rk-sysv-static on for runlevel 3" in failed(report)


def test_chkconfig_stand_in(offline_images: dict[str, str], start_container: Start) -> None:
    container = start_container(offline_images["runtime"], ["sleep", "300"])
    script = "#!/bin/sh\n# chkconfig: 345 85 15\n# description: x\ntrue\n"
    code, out = sh(
        container,
        f"printf '{script}' > /etc/rc.d/init.d/rk-cc && chmod 755 /etc/rc.d/init.d/rk-cc && "
        "chkconfig --list rk-cc; echo rc=$?",
    )
    assert "not referenced in any runlevel (run 'chkconfig --add rk-cc')" in out
    # stdout and stderr arrive interleaved in either order.
    assert "rc=1" in out.splitlines()
    code, out = sh(container, "chkconfig --add rk-cc && chkconfig --list rk-cc")
    assert code == 0, out
    assert re.split(r"\s+", out.strip()) == [
        "rk-cc", "0:off", "1:off", "2:off", "3:on", "4:on", "5:on", "6:off",
    ]  # fmt: skip
    # Through /etc/rc.d, the links are where Debian's SysV generator reads them.
    code, out = sh(container, "readlink /etc/rc3.d/S85rk-cc /etc/rc0.d/K15rk-cc")
    assert out.split() == ["../init.d/rk-cc", "../init.d/rk-cc"]
    code, out = sh(container, "chkconfig --level 3 rk-cc off && chkconfig --list rk-cc")
    assert "\t3:off" in out
    assert "\t4:on" in out
    code, _ = sh(container, "chkconfig rk-cc")  # on in the current runlevel (3)?
    assert code == 1
    code, out = sh(container, "chkconfig rk-cc reset && chkconfig rk-cc && chkconfig --list")
    assert code == 0, out
    assert "rk-cc" in out
    code, out = sh(container, "chkconfig --del rk-cc && ls /etc/rc*.d/ | grep -c rk-cc")
    assert out.strip() == "0"
    # A native unit is forwarded to systemctl, as on Amazon Linux.
    code, out = sh(container, "chkconfig nginx on && systemctl is-enabled nginx.service")
    assert code == 0, out
    assert "Forwarding request to 'systemctl enable nginx.service'" in out


def test_system_provides_has_the_amazon_linux_sysv_names(
    offline_images: dict[str, str], start_container: Start
) -> None:
    container = start_container(offline_images["runtime"], ["sleep", "300"])
    code, out = sh(
        container,
        "rpm -q --whatprovides chkconfig initscripts /sbin/chkconfig /usr/sbin/service",
    )
    assert code == 0, out
    assert out.split() == ["rpmkit-system-provides-1-1.noarch"] * 4


@pytest.fixture(scope="module")
def hello_sysv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/hello-world with `init = "sysv"`: its service as an init script."""
    app = tmp_path_factory.mktemp("hello-sysv") / "hello-world"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    config = app / "rpmkit.toml"
    config.write_text(
        config.read_text().replace(
            'template = "python-web"\n', 'template = "python-web"\ninit = "sysv"\n'
        )
    )
    assert 'init = "sysv"' in config.read_text()
    return app


@pytest.mark.slow
def test_sysv_hello_world_passes_the_full_check(
    hello_sysv: Path, offline_images: dict[str, str], tmp_path: Path
) -> None:
    proc = rpmkit_cli("run", str(hello_sysv), "--profile", "offline", "--dist", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in [
        "PASS  verify    init script hello-world on for runlevel 3",
        "PASS  verify    init script hello-world started at boot",
        "PASS  verify    port 8000 listening",
        "PASS  verify    port 80 listening",
        "PASS: hello-world-1.0.0-1.",
    ]:
        assert line in proc.stdout, proc.stdout
    assert "unit hello-world.service" not in proc.stdout  # no systemd unit of its own
    (rpm,) = [p for p in tmp_path.glob("hello-world-1.0.0-1.*.rpm") if ".src." not in p.name]
    assert (tmp_path / f"{rpm.name}.receipt.json").is_file()


@pytest.mark.slow
def test_sysv_hello_world_upgrades_and_erases(
    hello_sysv: Path, offline_images: dict[str, str], tmp_path: Path
) -> None:
    for version in ("0.9.0", "1.0.0"):
        proc = rpmkit_cli(
            "-q", "build", str(hello_sysv), "--profile", "offline",
            "--dist", str(tmp_path), "--version", version,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
    (old,) = [p for p in tmp_path.glob("hello-world-0.9.0-1.*.rpm") if ".src." not in p.name]
    proc = rpmkit_cli(
        "check", str(hello_sysv), "--profile", "offline", "--dist", str(tmp_path),
        "--upgrade-from", str(old), "--erase",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in [
        "PASS  upgrade   upgrade hello-world-0.9.0-1.",
        "PASS  verify    init script hello-world started at boot",
        "PASS  erase     erase hello-world, every scriptlet succeeded",
        "PASS  erase     erase left nothing behind",
    ]:
        assert line in proc.stdout, proc.stdout


@pytest.mark.parametrize("template", ["python-web", "python-worker"])
def test_rpmspec_accepts_the_sysv_spec(
    docker_client: Any, offline_images: dict[str, str], tmp_path: Path, template: str
) -> None:
    from rpmkit import config
    from rpmkit.build import spec
    from tests.integration.test_spec_render import rpmspec_parse
    from tests.unit.test_spec_sysv import sysv_app

    rendered = spec.render(config.load(sysv_app(tmp_path / template, template)))
    code, out, err = rpmspec_parse(docker_client, offline_images["builder"], rendered)
    assert code == 0, err
    assert "warning" not in err.lower(), err
    post = out.split("\n%post\n", 1)[1].split("\n%", 1)[0]
    for name in rendered.init_scripts:
        assert f"/sbin/chkconfig --add {name}" in post
        assert f"/etc/rc.d/init.d/{name} <<'INIT_EOF'" in out
        assert f"%attr(0755,root,root) /etc/rc.d/init.d/{name}" in out

"""The install check against deliberately broken packages: each fails at the right stage."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rpmkit.checks import Check
from rpmkit.report.text import Report
from rpmkit.verify import Expectations
from rpmkit.verify.health import Probe
from tests.integration.conftest import check_paths, rpmkit_cli
from tests.reports import ids, read_junit, read_report

pytestmark = pytest.mark.docker

# A tiny web service in the shape of the real thing: a Python server on 8000
# under systemd, nginx on 80 in front, enabled at boot through a preset.
APP = r"""
import http.server, os, sys, time
MODE = os.environ.get("MODE", "ok")
PORT = int(os.environ.get("PORT", "8000"))
if MODE == "crash":
    sys.exit("refusing to start: MODE=crash")
if MODE == "hog":  # a leak: 64 MiB more every 50 ms, kept
    import threading
    def leak(kept=[]):
        while True:
            kept.append(bytearray(64 << 20))
            time.sleep(0.05)
    threading.Thread(target=leak, daemon=True).start()
if MODE == "forks":  # a process per request gone wrong: forks until refused
    import subprocess
    children = []
    for _ in range(5000):
        try:
            children.append(subprocess.Popen(["sleep", "600"]))
        except OSError as exc:
            sys.exit(f"fork refused after {len(children)} processes: {exc}")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if MODE == "slow":
            time.sleep(3)
        code = 500 if MODE == "error" else 200
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"broken on purpose" if code == 500 else b"ok")
http.server.HTTPServer(("127.0.0.1", PORT), H).serve_forever()
"""

SPEC = """\
Name: @NAME@
Version: @VERSION@
Release: 1
Summary: rpmkit test web service
License: MIT
BuildArch: noarch
Requires: python3
Requires: nginx
Requires(pre): shadow-utils
@REQUIRES@
%description
A web service that the check tests break in one way at a time.
%install
mkdir -p %{buildroot}/opt/@NAME@ %{buildroot}/usr/lib/systemd/system \\
    %{buildroot}/usr/lib/systemd/system-preset %{buildroot}/etc/nginx/conf.d
cat > %{buildroot}/opt/@NAME@/app.py <<'END'
@APP@
END
cat > %{buildroot}/usr/lib/systemd/system/@NAME@.service <<'END'
[Unit]
Description=@NAME@
[Service]
User=@NAME@
Environment=MODE=@MODE@ PORT=@PORT@
ExecStart=/usr/bin/python3 /opt/@NAME@/app.py
@UNIT_EXTRA@
[Install]
WantedBy=multi-user.target
END
cat > %{buildroot}/usr/lib/systemd/system-preset/50-@NAME@.preset <<'END'
@PRESET@
END
cat > %{buildroot}/etc/nginx/conf.d/@NAME@.conf <<'END'
server { listen 80 default_server; location / { proxy_pass http://127.0.0.1:@PROXY_PORT@; } }
END
@INSTALL_EXTRA@
%pre
getent passwd @NAME@ >/dev/null || useradd -r -d /opt/@NAME@ -s /sbin/nologin @NAME@
%post
@POST@
%postun
@POSTUN@
%files
/opt/@NAME@
/usr/lib/systemd/system/@NAME@.service
/usr/lib/systemd/system-preset/50-@NAME@.preset
%config(noreplace) /etc/nginx/conf.d/@NAME@.conf
@FILES_EXTRA@
"""


def web_spec(
    name: str = "rk-web",
    *,
    mode: str = "ok",
    port: int = 8000,
    proxy_port: int = 8000,
    post: str | None = None,
    preset: str | None = None,
    requires: str = "",
    unit_extra: str = "",
    version: str = "1.0",
    postun: str = "true",
    install_extra: str = "",
    files_extra: str = "",
) -> str:
    """A spec for the tiny web service, with knobs to break it in one way at a time."""
    values = {
        "NAME": name,
        "VERSION": version,
        "MODE": mode,
        "PORT": str(port),
        "PROXY_PORT": str(proxy_port),
        "REQUIRES": requires,
        "UNIT_EXTRA": unit_extra,
        "POSTUN": postun,
        "INSTALL_EXTRA": install_extra,
        "FILES_EXTRA": files_extra,
        "APP": APP.strip(),
        "PRESET": preset if preset is not None else f"enable {name}.service\nenable nginx.service",
        "POST": post
        if post is not None
        else f"systemctl --no-reload preset {name}.service nginx.service >/dev/null 2>&1 || :",
    }
    text = SPEC
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


FAST = Probe(path="/health_check", port=80, interval=0.1, timeout=1.0, deadline=6.0)
EXPECT = Expectations(ports=(8000, 80), users=("rk-web",), probe=FAST)
Build = Callable[[str], Path]


def run_check(
    rpm: Path, offline_images: dict[str, str], engine: Any, expect: Expectations = EXPECT
) -> Report:
    return check_paths(engine, offline_images["runtime"], (rpm,), "rk-web", expect).report


def failed(report: Report) -> dict[str, Check]:
    return {c.name: c for c in report.checks if not (c.ok or c.warning)}


def test_good_package_passes(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    report = run_check(rpm_factory(web_spec()), offline_images, engine)
    assert report.ok, report.checks
    names = [c.name for c in report.checks]
    assert "unit rk-web.service active" in names
    assert "user rk-web exists" in names
    assert "port 8000 listening" in names
    assert "health check" in names
    assert set(report.timings) >= {"install", "boot", "verify", "health", "total"}


def test_post_failing_is_a_failed_install(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    spec = web_spec(post="echo 'setting up the frobnicator'; exit 7")
    report = run_check(rpm_factory(spec), offline_images, engine)
    assert report.failed_stage == "install"
    (check,) = failed(report).values()
    assert "%post(rk-web-1.0-1.noarch) failed: exit status 7" in check.detail
    assert "setting up the frobnicator" in check.evidence


def test_missing_dependency_is_a_failed_install(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    spec = web_spec(requires="Requires: libfrobnicate >= 2")
    report = run_check(rpm_factory(spec), offline_images, engine)
    assert report.failed_stage == "install"
    (check,) = failed(report).values()
    assert "libfrobnicate" in check.detail


def test_service_crashing_at_start_fails_verify_with_its_journal(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    report = run_check(rpm_factory(web_spec(mode="crash")), offline_images, engine)
    assert report.failed_stage == "verify"
    unit = failed(report)["unit rk-web.service active"]
    assert "refusing to start: MODE=crash" in unit.evidence
    assert "systemctl status rk-web.service" in unit.evidence


def test_service_not_enabled_at_boot_fails_at_once(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # Nothing starts it on a new instance: a failure, known before any health deadline.
    spec = web_spec(preset="enable nginx.service")
    report = run_check(rpm_factory(spec), offline_images, engine)
    assert report.failed_stage == "verify"
    unit = failed(report)["unit rk-web.service enabled at boot"]
    assert "nothing starts it on a new instance" in unit.detail
    assert "not_at_boot" in unit.detail  # how to declare it, if it is on purpose
    assert report.timings["total"] < 10, report.timings


def test_service_declared_not_at_boot_passes(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # A second service, started by hand: declared, so its being off is no fault.
    unit = "/usr/lib/systemd/system/rk-decl-reindex.service"
    spec = web_spec(
        name="rk-decl",
        install_extra=f"printf '[Service]\\nType=oneshot\\nExecStart=/bin/true\\n"
        f"[Install]\\nWantedBy=multi-user.target\\n' > %{{buildroot}}{unit}",
        files_extra=unit,
    )
    rpm = rpm_factory(spec)
    expect = Expectations(ports=(8000, 80), users=("rk-decl",), probe=FAST)
    undeclared = check_paths(engine, offline_images["runtime"], (rpm,), "rk-decl", expect).report
    assert "unit rk-decl-reindex.service enabled at boot" in failed(undeclared)
    declared = dataclasses.replace(expect, not_at_boot=("rk-decl-reindex",))
    report = check_paths(engine, offline_images["runtime"], (rpm,), "rk-decl", declared).report
    assert report.ok, failed(report)
    line = next(
        c for c in report.checks if c.name == "unit rk-decl-reindex.service enabled at boot"
    )
    assert "declared" in line.detail


def test_backend_on_another_port_than_nginx_proxies(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    spec = web_spec(port=8001, proxy_port=8000)
    report = run_check(rpm_factory(spec), offline_images, engine)
    assert report.failed_stage == "verify"
    problems = failed(report)
    assert "port 8000 listening" in problems
    assert "answered 502" in problems["health check"].detail
    assert "connect() failed" in problems["health check"].evidence  # nginx's error log


def test_health_endpoint_returning_500(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    report = run_check(rpm_factory(web_spec(mode="error")), offline_images, engine)
    assert report.failed_stage == "health"
    health = failed(report)["health check"]
    assert "answered 500" in health.detail
    assert "broken on purpose" in health.evidence


def test_health_endpoint_slower_than_the_timeout(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    probe = Probe(path="/health_check", port=80, interval=0.1, timeout=1.0, deadline=3.0)
    expect = Expectations(ports=(8000, 80), users=("rk-web",), probe=probe)
    report = run_check(rpm_factory(web_spec(mode="slow")), offline_images, engine, expect)
    assert report.failed_stage == "health"
    health = failed(report)["health check"]
    assert "the last request timed out" in health.detail


def test_unit_file_with_a_syntax_error(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    spec = web_spec(unit_extra="Restart=sometimes-maybe\nExecStart=")
    report = run_check(rpm_factory(spec), offline_images, engine)
    assert report.failed_stage == "verify"
    unit = failed(report)["unit rk-web.service active"]
    assert "rk-web.service" in unit.evidence


def test_cli_pass_writes_receipt_json_and_junit(
    rpm_factory: Build, offline_images: dict[str, str], tmp_path: Path
) -> None:
    rpm = rpm_factory(web_spec(name="rk-cli"))
    copy = tmp_path / rpm.name
    copy.write_bytes(rpm.read_bytes())
    proc = rpmkit_cli(
        "check", str(copy), "--profile", "offline",
        "--json", str(tmp_path / "r.json"), "--junit-xml", str(tmp_path / "r.xml"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS: rk-cli-1.0-1.noarch on offline" in proc.stdout
    receipt = json.loads((tmp_path / f"{rpm.name}.receipt.json").read_text())
    assert receipt["format"] == "rpmkit.receipt/2"
    assert receipt["target"]["profile"] == "offline"
    assert receipt["check"]["tier"] == "booted"
    assert receipt["rpm"]["sha256"] == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert receipt["rpm"]["nevra"]["name"] == "rk-cli"
    data = read_report(tmp_path / "r.json")
    assert data["verdict"] == "pass"
    [app] = data["apps"]
    assert app["name"] == "rk-cli"
    suites = read_junit(tmp_path / "r.xml")
    assert [(c["stage"], c["id"]) for c in app["checks"]] == ids(suites["rk-cli"])
    assert {result for *_, result in suites["rk-cli"]} == {"pass"}


def test_cli_failure_exits_1_and_writes_no_receipt(
    rpm_factory: Build, offline_images: dict[str, str], tmp_path: Path
) -> None:
    rpm = rpm_factory(web_spec(name="rk-bad", mode="error"))
    copy = tmp_path / rpm.name
    copy.write_bytes(rpm.read_bytes())
    proc = rpmkit_cli(
        "check", str(copy), "--profile", "offline", "--junit-xml", str(tmp_path / "x")
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL at health" in proc.stdout
    assert not (tmp_path / f"{rpm.name}.receipt.json").exists()
    suites = read_junit(tmp_path / "x")
    assert [name for _, name, result in suites["rk-bad"] if result == "fail"] == ["health.http"]


def test_upgrade_keeps_user_and_data(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    old = rpm_factory(web_spec(name="rk-up", version="1.0"))
    new = rpm_factory(web_spec(name="rk-up", version="1.1"))
    expect = Expectations(ports=(8000, 80), users=("rk-up",), probe=FAST)
    report = check_paths(
        engine, offline_images["runtime"], (new,), "rk-up", expect, (old,), erase=True
    ).report
    assert report.ok, [c for c in report.checks if not c.ok]
    names = [c.name for c in report.checks]
    assert "upgrade rk-up-1.0-1.noarch -> rk-up-1.1-1.noarch, every scriptlet succeeded" in names
    assert "upgrade kept the data in /opt/rk-up" in names
    assert "package rk-up 1.1-1 installed" in names
    assert "erase left nothing behind but %config(noreplace) files" in names
    assert report.subject == "rk-up-1.1-1.noarch"


def test_upgrade_whose_postun_deletes_the_user_fails(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # The old package's %postun runs on upgrade too ($1 = 1): unguarded cleanup is a bug.
    old = rpm_factory(
        web_spec(name="rk-bad-up", version="1.0", postun="userdel rk-bad-up; rm -rf /opt/rk-bad-up")
    )
    new = rpm_factory(web_spec(name="rk-bad-up", version="1.1"))
    expect = Expectations(ports=(8000, 80), users=("rk-bad-up",), probe=FAST)
    report = check_paths(
        engine, offline_images["runtime"], (new,), "rk-bad-up", expect, (old,)
    ).report
    assert not report.ok
    problems = failed(report)
    assert "user rk-bad-up exists" in problems
    assert "upgrade kept the data in /opt/rk-bad-up" in problems


def test_two_checks_of_the_same_rpm_at_once_both_pass(
    rpm_factory: Build, offline_images: dict[str, str]
) -> None:
    rpm = rpm_factory(web_spec(name="rk-twice"))
    cmd = [sys.executable, "-m", "rpmkit", "-q", "check", str(rpm), "--profile", "offline"]
    env = {**os.environ, "NO_COLOR": "1"}
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out
        assert "PASS: rk-twice-1.0-1.noarch on offline" in out


def test_ctrl_c_during_boot_leaves_nothing_behind(
    rpm_factory: Build, offline_images: dict[str, str], docker_client: Any
) -> None:
    import signal
    import time

    # A service that takes its time, so the interrupt lands while the instance boots.
    rpm = rpm_factory(web_spec(name="rk-sigint", unit_extra="ExecStartPre=/bin/sleep 20"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "rpmkit", "check", str(rpm), "--profile", "offline"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    selector = {"label": "rpmkit.app=rk-sigint"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        running = docker_client.containers.list(filters=selector)
        if running:
            code, out = running[0].exec_run(["systemctl", "is-system-running"])
            if b"starting" in out or b"running" in out:
                break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the instance never started booting")
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert "interrupted" in out
    assert docker_client.containers.list(all=True, filters=selector) == []


def test_a_service_that_outgrows_the_instance_memory_is_named_oom_killed(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    from rpmkit.install.stage import Limits

    rpm = rpm_factory(web_spec(name="rk-hog", mode="hog", unit_extra="Restart=no"))
    expect = Expectations(ports=(8000, 80), users=("rk-hog",), probe=FAST, settle=4.0)
    report = check_paths(
        engine, offline_images["runtime"], (rpm,), "rk-hog", expect, limits=Limits(256, 4096)
    ).report
    assert not report.ok
    said = " ".join(f"{c.name}: {c.detail}" for c in report.checks if not (c.ok or c.warning))
    assert "OOM" in said, said


def test_a_crash_after_writing_a_big_file_is_not_blamed_on_the_oom_killer(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    """Page cache counts in the cgroup's peak: 400 MB written under a 256 MiB limit reach it
    without any process killed. The verdict names the crash, not an OOM kill."""
    from rpmkit.install.stage import Limits

    write = "ExecStartPre=/bin/dd if=/dev/zero of=/var/tmp/rk-big bs=1M count=400 status=none"
    rpm = rpm_factory(web_spec(name="rk-cache", mode="crash", unit_extra=f"{write}\nRestart=no"))
    expect = Expectations(ports=(8000, 80), users=("rk-cache",), probe=FAST)
    report = check_paths(
        engine, offline_images["runtime"], (rpm,), "rk-cache", expect, limits=Limits(256, 4096)
    ).report
    assert not report.ok
    failed_ids = [c.id for c in report.checks if not (c.ok or c.warning)]
    assert "verify.memory-limit" not in failed_ids, failed_ids
    assert "verify.unit-active:rk-cache.service" in failed_ids, failed_ids


def test_a_service_that_forks_without_end_hits_the_pid_limit(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    from rpmkit.install.stage import Limits

    rpm = rpm_factory(web_spec(name="rk-forks", mode="forks", unit_extra="Restart=no"))
    expect = Expectations(ports=(8000, 80), users=("rk-forks",), probe=FAST)
    report = check_paths(
        engine, offline_images["runtime"], (rpm,), "rk-forks", expect, limits=Limits(2048, 512)
    ).report
    assert not report.ok
    evidence = "\n".join(c.evidence for c in report.checks if not (c.ok or c.warning))
    assert "fork refused after" in evidence, evidence


POST_DAEMON = """\
Name: rk-postdaemon
Version: 1
Release: 1
Summary: starts its server from %post, not from its unit
License: MIT
BuildArch: noarch
%description
Its unit does nothing; %post starts the server in the background.
%install
mkdir -p %{buildroot}/usr/lib/systemd/system %{buildroot}/srv/rk-postdaemon
echo ok > %{buildroot}/srv/rk-postdaemon/health_check
cat > %{buildroot}/usr/lib/systemd/system/rk-postdaemon.service <<'END'
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
[Install]
WantedBy=multi-user.target
END
%post
systemctl enable rk-postdaemon.service >/dev/null 2>&1
setsid python3 -m http.server 80 --directory /srv/rk-postdaemon </dev/null >/dev/null 2>&1 &
%files
/srv/rk-postdaemon
/usr/lib/systemd/system/rk-postdaemon.service
"""


def test_a_server_a_scriptlet_started_does_not_survive_into_the_boot(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # A baked image holds no processes: on the AMI nothing would serve port 80.
    expect = Expectations(probe=dataclasses.replace(FAST, deadline=4.0))
    report = run_check(rpm_factory(POST_DAEMON), offline_images, engine, expect)
    assert not report.ok
    assert "health" in {c.stage for c in report.checks if not (c.ok or c.warning)}


def test_a_booted_check_runs_two_execs_in_its_instance(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rpm -U` on an exec of its own (its exit status from the engine), then one shell for the
    hand-over to systemd and every query after it (engine/session.py): not an exec each."""
    rpm = rpm_factory(web_spec())
    api = engine._client.api
    create = api.exec_create
    created: list[str] = []

    def counted(container: str, *args: Any, **kwargs: Any) -> Any:
        created.append(container)
        return create(container, *args, **kwargs)

    monkeypatch.setattr(api, "exec_create", counted)
    report = run_check(rpm, offline_images, engine)
    assert report.ok, report.checks
    assert len(report.checks) >= 10
    per_container = {c: created.count(c) for c in created}
    assert max(per_container.values()) == 2, per_container

"""The unit kinds real services use: timers, sockets, forking and notify services, LSB scripts.

Each package is one small input with its right verdict; the correct variants pass.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.kinds_helpers import (
    NO_HEALTH,
    SERVER,
    Build,
    add_user,
    check,
    failures,
    server_unit,
    units_spec,
    web,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TICK_SERVICE = """
[Unit]
Description=nightly job
[Service]
Type=oneshot
ExecStart=/bin/true
"""
TICK_TIMER = """
[Unit]
Description=nightly job, every night
[Timer]
OnCalendar=*-*-* 03:00:00
Persistent=false
[Install]
WantedBy=timers.target
"""


def test_enabled_timer_driving_a_static_oneshot_passes(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    spec = units_spec("rk-tick", {"rk-tick.service": TICK_SERVICE, "rk-tick.timer": TICK_TIMER},
                      enable=("rk-tick.timer",))  # fmt: skip
    report = check(engine, offline_images, rpm_factory(spec), NO_HEALTH)
    assert report.ok, failures(report)
    lines = {c.name: c for c in report.checks}
    assert "started by rk-tick.timer" in lines["unit rk-tick.service enabled at boot"].detail
    assert "next elapse" in lines["unit rk-tick.service started by rk-tick.timer"].detail
    assert lines["unit rk-tick.timer active"].ok


def test_timer_never_enabled_fails_naming_the_timer(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    spec = units_spec("rk-tock", {"rk-tock.service": TICK_SERVICE, "rk-tock.timer": TICK_TIMER})
    report = check(engine, offline_images, rpm_factory(spec), NO_HEALTH)
    bad = failures(report)
    assert "rk-tock.service never runs" in bad["unit rk-tock.timer enabled at boot"].detail
    assert "started only by rk-tock.timer" in bad["unit rk-tock.service enabled at boot"].detail
    assert report.timings["total"] < NO_HEALTH.deadline, report.timings  # not the deadline


ECHO_SOCKET = """
[Unit]
Description=echo socket
[Socket]
ListenStream=7070
[Install]
WantedBy=sockets.target
"""
ECHO_SERVICE = """
[Unit]
Description=echo service, started by its socket
[Service]
ExecStart=/usr/bin/python3 /opt/@NAME@/echo.py
"""
ECHO = """
import socket
listener = socket.socket(fileno=3)  # passed by systemd (sd_listen_fds)
while True:
    conn, _ = listener.accept()
    conn.sendall(b"hello\\n")
    conn.close()
"""


def _echo(name: str, enable: tuple[str, ...], program: str = ECHO) -> str:
    return units_spec(
        name,
        {f"{name}.socket": ECHO_SOCKET, f"{name}.service": ECHO_SERVICE.replace("@NAME@", name)},
        enable=enable,
        files={f"/opt/{name}/echo.py": program},
    )


def test_socket_activated_service_passes_when_its_socket_accepts(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    spec = _echo("rk-echo", enable=("rk-echo.socket",))
    report = check(engine, offline_images, rpm_factory(spec), NO_HEALTH)
    assert report.ok, failures(report)
    names = [c.name for c in report.checks]
    assert "socket rk-echo.socket accepts connections on [::]:7070" in names
    assert "unit rk-echo.service started by rk-echo.socket" in names


def _crashed(service: str, detail: str) -> bool:
    # systemd failed it, or (the connection still queued) started it again at once.
    return any(f"{service} {why}" in detail for why in CRASHED)


CRASHED = ("failed when activated", "ended and was activated again")


def test_socket_activated_service_that_crashes_when_activated_fails(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    spec = _echo("rk-echo-bad", enable=("rk-echo-bad.socket",), program="raise SystemExit(3)")
    report = check(engine, offline_images, rpm_factory(spec), NO_HEALTH)
    bad = failures(report)
    assert "socket rk-echo-bad.socket accepts connections on [::]:7070" in bad, {
        k: v.detail for k, v in bad.items()
    }
    accept = bad["socket rk-echo-bad.socket accepts connections on [::]:7070"]
    assert _crashed("rk-echo-bad.service", accept.detail)


def test_socket_activated_service_that_crashes_a_moment_later_fails(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # Slower to fail than a fixed pause after the connection (as on a loaded machine).
    program = "import time\ntime.sleep(0.4)\nraise SystemExit(3)\n"
    spec = _echo("rk-echo-slow", enable=("rk-echo-slow.socket",), program=program)
    report = check(engine, offline_images, rpm_factory(spec), NO_HEALTH)
    bad = failures(report)
    name = "socket rk-echo-slow.socket accepts connections on [::]:7070"
    assert name in bad, "\n".join(f"{c.name} {c.ok} {c.detail}" for c in report.checks)
    assert _crashed("rk-echo-slow.service", bad[name].detail)


def test_socket_never_enabled_fails_at_once_naming_the_socket(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    spec = _echo("rk-echo-off", enable=())
    report = check(engine, offline_images, rpm_factory(spec), NO_HEALTH)
    bad = failures(report)
    assert "rk-echo-off.service never runs" in bad["unit rk-echo-off.socket enabled at boot"].detail
    assert report.timings["total"] < NO_HEALTH.deadline, report.timings


def test_forking_service_with_a_wrong_pidfile_fails_with_systemd_s_own_message(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    unit = """
[Unit]
Description=daemon that forks
[Service]
Type=forking
PIDFile=/run/rk-fork/wrong.pid
RuntimeDirectory=rk-fork
ExecStart=/bin/sh -c 'sleep 1000 & echo $! > /run/rk-fork/right.pid'
[Install]
WantedBy=multi-user.target
"""
    spec = units_spec("rk-fork", {"rk-fork.service": unit}, enable=("rk-fork.service",))
    report = check(engine, offline_images, rpm_factory(spec), NO_HEALTH)
    assert report.failed_stage == "boot"
    boot = failures(report)["systemd reached running"]
    assert "systemd still runs the start job of rk-fork.service" in boot.detail
    assert "PIDFile= names a file the service never writes" in boot.detail
    # The unit's own messages come first in the evidence of its line.
    unit_line = failures(report)["unit rk-fork.service active"]
    first = unit_line.evidence.splitlines()[1:3]
    assert any("Can't open PID file /run/rk-fork/wrong.pid" in line for line in first), first


def test_environment_value_cut_at_a_space_fails_with_systemd_s_own_message(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    unit = """
[Unit]
Description=needs a value with a space
[Service]
Environment=GREETING=hello world
ExecStart=/bin/sh -c 'test "$$GREETING" = "hello world" || \
    { echo "GREETING is $$GREETING"; exit 1; }; exec sleep 1000'
[Install]
WantedBy=multi-user.target
"""
    spec = units_spec("rk-env", {"rk-env.service": unit}, enable=("rk-env.service",))
    report = check(engine, offline_images, rpm_factory(spec), NO_HEALTH)
    line = failures(report)["unit rk-env.service active"]
    assert "GREETING is hello" in line.evidence
    assert "Invalid environment assignment, ignoring: world" in line.evidence


def test_notify_service_that_never_notifies_fails_at_boot_naming_the_job(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rk-notify"
    unit = server_unit(name, extra="Type=notify")
    spec = units_spec(name, {f"{name}.service": unit}, enable=(f"{name}.service",),
                      files={f"/opt/{name}/server.py": SERVER}, pre=add_user(name))  # fmt: skip
    report = check(engine, offline_images, rpm_factory(spec), web(deadline=6.0))
    assert report.failed_stage == "boot"
    boot = failures(report)["systemd reached running"]
    assert (
        "boot stuck after 6s: systemd still runs the start job of rk-notify.service" in boot.detail
    )
    assert "never sent READY=1" in boot.detail
    assert "rk-notify.service" in boot.evidence  # systemctl list-jobs


LSB_SCRIPT = """#!/bin/sh
### BEGIN INIT INFO
# Provides:          @NAME@
# Required-Start:    $network
# Required-Stop:     $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: an LSB-only init script (no chkconfig line)
### END INIT INFO
case "$1" in
    start) setsid sleep 1000 >/dev/null 2>&1 </dev/null & echo $! > /run/@NAME@.pid ;;
    stop) kill "$(cat /run/@NAME@.pid)" 2>/dev/null; rm -f /run/@NAME@.pid ;;
    status) [ -s /run/@NAME@.pid ] && kill -0 "$(cat /run/@NAME@.pid)" ;;
esac
"""


def test_init_script_with_only_an_lsb_header_registers_and_starts(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rk-lsb"
    spec = units_spec(
        name,
        {},
        files={f"/etc/rc.d/init.d/{name}": LSB_SCRIPT.replace("@NAME@", name)},
        post=f"/sbin/chkconfig --add {name}",
    ).replace(f"/etc/rc.d/init.d/{name}\n", f"%attr(0755,root,root) /etc/rc.d/init.d/{name}\n")
    spec = spec.replace("Requires: python3\n", "Requires: python3\nRequires(post): chkconfig\n")
    report = check(engine, offline_images, rpm_factory(spec), NO_HEALTH)
    assert report.ok, failures(report)
    names = [c.name for c in report.checks]
    assert f"init script {name} on for runlevel 3" in names
    assert f"init script {name} started at boot" in names


GRAPHICAL_SERVICE = """
[Unit]
Description=a service wanted by the desktop only
[Service]
ExecStart=/bin/sleep infinity
[Install]
WantedBy=graphical.target
"""


def test_a_service_wanted_only_by_the_graphical_target_fails(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # A server AMI boots multi-user.target: enabled there, it never starts.
    spec = units_spec(
        "rk-desk", {"rk-desk.service": GRAPHICAL_SERVICE}, enable=("rk-desk.service",)
    )
    report = check(engine, offline_images, rpm_factory(spec), NO_HEALTH)
    assert not report.ok
    bad = failures(report)
    assert any("rk-desk.service" in name for name in bad), list(bad)

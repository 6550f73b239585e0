"""Each kind of wrong verdict, judged right: small inputs of our own, each with its verdict.

State lost on upgrade, /run a baked image would not have, crash loops, a boot the
package degraded, rpm's warnings as the cause, the old package's uninstall
scriptlets, a health endpoint answering 500, ports moved or on loopback only,
and the balancer's own request headers.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from rpmkit.verify import Expectations, baseline
from tests.integration.conftest import rpmkit_cli
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
from tests.integration.test_check import FAST, web_spec

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _server(
    name: str,
    environment: str = "",
    extra: str = "",
    version: str = "1.0",
    post: str | None = None,
    postun: str = "",
    preun: str = "",
    files: dict[str, str] | None = None,
) -> str:
    return units_spec(
        name, {f"{name}.service": server_unit(name, environment, extra)},
        enable=(f"{name}.service",), files={f"/opt/{name}/server.py": SERVER, **(files or {})},
        pre=add_user(name), version=version, post=post, postun=postun, preun=preun,
    )  # fmt: skip


# -- 1. state lost on upgrade ------------------------------------------------------------------

STATEFUL = (
    "StateDirectory=@NAME@\n"
    "ExecStartPre=/bin/sh -c 'test -e /var/lib/@NAME@/instance-id || "
    "od -An -N16 -tx1 /dev/urandom > /var/lib/@NAME@/instance-id'"
)


def _stateful(name: str, version: str, postun: str) -> str:
    return _server(name, extra=STATEFUL.replace("@NAME@", name), version=version, postun=postun)


def test_upgrade_whose_old_postun_wipes_the_state_directory_fails(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rk-wipe"
    old = rpm_factory(_stateful(name, "1.0", f"rm -rf /var/lib/{name}"))
    new = rpm_factory(_stateful(name, "1.1", f"rm -rf /var/lib/{name}"))
    report = check(engine, offline_images, new, web(), upgrade_from=(old,))
    assert report.failed_stage == "upgrade"
    lost = failures(report)["upgrade kept what the old version wrote (content digests)"]
    # The new version made a new id of the same size: replaced, seen by its digest.
    assert f"/var/lib/{name}/instance-id" in lost.detail
    assert f"`%postun: rm -rf /var/lib/{name}`" in lost.detail
    assert "belongs outside the instance" in lost.detail


def test_upgrade_whose_postun_checks_its_argument_keeps_the_state(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rk-keep-state"
    guarded = f'if [ "$1" -eq 0 ]; then rm -rf /var/lib/{name}; fi'
    old = rpm_factory(_stateful(name, "1.0", guarded))
    new = rpm_factory(_stateful(name, "1.1", guarded))
    report = check(engine, offline_images, new, web(), upgrade_from=(old,))
    assert report.ok, failures(report)
    kept = next(c for c in report.checks if c.name.startswith("upgrade kept what the old"))
    assert "unchanged" in kept.detail


def test_upgrade_whose_old_preun_and_postun_lack_the_guard_names_them(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rk-unguarded"
    preun = f"systemctl stop {name}.service\nsystemctl disable {name}.service"
    postun = f"getent passwd {name} >/dev/null && userdel {name}"
    old = rpm_factory(_server(name, preun=preun, postun=postun))
    new = rpm_factory(_server(name, version="1.1", preun=preun, postun=postun))
    report = check(engine, offline_images, new, web(), upgrade_from=(old,))
    assert report.failed_stage == "upgrade"
    bad = failures(report)
    enabled = bad["upgrade kept the units' enablement at boot"]
    assert f"`%preun: systemctl disable {name}.service`" in enabled.detail
    assert "uninstall scriptlets" in enabled.detail
    users = bad["upgrade kept the accounts"]
    assert f"user {name}" in users.detail
    assert "userdel" in users.detail
    after = bad[f"unit {name}.service enabled at boot"]
    assert "lost during the upgrade" in after.detail


# -- 2. /run (and /tmp) that a baked image would not have ---------------------------------------


@pytest.mark.parametrize(
    ("made", "needs"),
    [
        ("mkdir -p /run/rk-rundir", "/usr/bin/test -d /run/rk-rundir"),
        ("touch /tmp/rk-rundir.ready", "/usr/bin/test -e /tmp/rk-rundir.ready"),
    ],
)
def test_post_writing_under_a_path_that_boots_empty_fails(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any, made: str, needs: str
) -> None:
    name = "rk-rundir"
    post = f"{made}\nsystemctl --no-reload preset {name}.service >/dev/null 2>&1 || :"
    spec = _server(name, extra=f"ExecStartPre={needs}", post=post)
    report = check(engine, offline_images, rpm_factory(spec), web())
    assert report.failed_stage == "verify"
    unit = failures(report)[f"unit {name}.service active"]
    assert f"ExecStartPre={needs}" in unit.evidence or "status=1/FAILURE" in unit.evidence


def test_runtime_directory_made_at_each_start_passes(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rk-runtimedir"
    extra = f"RuntimeDirectory={name}\nExecStartPre=/usr/bin/test -d /run/{name}"
    report = check(engine, offline_images, rpm_factory(_server(name, extra=extra)), web())
    assert report.ok, failures(report)


# -- 3. crash loops ---------------------------------------------------------------------------


def test_service_dying_after_health_passed_fails_the_settle_window(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # systemd stops it 5 s after each start and restarts it: healthy at first, then a loop.
    name = "rk-flap"
    spec = _server(name, extra="RuntimeMaxSec=5\nRestart=always\nRestartSec=0.2")
    expect = dataclasses.replace(web(deadline=10.0), settle=7.0)
    report = check(engine, offline_images, rpm_factory(spec), expect)
    assert report.failed_stage == "settle", failures(report)
    assert next(c for c in report.checks if c.name == "health check").ok
    window = failures(report)["services stayed up and healthy for the 7s settle window"]
    assert f"{name}.service" in window.detail
    assert "Scheduled restart job" in window.evidence or "restart" in window.detail


def test_crash_at_start_fails_at_once_with_its_restarts(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rk-crash"
    spec = _server(name, environment="PORT=not-a-port", extra="Restart=on-failure")
    report = check(engine, offline_images, rpm_factory(spec), web(deadline=30.0))
    assert report.failed_stage == "verify"
    assert report.timings["total"] < 15, report.timings  # not the 30 s deadline
    bad = failures(report)
    unit = bad.get(f"unit {name}.service active") or bad[f"unit {name}.service not restarted"]
    assert "ValueError" in unit.evidence  # the app's own traceback, from its journal


# -- 4. a service nothing starts: covered by test_check and test_unit_kinds ------------------


def test_bare_rpm_cli_with_not_at_boot_passes_and_the_receipt_records_it(
    rpm_factory: Build, tmp_path: Path
) -> None:
    name = "rk-idle"
    spec = units_spec(name, {f"{name}.service": "[Service]\nExecStart=/bin/sleep 1000\n"
                             "[Install]\nWantedBy=multi-user.target\n"})  # fmt: skip
    rpm = tmp_path / "rk-idle.rpm"
    rpm.write_bytes(rpm_factory(spec).read_bytes())
    refused = rpmkit_cli("check", str(rpm), "--profile", "offline", "--no-health")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"FAIL  verify    unit {name}.service enabled at boot" in refused.stdout
    passed = rpmkit_cli(
        "check", str(rpm), "--profile", "offline", "--no-health", "--not-at-boot", name
    )
    assert passed.returncode == 0, passed.stdout + passed.stderr
    record = json.loads((tmp_path / "rk-idle.rpm.receipt.json").read_text())
    assert record["check"]["not_at_boot"] == [f"{name}.service"]


# -- 5. a boot the package degraded -------------------------------------------------------------

BROKEN_NGINX = "server { listen 8080; lsten 8081; }"


def test_package_config_that_breaks_nginx_fails_the_boot_with_its_emerg_line(
    rpm_factory: Build,
    offline_images: dict[str, str],
    engine: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # measure the baseline here, once
    name = "rk-nginxconf"
    spec = units_spec(
        name, {f"{name}.service": "[Service]\nExecStart=/bin/sleep 1000\n"
               "[Install]\nWantedBy=multi-user.target\n"},
        enable=(f"{name}.service", "nginx.service"),
        files={f"/etc/nginx/conf.d/{name}.conf": BROKEN_NGINX},
        post=f"systemctl --no-reload preset {name}.service nginx.service >/dev/null 2>&1 || :",
    ).replace("Requires: python3\n", "Requires: python3\nRequires: nginx\n")  # fmt: skip
    rpm = rpm_factory(spec)
    report = check(engine, offline_images, rpm, NO_HEALTH)
    assert report.failed_stage == "boot"
    nginx = failures(report)["unit nginx.service not failed"]
    assert "[emerg]" in nginx.detail
    assert 'unknown directive "lsten"' in nginx.detail
    assert "does not fail on the bare runtime image" in nginx.detail
    kept = list((tmp_path / "rpmkit" / "baseline").glob("*.json"))
    assert len(kept) == 1  # measured once, kept by image id
    # A unit that fails on the bare image too is not the package's doing.
    bare = baseline.read(kept[0])
    assert bare is not None
    baseline.write(kept[0], "", bare | {"nginx.service"})
    again = check(engine, offline_images, rpm, NO_HEALTH)
    assert "unit nginx.service not failed" not in failures(again)
    assert again.failed_stage != "boot", failures(again)  # nginx -t still refuses the config


# -- evidence that names the cause ------------------------------------------------------------


def test_files_owned_by_a_user_made_too_late_name_rpm_s_warning(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rk-lateuser"
    spec = units_spec(
        name, {f"{name}.service": server_unit(name)}, enable=(f"{name}.service",),
        files={f"/opt/{name}/server.py": SERVER},
        post=add_user(name) + f"\nsystemctl --no-reload preset {name}.service >/dev/null || :",
        file_lines=(f"%attr(0750,{name},{name}) %dir /var/lib/{name}",),
    ).replace(
        "mkdir -p %{buildroot}/usr/lib/systemd/system ",
        f"mkdir -p %{{buildroot}}/var/lib/{name} %{{buildroot}}/usr/lib/systemd/system ",
    )  # fmt: skip
    report = check(engine, offline_images, rpm_factory(spec), web())
    bad = failures(report)
    files = bad[f"files of {name} present with their owners and modes"]
    assert f"likely cause: rpm at install: user {name} does not exist - using root" in files.detail
    assert report.timings["total"] < 15, report.timings


def test_health_500_fails_within_seconds_with_the_app_s_traceback(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rk-500"
    spec = _server(name, environment="MODE=raise")
    report = check(engine, offline_images, rpm_factory(spec), web(deadline=30.0))
    assert report.failed_stage == "health"
    health = failures(report)["health check"]
    assert "answered 500, not the expected status, 3 times in a row" in health.detail
    assert report.timings["total"] < 15, report.timings
    assert "RuntimeError: the real cause: DATABASE_URL is not set" in health.evidence
    assert health.evidence.count("RuntimeError: the real cause") == 1  # deduplicated
    assert "(this traceback x" in health.evidence


def test_port_moved_names_what_listens_instead(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    spec = web_spec(name="rk-moved", port=8085, proxy_port=8000)
    expect = Expectations(ports=(8000, 80), users=("rk-moved",), probe=FAST, deadline=6.0)
    report = check(engine, offline_images, rpm_factory(spec), expect)
    port = failures(report)["port 8000 listening"]
    assert "8085 (python3), not 8000" in port.detail


def test_balancer_port_on_loopback_only_fails_naming_it(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rk-loopback"
    spec = _server(name, environment="BIND=127.0.0.1")
    report = check(engine, offline_images, rpm_factory(spec), web(deadline=6.0))
    line = failures(report)["port 8000 reachable from outside the instance"]
    assert "listening on 127.0.0.1 only" in line.detail
    assert "listening on 127.0.0.1 only on port 8000" in failures(report)["health check"].detail


def test_host_allow_list_without_the_instance_address_fails_as_behind_a_balancer(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # Fine for a request to localhost; a balancer asks with the instance's address.
    name = "rk-hosts"
    spec = _server(name, environment="ALLOWED_HOSTS=localhost,127.0.0.1")
    report = check(engine, offline_images, rpm_factory(spec), web(deadline=30.0))
    health = failures(report)["health check"]
    assert "answered 400" in health.detail
    assert "Invalid HTTP_HOST header: '172." in health.evidence
    assert report.timings["total"] < 15, report.timings


# -- passing apps still pass --------------------------------------------------------------------

WORKER = """\
name = "rk-worker"
version = "1.0"
summary = "Queue worker"
license = "MIT"
template = "python-worker"
requirements = "requirements.txt"

[[services]]
command = "python3 worker.py"

[[services]]
name = "rk-worker-reindex"
command = "python3 worker.py --once"
enabled = false
"""


def test_python_worker_template_with_a_service_off_at_boot_passes(tmp_path: Path) -> None:
    app = tmp_path / "rk-worker"
    app.mkdir()
    (app / "rpmkit.toml").write_text(WORKER)
    (app / "LICENSE").write_text("MIT\n")
    (app / "requirements.txt").write_text("flask==3.1.2\n")  # wheels with a binary part
    (app / "worker.py").write_text(
        "import sys, time\nwhile '--once' not in sys.argv:\n    time.sleep(5)\n"
    )
    proc = rpmkit_cli("run", str(app), "--profile", "offline")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS  verify    unit rk-worker.service active" in proc.stdout
    assert (
        "PASS  verify    unit rk-worker-reindex.service enabled at boot  "
        "(declared not started at boot (not_at_boot))" in proc.stdout
    )

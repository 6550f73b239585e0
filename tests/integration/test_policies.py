"""Policies the package ships, read by their own tools inside the instance."""

from __future__ import annotations

from typing import Any

import pytest

from rpmkit.verify import Expectations
from tests.integration.target_helpers import Build, check, failures, spec

pytestmark = pytest.mark.docker

ROTATE = "/var/log/{name}/*.log {{\n    daily\n    rotate 7\n    missingok\n}}"
SUDO = "{name} ALL=(root) NOPASSWD: /usr/bin/systemctl restart {name}.service"
SERVICE = (
    "[Unit]\nDescription={name}\n[Service]\nExecStart={command}\n"
    "[Install]\nWantedBy=multi-user.target"
)


def test_correct_policies_pass_each_with_its_tool(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rkpolok"
    files = {
        f"/etc/logrotate.d/{name}": ("0644", ROTATE.format(name=name)),
        f"/etc/sudoers.d/{name}": ("0440", SUDO.format(name=name)),
        f"/etc/nginx/conf.d/{name}.conf": ("0644", "server { listen 8081; return 204; }"),
        f"/usr/lib/systemd/system/{name}.service": (
            "0644", SERVICE.format(name=name, command="/usr/bin/sleep infinity")),
    }  # fmt: skip
    # The AMI has logrotate and sudo: so does the stand-in, and its rpm database says so.
    rpm = rpm_factory(spec(name, files, requires=("logrotate", "sudo")))
    # Its unit is started by hand here: declared, as a unit nothing starts must be.
    declared = Expectations(probe=None, not_at_boot=(f"{name}.service",))
    report = check(engine, offline_images, rpm, expect=declared)
    assert report.ok, failures(report)
    passed = {c.name for c in report.checks if c.ok}
    assert f"logrotate policy /etc/logrotate.d/{name} is read by logrotate" in passed
    assert f"sudoers drop-in /etc/sudoers.d/{name} is read by sudo" in passed
    assert "nginx -t accepts the configuration (1 file(s) of the package)" in passed
    assert f"unit {name}.service passes systemd-analyze verify" in passed


def test_a_group_writable_logrotate_policy_fails_as_logrotate_ignores_it(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rkrot664"
    files = {f"/etc/logrotate.d/{name}": ("0664", ROTATE.format(name=name))}
    report = check(engine, offline_images, rpm_factory(spec(name, files)))
    assert report.failed_stage == "verify"
    failed = failures(report)[f"logrotate policy /etc/logrotate.d/{name} is read by logrotate"]
    assert "because it is writable by group or others" in failed.detail
    assert f"$ logrotate -d /etc/logrotate.d/{name}" in failed.evidence


def test_a_logrotate_policy_with_an_unknown_option_fails(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rkrotsyn"
    policy = f"/var/log/{name}/*.log {{\n    daily\n    rotat 7\n    missingok\n}}"
    files = {f"/etc/logrotate.d/{name}": ("0644", policy)}
    report = check(engine, offline_images, rpm_factory(spec(name, files)))
    failed = failures(report)[f"logrotate policy /etc/logrotate.d/{name} is read by logrotate"]
    assert "unknown option 'rotat'" in failed.detail


def test_sudoers_drop_ins_sudo_would_not_read_fail(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rksudo"
    files = {
        f"/etc/sudoers.d/{name}": ("0440", f"{name} ALL=(root NOPASSWD: /usr/bin/true"),
        f"/etc/sudoers.d/{name}.conf": ("0440", SUDO.format(name=name)),
        f"/etc/sudoers.d/{name}-open": ("0666", SUDO.format(name=name)),
    }
    report = check(engine, offline_images, rpm_factory(spec(name, files)))
    failed = failures(report)
    syntax = failed[f"sudoers drop-in /etc/sudoers.d/{name} is read by sudo"]
    assert "syntax error" in syntax.detail
    assert "syntax error" in syntax.evidence  # visudo's own words
    dotted = failed[f"sudoers drop-in /etc/sudoers.d/{name}.conf is read by sudo"]
    assert "contain '.'" in dotted.detail
    world = failed[f"sudoers drop-in /etc/sudoers.d/{name}-open is read by sudo"]
    assert "is world writable" in world.detail


def test_an_nginx_config_nginx_refuses_fails_with_its_message(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rknginxbad"
    files = {f"/etc/nginx/conf.d/{name}.conf": ("0644", "server { listen 8082; locaton / { } }")}
    report = check(engine, offline_images, rpm_factory(spec(name, files)))
    (failed,) = failures(report).values()
    assert failed.name.startswith("nginx -t accepts")
    assert 'unknown directive "locaton"' in failed.detail


def test_a_unit_systemd_refuses_fails_and_a_unit_with_a_typo_warns(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rkunit"
    typo = SERVICE.format(name=name, command="/usr/bin/sleep infinity").replace(
        "[Install]", "Restat=always\n[Install]"
    )
    files = {
        f"/usr/lib/systemd/system/{name}.service": (
            "0644", SERVICE.format(name=name, command=f"/opt/{name}/bin/missing")),
        f"/usr/lib/systemd/system/{name}-typo.service": ("0644", typo),
    }  # fmt: skip
    report = check(engine, offline_images, rpm_factory(spec(name, files)))
    failed = failures(report)[f"unit {name}.service passes systemd-analyze verify"]
    assert f"Command /opt/{name}/bin/missing is not executable" in failed.detail
    warned = next(c for c in report.checks if c.name == f"unit {name}-typo.service passes "
                  "systemd-analyze verify")  # fmt: skip
    assert warned.warning
    assert "Unknown key" in warned.detail


def test_a_policy_for_a_log_not_written_yet_warns_and_passes(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # Without `missingok` logrotate errors until the service has written its log:
    # worth knowing, not a broken package.
    name = "rkrotlater"
    policy = f"/var/log/{name}/{name}.log {{\n    weekly\n    rotate 4\n}}"
    files = {f"/etc/logrotate.d/{name}": ("0644", policy)}
    report = check(engine, offline_images, rpm_factory(spec(name, files)))
    assert report.ok, failures(report)
    warned = next(
        c for c in report.checks if c.name.startswith(f"logrotate policy /etc/logrotate.d/{name}")
    )
    assert warned.warning
    assert "missingok" in warned.detail


def test_a_log_folder_at_0750_owned_by_the_service_passes_with_its_policy(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # Common for logs and state: readable by the service's group only. logrotate
    # accepts a parent folder that is not writable by a group other than root.
    name = "rklog750"
    rpm = rpm_factory(
        spec(
            name,
            {f"/etc/logrotate.d/{name}": ("0644", ROTATE.format(name=name))},
            dirs={f"/var/log/{name}": ("0750", name), f"/var/lib/{name}": ("0750", name)},
            pre=f"getent passwd {name} >/dev/null || useradd -r -s /sbin/nologin {name}",
            post=f"echo started > /var/log/{name}/{name}.log",
        )
    )
    report = check(engine, offline_images, rpm)
    assert report.ok, failures(report)
    rotated = next(
        c for c in report.checks if c.id == f"verify.logrotate-policy:/etc/logrotate.d/{name}"
    )
    assert rotated.ok
    assert not rotated.warning

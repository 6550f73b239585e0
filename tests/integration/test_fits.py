"""The RPM judged against its target's facts at install: what the stand-in's own system hides."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.target_helpers import Build, check, failures, spec

pytestmark = pytest.mark.docker


def test_a_glibc_symbol_version_newer_than_the_targets_fails_at_install(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # What rpmbuild writes for a binary linked against Debian's glibc 2.36. The
    # stand-in's own glibc is 2.36: without the target's facts this installs.
    rpm = rpm_factory(spec("rkglibc", {"/opt/rkglibc/run": ("0755", "#!/bin/sh")},
                           requires=("libc.so.6(GLIBC_2.36)(64bit)",)))  # fmt: skip
    report = check(engine, offline_images, rpm)
    assert report.failed_stage == "install"
    (failed,) = failures(report).values()
    assert "would not install on Amazon Linux 2023" in failed.detail
    assert "libc.so.6(GLIBC_2.36)(64bit)" in failed.detail
    assert "glibc 2.34" in failed.detail
    assert "docs.aws.amazon.com/linux/al2023/ug/core-glibc" in failed.detail
    assert not any("installed, every scriptlet" in c.name for c in report.checks)


def test_a_glibc_symbol_version_the_target_has_installs(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    rpm = rpm_factory(spec("rkglibcok", {"/opt/rkglibcok/run": ("0755", "#!/bin/sh")},
                           requires=("libc.so.6(GLIBC_2.34)(64bit)",)))  # fmt: skip
    report = check(engine, offline_images, rpm)
    assert report.ok, failures(report)
    names = [c.name for c in report.checks]
    assert "requirements and files fit Amazon Linux 2023 (offline stands in for it)" in names


def test_an_app_shipping_nginx_conf_fails_with_a_file_conflict(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    conf = "events {}\nhttp { server { listen 8080; } }"
    rpm = rpm_factory(spec("rknginxconf", {"/etc/nginx/nginx.conf": ("0644", conf)},
                           config=("/etc/nginx/nginx.conf",), requires=("nginx",)))  # fmt: skip
    report = check(engine, offline_images, rpm)
    assert report.failed_stage == "install"
    (failed,) = failures(report).values()
    assert "ships /etc/nginx/nginx.conf, which Amazon Linux 2023's nginx-core package owns" in (
        failed.detail
    )
    assert "file conflict" in failed.detail
    assert "nginx.spec" in failed.detail  # the fact's source


def test_an_app_shipping_its_own_conf_d_file_installs(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    conf, path = "server { listen 8080; location / { return 204; } }", "/etc/nginx/conf.d/rkn.conf"
    rpm = rpm_factory(spec("rknginxapp", {path: ("0644", conf)}, config=(path,),
                           requires=("nginx",)))  # fmt: skip
    report = check(engine, offline_images, rpm)
    assert report.ok, failures(report)
    assert any(c.name.startswith("nginx -t accepts") and c.ok for c in report.checks)

"""Config files rpm set aside during the check's install or upgrade."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.target_helpers import Build, check, failures, spec

pytestmark = pytest.mark.docker

CONF = "/etc/{name}/app.conf"


def test_a_fresh_install_that_collides_with_a_file_already_there_fails_naming_both(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # A file already at the path on a fresh instance (put there by %pretrans, which
    # runs before rpm decides what to do with each file): rpm keeps it and puts the
    # package's version beside it, so the service would read the file it found.
    name = "rksaside"
    conf = CONF.format(name=name)
    already = f"mkdir -p /etc/{name}; echo 'port = 9090' > {conf}"
    rpm = rpm_factory(spec(name, {conf: ("0644", "port = 8080")}, config=(conf,), pretrans=already))
    report = check(engine, offline_images, rpm)
    assert report.failed_stage == "install"
    failed = failures(report)[f"no config file set aside: {conf} and {conf}.rpmnew"]
    assert "collided with a file already there" in failed.detail


def test_a_fresh_install_without_a_collision_passes(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rksaclean"
    conf = CONF.format(name=name)
    rpm = rpm_factory(spec(name, {conf: ("0644", "port = 8080")}, config=(conf,)))
    report = check(engine, offline_images, rpm)
    assert report.ok, failures(report)


def test_an_upgrade_that_keeps_an_edited_config_lists_the_rpmnew_as_evidence(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rksaup"
    conf = CONF.format(name=name)
    old = rpm_factory(spec(name, {conf: ("0644", "port = 8080")}, config=(conf,),
                           post=f"echo '# tuned on this host' >> {conf}"))  # fmt: skip
    new = rpm_factory(spec(name, {conf: ("0644", "port = 8081")}, config=(conf,), version="1.1"))
    report = check(engine, offline_images, new, upgrade_from=(old,))
    assert report.ok, failures(report)
    listed = {c.name: c for c in report.checks}.get("config files set aside by the upgrade")
    assert listed is not None, report.checks
    assert listed.warning
    assert f"{conf} -> {conf}.rpmnew" in listed.evidence

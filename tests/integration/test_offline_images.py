"""The offline images do what the pipeline needs: build, install with dnf, boot."""

from __future__ import annotations

import time
from typing import Any

import pytest

from rpmkit import profiles
from tests.integration.conftest import Start, get_file, put_file, sh

pytestmark = pytest.mark.docker

# Requires python3 and nginx by their Amazon Linux names, a file path (/bin/sh)
# and, through its script's shebang, /usr/bin/python3; %post enables nginx.
TEST_SPEC = """\
Name: rk-probe
Version: 1.0
Release: 1
Summary: rpmkit probe package
License: MIT
BuildArch: noarch
Requires: python3
Requires: nginx
Requires(pre): shadow-utils
Requires: /bin/sh
%description
A package the foundation tests build and install.
%install
mkdir -p %{buildroot}/usr/bin
printf '#!/usr/bin/python3\\nprint("probe")\\n' > %{buildroot}/usr/bin/rk-probe
chmod 0755 %{buildroot}/usr/bin/rk-probe
%post
systemctl enable nginx.service
%files
/usr/bin/rk-probe
"""


@pytest.fixture(scope="module")
def probe_rpm(offline_images: dict[str, str], docker_client: Any) -> bytes:
    """rk-probe built by rpmbuild in a fresh builder container."""
    from rpmkit import labels

    container = docker_client.containers.run(
        offline_images["builder"],
        ["sleep", "300"],
        detach=True,
        labels=labels.Run(labels.new_run_id(), "tests").labels(),
    )
    try:
        put_file(container, "/tmp", "rk-probe.spec", TEST_SPEC.encode())
        code, out = sh(
            container,
            "rpmbuild -bb --define '_topdir /tmp/rb' /tmp/rk-probe.spec >/tmp/log 2>&1"
            " || { cat /tmp/log; exit 1; }; ls /tmp/rb/RPMS/noarch/",
        )
        assert code == 0, out
        assert "rk-probe-1.0-1.noarch.rpm" in out
        return get_file(container, "/tmp/rb/RPMS/noarch/rk-probe-1.0-1.noarch.rpm")
    finally:
        container.remove(force=True)


def _boot(start: Start, image: str) -> Any:
    container = start(image, **profiles.boot_options(profiles.get("offline")))
    deadline = time.monotonic() + 30
    state = ""
    while time.monotonic() < deadline:
        code, state = sh(container, "systemctl is-system-running 2>/dev/null")
        if state.strip() in ("running", "degraded"):
            break
        time.sleep(0.1)
    return container, state.strip()


def test_builder_builds_a_noarch_rpm(probe_rpm: bytes) -> None:
    assert probe_rpm[:4] == b"\xed\xab\xee\xdb"  # the RPM lead's magic


def test_runtime_installs_it_with_dnf_from_a_local_repo(
    offline_images: dict[str, str], probe_rpm: bytes, start_container: Start
) -> None:
    container = start_container(offline_images["runtime"], ["sleep", "300"])
    put_file(container, "/tmp", "rk-probe-1.0-1.noarch.rpm", probe_rpm)
    code, out = sh(
        container,
        "mkdir /tmp/repo && mv /tmp/*.rpm /tmp/repo/ && createrepo_c --quiet /tmp/repo && "
        "dnf -y --nogpgcheck --disablerepo='*' --repofrompath=rk,/tmp/repo --enablerepo=rk "
        "install rk-probe && rpm -q rk-probe && rk-probe",
    )
    assert code == 0, out
    assert "rk-probe-1.0-1.noarch" in out
    assert out.rstrip().endswith("probe")


def test_runtime_boots_and_enables_nothing_on_its_own(
    offline_images: dict[str, str], start_container: Start
) -> None:
    container, state = _boot(start_container, offline_images["runtime"])
    if state == "degraded":
        _, failed = sh(container, "systemctl --failed --no-legend")
        pytest.fail(f"runtime boots degraded: {failed}")
    assert state == "running"
    assert sh(container, "systemctl is-active nginx")[1].strip() == "inactive"
    assert sh(container, "systemctl is-enabled nginx")[1].strip() == "disabled"
    code, listening = sh(container, "ss -Htln")
    assert code == 0
    assert ":80 " not in listening
    assert sh(container, "test -e /etc/nginx/sites-enabled/default")[0] != 0


def test_post_enabling_nginx_makes_it_active_at_boot(
    offline_images: dict[str, str], probe_rpm: bytes, start_container: Start, docker_client: Any
) -> None:
    # Install with services not running (as the bake does), then boot the result.
    installer = start_container(offline_images["runtime"], ["sleep", "300"])
    put_file(installer, "/tmp", "rk-probe-1.0-1.noarch.rpm", probe_rpm)
    code, out = sh(installer, "rpm -i /tmp/rk-probe-1.0-1.noarch.rpm")
    assert code == 0, out
    installer.stop(timeout=0)
    image = installer.commit(changes=["LABEL rpmkit.run=tests-commit"])
    try:
        container, state = _boot(start_container, image.id)
        try:
            assert state == "running"
            assert sh(container, "systemctl is-active nginx")[1].strip() == "active"
        finally:
            container.remove(force=True)
    finally:
        docker_client.images.remove(image.id, force=True)

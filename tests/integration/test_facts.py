"""The instance has the target's kernel settings, not the container engine's."""

from __future__ import annotations

from typing import Any

import pytest

from rpmkit.verify import Expectations
from rpmkit.verify.health import Probe
from tests.integration.target_helpers import Build, check, failures, spec

pytestmark = [pytest.mark.docker, pytest.mark.slow]

UNIT = """\
[Unit]
Description=a web server on port 80, run as its own user
[Service]
User={name}
ExecStart=/usr/bin/python3 -m http.server 80 --bind 0.0.0.0 --directory /opt/{name}
{extra}
[Install]
WantedBy=multi-user.target"""
PROBE = Probe(path="/", port=80, interval=0.1, timeout=1.0, deadline=6.0)


def _port80(name: str, extra: str = "") -> str:
    return spec(
        name,
        {
            f"/usr/lib/systemd/system/{name}.service": (
                "0644",
                UNIT.format(name=name, extra=extra),
            ),
            f"/opt/{name}/index.html": ("0644", "ok"),
        },
        requires=("python3",),
        pre=f"getent passwd {name} >/dev/null || useradd -r -s /sbin/nologin {name}",
        post=f"systemctl enable {name}.service",
    )


def test_a_non_root_service_binding_port_80_fails_as_on_the_target(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    # Docker lets every container bind ports below 1024 (ip_unprivileged_port_start=0);
    # Amazon Linux keeps the kernel's 1024.
    name = "rkport"
    expect = Expectations(ports=(80,), users=(name,), probe=PROBE)
    report = check(engine, offline_images, rpm_factory(_port80(name)), boot=True, expect=expect)
    assert not report.ok
    failed = failures(report)
    assert f"unit {name}.service active" in failed
    assert "Permission denied" in failed[f"unit {name}.service active"].evidence
    # The unit's failure is certain at once: the port is not waited for, nor judged.
    port = next(c for c in report.checks if c.name == "port 80 listening")
    assert not port.ok


def test_with_cap_net_bind_service_it_passes(
    rpm_factory: Build, offline_images: dict[str, str], engine: Any
) -> None:
    name = "rkportcap"
    expect = Expectations(ports=(80,), users=(name,), probe=PROBE)
    rpm = rpm_factory(_port80(name, "AmbientCapabilities=CAP_NET_BIND_SERVICE"))
    report = check(engine, offline_images, rpm, boot=True, expect=expect)
    assert report.ok, failures(report)

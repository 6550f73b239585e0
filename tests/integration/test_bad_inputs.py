"""Ordinary inputs that once ended in an internal error, through the real engine.

A valid RPM name with '+' (libstdc++ style), and RPM files whose path holds
spaces and non-ASCII letters: container names are derived safely from them,
so each is checked (exit 0) or refused with one line (exit 1 or 2), never
exit 3, and nothing is left on the engine.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rpmkit import labels
from tests.integration.conftest import left_after, rpmkit_cli

pytestmark = [pytest.mark.docker, pytest.mark.slow]

Build = Callable[[str], Path]

SPEC = """\
Name: @NAME@
Version: 1.0
Release: 1
Summary: A package with an unusual but valid name
License: MIT
BuildArch: noarch

%description
Checked by rpmkit's bad-input tests.

%install
install -d %{buildroot}/usr/share/@NAME@
echo ok > %{buildroot}/usr/share/@NAME@/ok.txt

%files
/usr/share/@NAME@
"""


def _objects(client: Any, app: str) -> set[str]:
    """The run objects of one app (other runs may share the engine)."""
    selector = {"label": [labels.RUN, f"{labels.APP}={app}"]}
    found = {c.id for c in client.containers.list(all=True, filters=selector)}
    found |= {n.id for n in client.networks.list(filters=selector)}
    return found


@pytest.mark.parametrize(
    ("name", "file_name"),
    [
        ("rk-c++", None),
        ("rk-plain", "with space/rk-plain-1.0-1.noarch.rpm"),
        ("rk-g++", "caf\u00e9 dir/rk-g++-1.0-1.noarch.rpm"),
    ],
)
def test_unusual_names_are_checked_or_refused_in_one_line(
    rpm_factory: Build,
    offline_images: dict[str, str],
    docker_client: Any,
    tmp_path: Path,
    name: str,
    file_name: str | None,
) -> None:
    built = rpm_factory(SPEC.replace("@NAME@", name))
    rpm = tmp_path / (file_name or built.name)
    rpm.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(built, rpm)
    before = _objects(docker_client, name)
    proc = rpmkit_cli("check", str(rpm), "--profile", "offline", "--no-health")
    err_lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr
    assert "internal error" not in proc.stderr
    assert proc.returncode in (0, 1, 2), proc.stderr
    if proc.returncode == 0:
        assert f"PASS: {name}-1.0-1.noarch on offline" in proc.stdout, proc.stdout
    else:
        assert len([line for line in err_lines if line.startswith("error:")]) == 1, proc.stderr
    assert left_after(lambda: _objects(docker_client, name) - before) == set()


def test_a_config_named_with_plus_is_refused_in_one_line_before_the_engine(
    tmp_path: Path,
) -> None:
    # '+' is a valid RPM name but not a systemd unit or user name: the config says which key.
    app = tmp_path / "app"
    app.mkdir()
    (app / "rpmkit.toml").write_text(
        'name = "libfoo++"\nversion = "1.0"\nsummary = "s"\nlicense = "MIT"\n'
        'template = "python-worker"\n[[services]]\ncommand = "python3 w.py"\nuser = "foo"\n'
    )
    proc = rpmkit_cli("build", str(app), "--profile", "offline")
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert "services[0]" in line
    assert "set services[0].name" in line

"""The RPM's header against its target's facts: requirements, owned paths, tools the AMI lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from rpmkit import profiles, rpm
from rpmkit.errors import InstallError
from rpmkit.target import fits
from rpmkit.target.facts import load
from tests.rpmfactory import make_rpm


def _rpm(tmp_path: Path, **header: object) -> rpm.RpmFile:
    return rpm.read(make_rpm(tmp_path / "app-1.0-1.x86_64.rpm", "app", **header))  # type: ignore[arg-type]


def test_a_glibc_symbol_version_the_target_lacks_is_named_with_its_source(tmp_path: Path) -> None:
    made = _rpm(tmp_path, requires=("libc.so.6(GLIBC_2.36)(64bit)", "libc.so.6(GLIBC_2.17)(64bit)"))
    (found,) = fits.unsatisfiable(made, load("al2023"))
    assert "requires libc.so.6(GLIBC_2.36)(64bit)" in found
    assert "glibc 2.34" in found
    assert "GLIBC_2.34" in found
    assert "core-glibc" in found  # the source
    (on_al2,) = fits.unsatisfiable(made, load("al2"))
    assert "glibc 2.26" in on_al2


def test_al2_refuses_what_al2023_accepts(tmp_path: Path) -> None:
    made = _rpm(
        tmp_path, requires=("libc.so.6(GLIBC_2.28)(64bit)", "libstdc++.so.6(GLIBCXX_3.4.29)(64bit)")
    )
    assert fits.unsatisfiable(made, load("al2023")) == []
    found = fits.unsatisfiable(made, load("al2"))
    assert [f.split(" requires ")[1].split(",")[0] for f in found] == [
        "libc.so.6(GLIBC_2.28)(64bit)",
        "libstdc++.so.6(GLIBCXX_3.4.29)(64bit)",
    ]


def test_requirements_the_facts_do_not_cover_are_left_to_the_package_manager(
    tmp_path: Path,
) -> None:
    made = _rpm(
        tmp_path,
        requires=("libssl.so.3(OPENSSL_3.0.0)(64bit)", "python3", "libc.so.6()(64bit)", "/bin/sh"),
    )
    assert fits.unsatisfiable(made, load("al2023")) == []


def test_a_file_a_target_package_owns_is_a_conflict(tmp_path: Path) -> None:
    made = _rpm(
        tmp_path, files=("/etc/nginx/nginx.conf", "/etc/nginx/conf.d/app.conf", "/opt/app/run")
    )
    (found,) = fits.conflicts(made, load("al2023"))
    assert "ships /etc/nginx/nginx.conf" in found
    assert "nginx-core" in found
    assert "nginx.spec" in found  # the source


def test_the_check_fails_at_install_naming_every_problem(tmp_path: Path) -> None:
    made = _rpm(tmp_path, files=("/etc/sudoers",), requires=("libc.so.6(GLIBC_2.39)(64bit)",))
    with pytest.raises(InstallError) as caught:
        fits.check(profiles.get("offline"), (made,))
    message = caught.value.message
    assert message.startswith("would not install on Amazon Linux 2023")
    assert (
        "a requirement the target cannot satisfy and a file another target package owns" in message
    )
    assert "GLIBC_2.39" in (caught.value.details or "")
    assert "/etc/sudoers" in (caught.value.details or "")


def test_a_fitting_package_passes_and_says_on_what(tmp_path: Path) -> None:
    made = _rpm(
        tmp_path,
        files=("/opt/app/run", "/etc/logrotate.d/app"),
        requires=("libc.so.6(GLIBC_2.34)(64bit)",),
    )
    (passed,) = fits.check(profiles.get("offline"), (made,))
    assert passed.ok
    assert not passed.warning
    assert "Amazon Linux 2023 (offline stands in for it)" in passed.name


def test_a_cron_job_on_a_target_without_cron_is_a_warning_unless_cron_is_required(
    tmp_path: Path,
) -> None:
    made = _rpm(tmp_path, files=("/etc/cron.d/app",))
    checks = fits.check(profiles.get("al2023"), (made,))
    warned = [c for c in checks if c.warning]
    assert len(warned) == 1
    assert "cronie" in warned[0].detail
    assert not [c for c in fits.check(profiles.get("al2"), (made,)) if c.warning]
    (tmp_path / "b").mkdir()
    needs_cron = _rpm(tmp_path / "b", files=("/etc/cron.d/app",), requires=("cronie",))
    assert not [c for c in fits.check(profiles.get("al2023"), (needs_cron,)) if c.warning]

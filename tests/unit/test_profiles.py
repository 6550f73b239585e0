"""Profiles are data: each loads, the selection rule, and the boot settings."""

from __future__ import annotations

import pytest

from rpmkit import profiles
from rpmkit.errors import ConfigError


def test_bundled_profiles() -> None:
    assert {"offline", "al2023", "al2"} <= set(profiles.names())


@pytest.mark.parametrize("name", ["offline", "al2023", "al2"])
def test_each_profile_loads_with_its_dockerfiles(name: str) -> None:
    profile = profiles.get(name)
    assert profile.name == name
    for role in profiles.ROLES:
        dockerfile = profile.directory / profile.dockerfiles[role]
        assert dockerfile.is_file()
        assert "FROM ${BASE}" in dockerfile.read_text()
    assert "{packages}" in profile.package_manager.install
    assert profile.boot.stop_signal == "SIGRTMIN+3"


def test_offline_is_made_from_packages_and_al_from_images() -> None:
    offline = profiles.get("offline")
    assert offline.base.kind == "rootfs"
    assert "rpmlint" in offline.base.packages["builder"]
    assert "rpmlint" not in offline.base.packages["runtime"]
    assert not any("gcc" in p for p in offline.base.packages["runtime"])
    assert profiles.get("al2023").base.image == "amazonlinux:2023"
    assert profiles.get("al2").package_manager.name == "yum"


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        profiles.get("centos")
    assert "centos" in info.value.message
    assert info.value.hint
    assert "offline" in info.value.hint


def test_choose_explicit_then_config_then_present_default_then_offline() -> None:
    assert profiles.choose("al2", "offline", lambda _: True) == ("al2", None)
    assert profiles.choose(None, "al2", lambda _: True) == ("al2", None)
    assert profiles.choose(None, None, lambda ref: ref == "amazonlinux:2023") == ("al2023", None)
    name, note = profiles.choose(None, None, lambda _: False)
    assert name == "offline"
    assert note
    assert "amazonlinux:2023" in note


def test_boot_options_for_systemd_as_pid1() -> None:
    opts = profiles.boot_options(profiles.get("offline"))
    assert opts["command"] == ["/sbin/init"]
    assert opts["cap_add"] == ["SYS_ADMIN"]
    assert opts["security_opt"] == ["seccomp=unconfined"]
    assert set(opts["tmpfs"]) == {"/run", "/run/lock"}
    assert opts["volumes"] == {"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "ro"}}
    assert opts["environment"] == {"container": "docker"}
    assert opts["stop_signal"] == "SIGRTMIN+3"

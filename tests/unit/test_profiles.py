"""Profiles are data: each loads, the selection rule, rendered Dockerfiles, boot settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from rpmkit import images, profiles
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
        assert "FROM {{ base }}" in dockerfile.read_text()
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


def _lines(text: str, keyword: str) -> list[str]:
    """A Dockerfile's instructions of one kind, continuation lines joined."""
    joined = text.replace("\\\n", " ")
    return [" ".join(line.split()) for line in joined.splitlines() if line.startswith(keyword)]


def _rendered(name: str, role: str, base: str | None = None) -> str:
    profile = profiles.get(name)
    return images.render_dockerfile(profile, role, base or images.base_ref(profile, role)[0])


@pytest.mark.parametrize(
    ("name", "role", "run"),
    [
        (
            "al2023",
            "runtime",
            "RUN dnf -y --setopt=install_weak_deps=False install systemd shadow-utils procps-ng "
            "which findutils util-linux tar gzip sudo initscripts chkconfig iproute createrepo_c "
            "logrotate && dnf clean all && rm -rf /var/cache/dnf "
            "&& systemctl set-default multi-user.target",
        ),
        (
            "al2023",
            "builder",
            "RUN dnf -y --setopt=install_weak_deps=False install rpm-build rpmlint "
            "systemd-rpm-macros python3 python3-pip shadow-utils tar gzip findutils which "
            "&& dnf clean all && rm -rf /var/cache/dnf",
        ),
        (
            "al2",
            "runtime",
            "RUN yum -y --setopt=skip_missing_names_on_install=False install systemd shadow-utils "
            "procps-ng which findutils util-linux tar gzip sudo initscripts chkconfig iproute "
            "python3 logrotate createrepo yum-utils && yum clean all && rm -rf /var/cache/yum "
            "&& systemctl mask systemd-remount-fs.service dev-hugepages.mount "
            "sys-fs-fuse-connections.mount getty.target console-getty.service "
            "&& systemctl set-default multi-user.target",
        ),
        (
            "al2",
            "builder",
            "RUN yum -y --setopt=skip_missing_names_on_install=False install rpm-build rpmlint "
            "systemd python3 python3-pip shadow-utils tar gzip findutils which "
            "&& yum clean all && rm -rf /var/cache/yum",
        ),
    ],
)
def test_amazon_linux_dockerfiles_add_their_packages_in_one_layer(
    name: str, role: str, run: str
) -> None:
    text = _rendered(name, role)
    assert _lines(text, "FROM") == [f"FROM amazonlinux:{name.removeprefix('al')}"]
    assert _lines(text, "RUN") == [run]
    assert "{{" not in text


def test_runtime_images_add_nothing_an_app_brings_itself() -> None:
    for name in ("al2023", "al2"):
        runtime = profiles.get(name).packages["runtime"]
        assert "nginx" not in runtime
        assert {"systemd", "initscripts", "chkconfig", "shadow-utils"} <= set(runtime)
        assert "rpm-build" not in runtime
        assert "rpm-build" in profiles.get(name).packages["builder"]
    assert "python3" in profiles.get("al2").packages["runtime"]  # the base has python2 only


@pytest.mark.parametrize("role", ["builder", "runtime"])
def test_offline_dockerfiles_start_from_their_root_filesystem(role: str) -> None:
    text = _rendered("offline", role)
    (from_line,) = _lines(text, "FROM")
    assert from_line.startswith(f"FROM rpmkit/offline-rootfs-{role}:")
    (run,) = _lines(text, "RUN")
    # The chkconfig stand-in goes in before the system-provides RPM is made.
    assert run.startswith("RUN sh /usr/lib/rpmkit/setup-sysv.sh && sh /usr/lib/rpmkit/setup-rpm.sh")
    assert _lines(text, "COPY") == ["COPY files/ /usr/lib/rpmkit/"]


@pytest.mark.parametrize("name", ["offline", "al2023", "al2"])
def test_base_image_override_is_the_from_line(name: str) -> None:
    for role in profiles.ROLES:
        text = _rendered(name, role, base="registry.example.com/hardened:1")
        assert _lines(text, "FROM") == ["FROM registry.example.com/hardened:1"]


def test_cgroup_version_is_read_from_the_host(tmp_path: Path) -> None:
    assert profiles.cgroup_version(tmp_path) == 1  # v1, or hybrid (v1 with a unified mount)
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    assert profiles.cgroup_version(tmp_path) == 2


@pytest.mark.parametrize(
    ("name", "init"),
    [
        ("offline", ["/sbin/init"]),
        ("al2023", ["/usr/lib/systemd/systemd"]),
        ("al2", ["/usr/lib/systemd/systemd"]),
    ],
)
def test_boot_options_on_a_cgroup_v1_host(name: str, init: list[str]) -> None:
    opts = profiles.boot_options(profiles.get(name), cgroup=1)
    assert opts["command"] == init
    assert opts["cap_add"] == ["SYS_ADMIN"]
    assert opts["security_opt"] == ["seccomp=unconfined"]
    assert set(opts["tmpfs"]) == {"/run", "/run/lock"}
    assert opts["volumes"] == {"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "ro"}}
    assert opts["environment"] == {"container": "docker"}
    assert opts["stop_signal"] == "SIGRTMIN+3"
    assert "cgroupns" not in opts  # the engine's default (host) on v1
    assert "privileged" not in opts
    assert profiles.boot_limit(profiles.get(name), cgroup=1) == ""


@pytest.mark.parametrize("name", ["offline", "al2023"])
def test_boot_options_on_a_cgroup_v2_host(name: str) -> None:
    opts = profiles.boot_options(profiles.get(name), cgroup=2)
    # systemd makes its own cgroups: the host's namespace, a writable tree.
    assert opts["cgroupns"] == "host"
    assert opts["volumes"] == {"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"}}
    assert opts["environment"] == {"container": "docker"}
    assert set(opts["tmpfs"]) == {"/run", "/run/lock"}
    assert profiles.boot_limit(profiles.get(name), cgroup=2) == ""


def test_al2_cannot_boot_on_a_cgroup_v2_host() -> None:
    limit = profiles.boot_limit(profiles.get("al2"), cgroup=2)
    assert "systemd 219" in limit
    assert "cgroup v2" in limit


def test_boot_options_follow_this_hosts_cgroup_version() -> None:
    here = profiles.cgroup_version()
    offline = profiles.get("offline")
    assert profiles.boot_options(offline) == profiles.boot_options(offline, cgroup=here)

"""Image tags are content-addressed: same inputs, same tag; any change, a new tag."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from rpmkit import images, profiles
from rpmkit.errors import ConfigError, ImageMissing


def _copy(tmp_path: Path) -> profiles.Profile:
    offline = profiles.get("offline")
    shutil.copytree(offline.directory, tmp_path / "offline")
    return dataclasses.replace(offline, directory=tmp_path / "offline")


def test_tags_are_stable_and_per_role(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    first = images.plan(profile)
    assert first == images.plan(profile)
    assert [p.role for p in first] == ["builder", "runtime"]
    assert first[0].tag.startswith("rpmkit/offline-builder:")
    assert first[1].tag.startswith("rpmkit/offline-runtime:")
    assert all(p.base_is_rootfs for p in first)


def test_changing_any_input_changes_the_tag(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    before = {p.role: p.tag for p in images.plan(profile)}
    macros = profile.directory / "files" / "macros.rpmkit"
    macros.write_text(macros.read_text() + "%_rpmkit_test 1\n")
    after = {p.role: p.tag for p in images.plan(profile)}
    assert before["builder"] != after["builder"]
    assert before["runtime"] != after["runtime"]


def test_package_list_keys_the_root_filesystem() -> None:
    offline = profiles.get("offline")
    base, from_rootfs = images.base_ref(offline, "runtime")
    assert from_rootfs
    assert base.startswith("rpmkit/offline-rootfs-runtime:")
    more = dataclasses.replace(
        offline,
        base=dataclasses.replace(
            offline.base,
            packages={**offline.base.packages, "runtime": ("rpm", "curl")},
        ),
    )
    assert images.base_ref(more, "runtime")[0] != base


def test_rootfs_command_is_the_measured_recipe() -> None:
    cmd = images.rootfs_command(profiles.get("offline"), "runtime", "/tmp/rootfs.tar")
    assert cmd[0] == "mmdebstrap"
    assert "--variant=minbase" in cmd
    include = next(a for a in cmd if a.startswith("--include="))
    for package in ("rpm", "dnf", "createrepo-c", "python3-venv", "nginx-light", "systemd-sysv"):
        assert package in include.split("=", 1)[1].split(",")
    assert cmd[-2:] == ["bookworm", "/tmp/rootfs.tar"]


def test_image_profiles_use_the_base_image_and_its_id() -> None:
    al = profiles.get("al2023")
    plans = images.plan(al, base_id="sha256:aaa")
    assert all(p.base == "amazonlinux:2023" and not p.base_is_rootfs for p in plans)
    # A different local image under the same name (re-pulled, re-loaded) rebuilds.
    assert plans != images.plan(al, base_id="sha256:bbb")
    override = images.plan(al, base_image="corp/al2023:hardened", base_id="sha256:aaa")
    assert all(p.base == "corp/al2023:hardened" for p in override)


def test_package_list_in_profile_data_keys_the_image() -> None:
    al = profiles.get("al2023")
    before = images.plan(al, base_id="sha256:aaa")
    more = dataclasses.replace(
        al, packages={**al.packages, "runtime": (*al.packages["runtime"], "vim-minimal")}
    )
    after = images.plan(more, base_id="sha256:aaa")
    assert before[0].tag == after[0].tag  # the builder is unchanged
    assert before[1].tag != after[1].tag
    assert "vim-minimal" in after[1].dockerfile


def test_unknown_placeholder_in_a_dockerfile_is_a_config_error(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    dockerfile = profile.directory / profile.dockerfiles["runtime"]
    dockerfile.write_text(dockerfile.read_text() + "RUN echo {{ nonsense }}\n")
    with pytest.raises(ConfigError) as info:
        images.plan(profile)
    assert "{{ nonsense }}" in info.value.message
    assert info.value.hint
    assert "{{ packages }}" in info.value.hint


class _NoImages:
    """The engine seam of an engine with no image at all."""

    def image_id(self, ref: str) -> None:
        return None


def test_missing_base_image_says_how_to_provide_it() -> None:
    with pytest.raises(ImageMissing) as info:
        images.resolve(
            _NoImages(),  # type: ignore[arg-type]
            profiles.get("al2023"),
        )
    assert (
        info.value.message
        == "base image amazonlinux:2023 for profile al2023 is not present locally"
    )
    assert info.value.hint
    for way in ("docker pull amazonlinux:2023", "docker load -i FILE", "--base-image NAME"):
        assert way in info.value.hint
    with pytest.raises(ImageMissing) as info:
        images.resolve(
            _NoImages(),  # type: ignore[arg-type]
            profiles.get("offline"),
            "corp/debian:12",
        )
    assert "corp/debian:12" in info.value.message

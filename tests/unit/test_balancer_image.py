"""The balancer's image: made from Debian's packages, content-addressed, kept as a cache."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from rpmkit import images, labels
from rpmkit.engine import ImageInfo
from rpmkit.rehearse import balancer_image


def test_the_recipe_is_haproxy_on_bookworm() -> None:
    recipe = balancer_image.load_recipe()
    assert recipe == balancer_image.Recipe("bookworm", "minbase", ("haproxy",))


def test_rootfs_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RPMKIT_DEBIAN_MIRROR", raising=False)
    recipe = balancer_image.Recipe("bookworm", "minbase", ("haproxy", "socat"))
    cmd = balancer_image.rootfs_command(recipe, "/tmp/x.tar")
    assert cmd[:3] == ["mmdebstrap", "--variant=minbase", "--include=haproxy,socat"]
    assert cmd[-2:] == ["bookworm", "/tmp/x.tar"]
    monkeypatch.setenv("RPMKIT_DEBIAN_MIRROR", "http://mirror.example/debian")
    assert balancer_image.rootfs_command(recipe, "-")[-1] == "http://mirror.example/debian"


def test_tags_follow_the_recipe_and_the_dockerfile(tmp_path: Path) -> None:
    folder = tmp_path / "balancer"
    shutil.copytree(balancer_image.directory(), folder)
    first = balancer_image.plan(folder)
    assert first == balancer_image.plan(folder)
    assert first.tag.startswith("rpmkit/balancer:")
    assert first.base.startswith("rpmkit/balancer-rootfs:")
    (folder / "Dockerfile").write_text((folder / "Dockerfile").read_text() + "# changed\n")
    changed = balancer_image.plan(folder)
    assert (changed.tag != first.tag, changed.base == first.base) == (True, True)
    recipe = folder / "recipe.toml"
    recipe.write_text(recipe.read_text().replace('"haproxy"', '"haproxy", "socat"'))
    assert balancer_image.plan(folder).base != first.base


def _image(tag: str, **lab: str) -> ImageInfo:
    return ImageInfo(f"sha256:{tag}", tag, (tag,), lab, 1_000_000, "2026-11-26T00:00:00")


class _Engine:
    """The engine seam's image calls, over a fixed list."""

    def __init__(self, found: list[ImageInfo]) -> None:
        self.found = found
        self.removed: list[str] = []

    def images(self, *, label: str | None = None, repository: str | None = None) -> list[ImageInfo]:
        return [i for i in self.found if label is None or label.split("=")[0] in i.labels]

    def remove_image(self, image_id: str) -> bool:
        self.removed.append(image_id)
        return True

    def containers(self, label: str) -> list[object]:
        return []  # no warm spare waits (prune removes those first)


def test_a_runs_committed_image_is_not_a_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    # Committed from a container of a cached image, it inherits rpmkit.cache.
    cached = _image("rpmkit/balancer:abc", **{labels.CACHE: "balancer"})
    baked = _image("baked", **{labels.CACHE: "image", labels.RUN: "r1", labels.APP: "shop"})
    engine: Any = _Engine([cached, baked])
    assert [row["tags"] for row in images.list_images(engine)] == ["rpmkit/balancer:abc"]
    engine.remove_leftovers = lambda dry_run=False: []
    removed = images.prune(engine)
    assert removed == ["image rpmkit/balancer:abc"]
    assert engine.removed == ["sha256:rpmkit/balancer:abc"]

"""A runtime image that is not the profile's target system is known as a stand-in.

`--base-image` takes any local image; one whose os-release is not Amazon Linux
(a Debian image dressed up with a dnf wrapper, say) must not produce receipts
the gate takes for al2023's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from rpmkit import images, profiles

pytestmark = pytest.mark.docker


def test_the_os_release_decides_whether_an_image_is_the_target(
    engine: Any, offline_images: dict[str, str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    tag = offline_images["runtime"]
    image = engine.image_id(tag)
    al2023 = profiles.get("al2023")
    assert al2023.base.os_release == {"ID": "amzn", "VERSION_ID": "2023"}
    # The offline runtime is Debian: as al2023's runtime it only stands in.
    assert not images.is_target(engine, al2023, tag, image)
    debian = dataclasses.replace(
        al2023, base=dataclasses.replace(al2023.base, os_release={"ID": "debian"})
    )
    assert images.is_target(engine, debian, tag, image)
    # Remembered per image id: no container is made the second time.
    assert list((tmp_path / "rpmkit" / "os-release").iterdir())

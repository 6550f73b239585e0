"""`rpmkit images save|load DIR`: archives named after content-addressed tags."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pytest

from rpmkit.errors import ConfigError, DockerUnavailable
from rpmkit.images import archive as image_archive


class Engine:
    """An engine holding some tags; an archive is the tag's name as bytes."""

    def __init__(self, tags: set[str], broken: bool = False) -> None:
        self.tags = tags
        self.saved: list[str] = []
        self.broken = broken

    def image_id(self, ref: str) -> str | None:
        return f"sha256:{ref}" if ref in self.tags else None

    def save_image(self, ref: str, out: BinaryIO) -> None:
        self.saved.append(ref)
        out.write(ref.encode())

    def load_image(self, data: BinaryIO) -> list[str]:
        if self.broken:
            raise DockerUnavailable("Docker engine at x failed while loading: unexpected EOF")
        tag = data.read().decode()
        self.tags.add(tag)
        return [tag]


RUNTIME, BUILDER = "rpmkit/offline-runtime:28b880be731c", "rpmkit/offline-builder:a0f7c8e95685"


def test_file_names_give_the_tag_back() -> None:
    name = image_archive.file_name(RUNTIME)
    assert "/" not in name
    assert image_archive.tag_of(Path(name)) == RUNTIME
    for other in ("notes.txt", ".rpmkit%2Fx%3A1.tar.1.partial", "no-tag.tar", "a%3Ab%2Fc.tar"):
        assert image_archive.tag_of(Path(other)) is None, other


def test_save_writes_each_tag_once_and_drops_older_tags_of_the_same_images(
    tmp_path: Path,
) -> None:
    engine = Engine({RUNTIME, BUILDER})
    old = tmp_path / image_archive.file_name("rpmkit/offline-runtime:0000old00000")
    other = tmp_path / image_archive.file_name("rpmkit/al2023-runtime:1111")
    tmp_path.mkdir(exist_ok=True)
    old.write_bytes(b"old")
    other.write_bytes(b"other profile")
    outcomes, removed = image_archive.save(engine, [BUILDER, RUNTIME], tmp_path)  # type: ignore[arg-type]
    assert [(o.tag, o.status) for o in outcomes] == [(BUILDER, "saved"), (RUNTIME, "saved")]
    assert removed == [old]
    assert other.exists()
    assert (tmp_path / image_archive.file_name(RUNTIME)).read_bytes() == RUNTIME.encode()
    outcomes, _ = image_archive.save(engine, [BUILDER, RUNTIME], tmp_path)  # type: ignore[arg-type]
    assert {o.status for o in outcomes} == {"up to date"}
    assert engine.saved == [BUILDER, RUNTIME]
    assert not list(tmp_path.glob(".*"))  # no partial file left


def test_load_brings_only_what_the_engine_lacks(tmp_path: Path) -> None:
    image_archive.save(Engine({RUNTIME, BUILDER}), [BUILDER, RUNTIME], tmp_path)  # type: ignore[arg-type]
    engine = Engine({BUILDER})
    outcomes = image_archive.load(engine, tmp_path)  # type: ignore[arg-type]
    assert {(o.tag, o.status) for o in outcomes} == {(BUILDER, "present"), (RUNTIME, "loaded")}
    assert RUNTIME in engine.tags


def test_a_cold_cache_loads_nothing_and_a_bad_archive_is_reported(tmp_path: Path) -> None:
    assert image_archive.load(Engine(set()), tmp_path / "missing") == []  # type: ignore[arg-type]
    (tmp_path / image_archive.file_name(RUNTIME)).write_bytes(b"truncated")
    outcomes = image_archive.load(Engine(set(), broken=True), tmp_path)  # type: ignore[arg-type]
    assert [(o.status, o.detail) for o in outcomes] == [
        ("failed", "Docker engine at x failed while loading: unexpected EOF")
    ]
    wrong = Engine(set())
    (tmp_path / image_archive.file_name(RUNTIME)).write_bytes(b"rpmkit/other:1")
    assert [o.status for o in image_archive.load(wrong, tmp_path)] == ["failed"]  # type: ignore[arg-type]


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="cannot create"):
        image_archive.save(Engine({RUNTIME}), [RUNTIME], tmp_path / "file" / "dir")  # type: ignore[arg-type]

"""dist/ gets a build's files only when it passed; dist/failed/ keeps a failed one's."""

from __future__ import annotations

from pathlib import Path

import pytest

from rpmkit.build import outputs


def staged(staging: outputs.Staging, *names: str) -> list[Path]:
    paths = [staging.path / n for n in names]
    for p in paths:
        p.write_text(p.name)
    return paths


def test_promote_moves_into_dist_and_leaves_no_staging(tmp_path: Path) -> None:
    with outputs.Staging(tmp_path, "r1") as staging:
        files = staged(staging, "web-1-1.noarch.rpm", "web-1-1.src.rpm", "web-1-1.build.log")
        assert not list(tmp_path.glob("*.rpm"))  # nothing in dist/ while building
        moved = staging.promote(files)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "web-1-1.build.log", "web-1-1.noarch.rpm", "web-1-1.src.rpm",
    ]  # fmt: skip
    assert moved[files[0]] == tmp_path / "web-1-1.noarch.rpm"


def test_fail_moves_into_failed(tmp_path: Path) -> None:
    (tmp_path / "failed").mkdir()
    (tmp_path / "failed" / "web-1-1.noarch.rpm").write_text("older failure")
    with outputs.Staging(tmp_path, "r2") as staging:
        staging.fail(staged(staging, "web-1-1.noarch.rpm", "web-1-1.build.log"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failed"]
    assert (tmp_path / "failed" / "web-1-1.noarch.rpm").read_text() == "web-1-1.noarch.rpm"


def test_an_interrupted_build_keeps_nothing(tmp_path: Path) -> None:
    def build() -> None:
        with outputs.Staging(tmp_path, "r3") as staging:
            staged(staging, "web-1-1.noarch.rpm")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build()
    assert list(tmp_path.iterdir()) == []


def test_stale_finds_the_same_nvr_only(tmp_path: Path) -> None:
    names = (
        "web-1-1.x86_64.rpm", "web-1-1.src.rpm", "web-1-10.x86_64.rpm",
        "web-tools-1-1.x86_64.rpm", "web-1-1.amzn2023.noarch.rpm", "web-1-1.build.log",
    )  # fmt: skip
    for name in names:
        (tmp_path / name).write_text("x")
    pattern = outputs.package_pattern("web", "1", "1")
    assert [p.name for p in outputs.stale(tmp_path, [pattern])] == [
        "web-1-1.amzn2023.noarch.rpm", "web-1-1.src.rpm", "web-1-1.x86_64.rpm",
    ]  # fmt: skip
    assert outputs.stale(tmp_path / "missing", [pattern]) == []

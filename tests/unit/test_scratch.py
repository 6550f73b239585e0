"""Scratch folders: removed after use, and those of a killed run removed by the next."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rpmkit import scratch
from rpmkit.build import outputs


def _dead_owner() -> str:
    """The owner line of a process that has ended."""
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return f"{socket.gethostname()}:{proc.stdout.strip()}:1"


def _folder(root: Path, name: str, owner: str | None) -> Path:
    made = root / name
    made.mkdir()
    (made / "payload").write_text("x")
    if owner is not None:
        (made / scratch.OWNER_FILE).write_text(owner + "\n")
    return made


@pytest.fixture(autouse=True)
def scratch_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setenv("TMPDIR", str(root))
    monkeypatch.setattr("tempfile.tempdir", None)  # tempfile reads TMPDIR again
    return root


def test_a_scratch_folder_names_its_owner_and_goes_after_use(scratch_root: Path) -> None:
    with scratch.scratch("build") as made:
        assert made.parent == scratch_root
        assert made.name.startswith("rpmkit-build-")
        assert (made / scratch.OWNER_FILE).read_text().startswith(f"{socket.gethostname()}:")
        assert scratch.reap() == []  # this process lives: not reaped
    assert not made.exists()


def test_read_only_contents_are_removed(scratch_root: Path) -> None:
    made = scratch.folder("rpms")
    inner = made / "staged"
    inner.mkdir()
    (inner / "a.rpm").write_bytes(b"x")
    (inner / "a.rpm").chmod(0o444)
    inner.chmod(0o555)
    scratch.remove(made)
    assert not made.exists()


def test_the_next_run_reaps_a_dead_runs_folders_only(scratch_root: Path) -> None:
    dead = _folder(scratch_root, "rpmkit-rpms-dead", _dead_owner())
    (dead / "payload").chmod(0o444)
    dead.chmod(0o555)  # as a staging folder of read-only copies is
    live = _folder(scratch_root, "rpmkit-build-live", f"{socket.gethostname()}:{os.getpid()}:")
    elsewhere = _folder(scratch_root, "rpmkit-rpms-other", "another-host:1:1")
    unmarked = _folder(scratch_root, "rpmkit-rpms-old", None)
    foreign = _folder(scratch_root, "other-tool-dead", _dead_owner())
    assert scratch.reap() == [dead]
    assert not dead.exists()
    for kept in (live, elsewhere, unmarked, foreign):
        assert kept.exists()


def test_a_symlink_is_never_followed(scratch_root: Path, tmp_path: Path) -> None:
    target = _folder(tmp_path, "precious", _dead_owner())
    (scratch_root / "rpmkit-rpms-link").symlink_to(target)
    assert scratch.reap() == []
    assert (target / "payload").exists()


def test_a_killed_builds_staging_folder_goes_at_the_next_build(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    dead = _folder(dist, f"{outputs.STAGING_PREFIX}dead", _dead_owner())
    with outputs.Staging(dist, "next") as staging:
        assert not dead.exists()
        (staging.path / "x-1-1.noarch.rpm").write_bytes(b"rpm")
        files = sorted(staging.path.iterdir())
        assert scratch.OWNER_FILE in [p.name for p in files]
        staging.fail(files)
    # The owner file is the folder's, never a build output.
    assert [p.name for p in (dist / outputs.FAILED).iterdir()] == ["x-1-1.noarch.rpm"]
    assert not staging.path.exists()


def test_a_half_written_owner_file_is_never_taken_for_a_dead_owner(scratch_root: Path) -> None:
    # Another run's reaper may look between mkdtemp and the owner file's rename.
    for text in ("", "host-only", "host:12"):
        made = _folder(scratch_root, f"rpmkit-put-{len(text)}", text)
        assert scratch.reap() == []
        assert made.exists()
    live = scratch.folder("put")
    assert [p.name for p in live.iterdir()] == [scratch.OWNER_FILE]  # no temporary left

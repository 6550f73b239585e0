"""The sources made on the host: the build's epoch, the archive put into the builder."""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

from rpmkit.build import sources


def _touch(root: Path, *paths: str, text: str = "x\n") -> None:
    for rel in paths:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_source_date_epoch_from_the_environment(tmp_path: Path) -> None:
    assert sources.source_date_epoch(tmp_path, {"SOURCE_DATE_EPOCH": "1234"}) == 1234


def test_source_date_epoch_outside_git_is_fixed(tmp_path: Path) -> None:
    assert sources.source_date_epoch(tmp_path, {}) == sources.FALLBACK_EPOCH


def test_source_date_epoch_is_the_apps_last_commit(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }

    def git(*args: str, when: int | None = None) -> None:
        extra = {"GIT_COMMITTER_DATE": f"{when} +0000"} if when else {}
        cmd = ["git", "-C", str(tmp_path), *args]
        subprocess.run(cmd, check=True, env={**env, **extra}, capture_output=True)

    _touch(tmp_path, "web/app.py", "other/app.py")
    git("init", "-q")
    git("add", "web")
    git("commit", "-q", "-m", "web", when=1_600_000_000)
    git("add", "other")
    git("commit", "-q", "-m", "other", when=1_650_000_000)
    # The later commit touched another app only.
    assert sources.source_date_epoch(tmp_path / "web", {}) == 1_600_000_000
    assert sources.source_date_epoch(tmp_path / "other", {}) == 1_650_000_000


def test_input_archive(tmp_path: Path) -> None:
    tarball = tmp_path / "web-1.2.tar.gz"
    tarball.write_bytes(b"tgz")
    dest = sources.input_archive(
        "/tmp/rpmbuild",
        {"SPECS/web.spec": b"Name: web\n", "SOURCES/web-1.2.tar.gz": tarball},
        tmp_path / "in.tar",
        42,
    )
    with tarfile.open(dest) as tar:
        members = {m.name: m for m in tar}
        spec = tar.extractfile("rpmbuild/SPECS/web.spec")
        assert spec is not None
        assert spec.read() == b"Name: web\n"
    assert list(members) == [
        "rpmbuild",
        "rpmbuild/SOURCES",
        "rpmbuild/SPECS",
        "rpmbuild/SOURCES/web-1.2.tar.gz",
        "rpmbuild/SPECS/web.spec",
    ]
    assert {(m.uid, m.mtime) for m in members.values()} == {(0, 42)}

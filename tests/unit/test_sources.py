"""The source tarball: what goes in, and byte-identical output for identical inputs."""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from rpmkit import sources


def _touch(root: Path, *paths: str, text: str = "x\n") -> None:
    for rel in paths:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """An app directory with something of everything that must be left out."""
    root = tmp_path / "app"
    _touch(
        root,
        "app.py",
        "pkg/__init__.py",
        "pkg/__pycache__/mod.cpython-311.pyc",
        "pkg/stale.pyc",
        "dist/app-1.0-1.noarch.rpm",
        ".git/HEAD",
        ".venv/bin/python",
        "env2/pyvenv.cfg",
        "env2/lib/site.py",
        "static/dist/app.js",
        "logs/today.log",
        "keep.log",
        "notes.tmp",
        "secrets/key.pem",
        "secrets/README",
        "docs/draft.md",
    )
    (root / ".gitignore").write_text("*.log\n!keep.log\n")
    (root / "secrets/.gitignore").write_text("*.pem\n")
    return root


def _names(root: Path, exclude: tuple[str, ...] = ()) -> list[str]:
    return [str(p) for p in sources.files(root, exclude)]


def test_gitignore_exclude_and_the_always_excluded(app: Path) -> None:
    names = _names(app, ("*.tmp", "docs/"))
    assert names == [
        ".gitignore",
        "app.py",
        "keep.log",  # re-included by "!keep.log"
        "logs",
        "pkg",
        "pkg/__init__.py",
        "secrets",
        "secrets/.gitignore",
        "secrets/README",  # key.pem ignored by the nested .gitignore
        "static",
        "static/dist",  # only the top-level dist/ is rpmkit's output
        "static/dist/app.js",
    ]


def test_output_directory_elsewhere_in_the_app_is_left_out(app: Path) -> None:
    _touch(app, "out/app.rpm")
    assert "out/app.rpm" in _names(app)
    assert not [n for n in map(str, sources.files(app, (), [app / "out"])) if n.startswith("out")]


def test_gitignore_above_the_app_counts_inside_a_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _touch(repo, ".git/HEAD", "apps/web/app.py", "apps/web/build/out.bin", "apps/web/cache.db")
    (repo / ".gitignore").write_text("build/\n")
    (repo / "apps/.gitignore").write_text("web/*.db\n")
    assert _names(repo / "apps/web") == ["app.py"]


def test_gitignore_above_the_app_means_nothing_outside_a_repository(tmp_path: Path) -> None:
    _touch(tmp_path, "apps/web/app.py", "apps/web/build/out.bin")
    (tmp_path / ".gitignore").write_text("build/\n")
    assert _names(tmp_path / "apps/web") == ["app.py", "build", "build/out.bin"]


def test_an_ignored_directory_is_not_entered(tmp_path: Path) -> None:
    # As in git: "!build/keep" cannot re-include a file inside an excluded directory.
    _touch(tmp_path, "build/keep", "app.py")
    (tmp_path / ".gitignore").write_text("build/\n!build/keep\n")
    assert _names(tmp_path) == [".gitignore", "app.py"]


def test_tarball_layout_and_metadata(app: Path, tmp_path: Path) -> None:
    (app / "run.sh").write_text("#!/bin/sh\n")
    (app / "run.sh").chmod(0o775)
    (app / "app.py").chmod(0o664)
    (app / "link").symlink_to("app.py")
    out = tmp_path / "out"
    out.mkdir()
    path = sources.make_tarball(app, "web", "1.2", out, 1_700_000_000)
    assert path == out / "web-1.2.tar.gz"
    with tarfile.open(path) as tar:
        members = {m.name: m for m in tar}
    assert next(iter(members)) == "web-1.2"
    assert all(name == "web-1.2" or name.startswith("web-1.2/") for name in members)
    assert {m.mtime for m in members.values()} == {1_700_000_000}
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members.values()} == {(0, 0, "root", "root")}
    assert members["web-1.2/run.sh"].mode == 0o755
    assert members["web-1.2/app.py"].mode == 0o644
    assert members["web-1.2/pkg"].mode == 0o755
    assert members["web-1.2/link"].issym()
    assert members["web-1.2/link"].linkname == "app.py"
    assert "web-1.2/dist" not in members
    assert list(members) == sorted(members)
    with gzip.open(path) as gz:
        gz.read()
    header = path.read_bytes()[:10]
    assert header[4:8] == b"\0\0\0\0", "gzip header carries a time"


def test_tarball_is_byte_identical_across_runs(app: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    a = sources.make_tarball(app, "web", "1.2", first, 1_700_000_000)
    # What differs between two checkouts must not matter: file times and umask.
    for path in app.rglob("*"):
        os.utime(path, (1_000_000, 1_000_000), follow_symlinks=False)
    (app / "app.py").chmod(0o600)
    b = sources.make_tarball(app, "web", "1.2", second, 1_700_000_000)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


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

"""What ships: the app folder's files in the source tarball, and a byte-identical tarball."""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
from pathlib import Path

import pytest

from rpmkit.build import tarball
from rpmkit.errors import ConfigError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "build.md"


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


def _names(root: Path, exclude: tuple[str, ...] = (), include: tuple[str, ...] = ()) -> list[str]:
    return [str(p) for p in tarball.listing(root, exclude, include).entries]


def _write(app: Path, out: Path, mtime: int = 1_700_000_000) -> Path:
    out.mkdir(exist_ok=True)
    entries = tarball.listing(app).entries
    return tarball.write(app, entries, out / "web-1.2.tar.gz", "web-1.2", mtime)


def test_gitignore_exclude_and_the_always_excluded(app: Path) -> None:
    names = _names(app, ("*.tmp", "docs/"))
    assert names == [
        "app.py",  # .gitignore files never ship: version control metadata
        "keep.log",  # re-included by "!keep.log"
        "logs",
        "pkg",
        "pkg/__init__.py",
        "secrets",
        "secrets/README",  # key.pem ignored by the nested .gitignore
        "static",
        "static/dist",  # only the top-level dist/ is rpmkit's output
        "static/dist/app.js",
    ]


def test_output_directory_elsewhere_in_the_app_is_left_out(app: Path) -> None:
    _touch(app, "out/app.rpm")
    assert "out/app.rpm" in _names(app)
    names = map(str, tarball.listing(app, (), (), [app / "out"]).entries)
    assert not [n for n in names if n.startswith("out")]


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
    assert _names(tmp_path) == ["app.py"]


def test_tarball_layout_and_metadata(app: Path, tmp_path: Path) -> None:
    (app / "run.sh").write_text("#!/bin/sh\n")
    (app / "run.sh").chmod(0o775)
    (app / "app.py").chmod(0o664)
    (app / "link").symlink_to("app.py")
    path = _write(app, tmp_path / "out")
    assert path == tmp_path / "out" / "web-1.2.tar.gz"
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
    a = _write(app, tmp_path / "one")
    # What differs between two checkouts must not matter: file times and umask.
    for path in app.rglob("*"):
        os.utime(path, (1_000_000, 1_000_000), follow_symlinks=False)
    (app / "app.py").chmod(0o600)
    b = _write(app, tmp_path / "two")
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_version_control_and_droppings_never_ship(tmp_path: Path) -> None:
    dropped = (
        ".gitignore", ".gitattributes", ".gitmodules", ".github/workflows/ci.yml", ".hgignore",
        ".hg/store", ".svn/entries", "CVS/Root", ".bzrignore", "app.py~", ".app.py.swp",
        "notes.swo", ".#app.py", "#app.py#", ".DS_Store", "static/._logo.png", "Thumbs.db",
        ".idea/workspace.xml", ".vscode/settings.json", ".pytest_cache/v", ".mypy_cache/x",
        "pkg/__pycache__/m.pyc",
    )  # fmt: skip
    _touch(tmp_path, "app.py", "pkg/m.py", "static/logo.png", *dropped)
    # Not even .gitignore's "!" brings them back: rpmkit never ships them.
    (tmp_path / ".gitignore").write_text("!.DS_Store\n!*~\n")
    assert _names(tmp_path, include=(".DS_Store", "app.py~")) == [
        "app.py", "pkg", "pkg/m.py", "static", "static/logo.png",
    ]  # fmt: skip


def test_likely_secrets_are_withheld_and_named(tmp_path: Path) -> None:
    secrets = (".env", ".env.production", "deploy/id_rsa", "tls/server.key", "tls/ca.pem",
               ".netrc", "pip.conf", ".pypirc", "certs/client.p12")  # fmt: skip
    _touch(tmp_path, "app.py", "deploy/id_rsa.pub", "settings.py", *secrets)
    found = tarball.listing(tmp_path)
    assert [str(p) for p in found.withheld] == sorted(secrets)
    assert [str(p) for p in found.entries] == [
        "app.py", "certs", "deploy", "deploy/id_rsa.pub", "settings.py", "tls",
    ]  # fmt: skip


def test_include_puts_a_likely_secret_back(tmp_path: Path) -> None:
    _touch(tmp_path, "app.py", "tls/ca.pem", ".env")
    found = tarball.listing(tmp_path, include=("tls/ca.pem", "nothing-*.key"))
    assert "tls/ca.pem" in map(str, found.entries)
    assert [str(p) for p in found.withheld] == [".env"]
    assert found.unused_include == ("nothing-*.key",)


def test_include_does_not_undo_exclude_or_gitignore(tmp_path: Path) -> None:
    _touch(tmp_path, "app.py", ".env", "local.pem")
    (tmp_path / ".gitignore").write_text(".env\n")
    found = tarball.listing(tmp_path, exclude=("local.pem",), include=(".env", "local.pem"))
    assert [str(p) for p in found.entries] == ["app.py"]
    assert found.withheld == ()
    assert found.unused_include == (".env", "local.pem")


def test_explain_names_the_rule_that_leaves_a_file_out(tmp_path: Path) -> None:
    _touch(tmp_path, "nginx/site.conf", "conf/app.key", "build/gen.conf", "app.py")
    (tmp_path / ".gitignore").write_text("build/\n")
    assert tarball.explain(tmp_path, "app.py") is None
    assert tarball.explain(tmp_path, "nginx/site.conf", ["nginx/"]) == (
        "exclude pattern 'nginx/' leaves it out"
    )
    assert tarball.explain(tmp_path, "build/gen.conf") == (
        f"{tmp_path.resolve() / '.gitignore'} leaves it out (pattern 'build/')"
    )
    assert "may hold secrets" in (tarball.explain(tmp_path, "conf/app.key") or "")
    assert tarball.explain(tmp_path, "conf/app.key", include=["conf/app.key"]) is None
    assert "never ships" in (tarball.explain(tmp_path, ".github/x.conf") or "")


def test_a_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _touch(repo, ".git/HEAD", "shared/lib.py", "apps/web/app.py")
    _touch(tmp_path, "elsewhere/data.txt")
    web = repo / "apps" / "web"
    (web / "lib.py").symlink_to("../../shared/lib.py")  # inside the repository: fine
    (web / "data.txt").symlink_to(tmp_path / "elsewhere" / "data.txt")
    (web / "etc").symlink_to("/etc")
    with pytest.raises(ConfigError) as info:
        tarball.listing(web)
    lines = info.value.message.splitlines()
    assert len(lines) == 2
    assert "data.txt is a symlink to" in lines[0]
    assert f"outside the repository ({repo.resolve()})" in lines[0]
    assert "etc is a symlink to /etc" in lines[1]
    # Left out, they are not shipped and not refused.
    assert "lib.py" in _names(web, ("data.txt", "etc"))


def test_outside_git_the_app_folder_is_the_root(tmp_path: Path) -> None:
    _touch(tmp_path, "shared/lib.py", "web/app.py")
    (tmp_path / "web" / "lib.py").symlink_to("../shared/lib.py")
    with pytest.raises(ConfigError, match="lib.py is a symlink"):
        tarball.listing(tmp_path / "web")


def test_the_manual_lists_the_default_exclude_lists() -> None:
    manual = DOCS.read_text()
    for pattern in (*tarball.NEVER_SHIPPED, *tarball.LIKELY_SECRETS):
        assert f"`{pattern}`" in manual, pattern

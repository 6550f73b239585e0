"""Wheels for the target: pip's arguments, the cache key, and real pip against local wheels."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from rpmkit.build import wheelhouse
from rpmkit.errors import BuildError
from rpmkit.progress import Reporter

QUIET = Reporter(verbosity=-1)
TARGET = wheelhouse.target("3.11", "x86_64")


def _wheel(directory: Path, name: str, tag: str = "py3-none-any", requires: str = "") -> Path:
    """A minimal valid wheel: a module and its dist-info."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-1.0-{tag}.whl"
    info = f"{name}-1.0.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
    if requires:
        metadata += f"Requires-Dist: {requires}\n"
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(f"{name}.py", "")
        whl.writestr(f"{info}/METADATA", metadata)
        whl.writestr(f"{info}/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n")
        whl.writestr(f"{info}/RECORD", "")
    return path


def test_platforms_stop_at_the_oldest_profiles_glibc() -> None:
    tags = TARGET.platforms
    assert tags[0] == f"manylinux_2_{wheelhouse.GLIBC_FLOOR}_x86_64"
    assert {"manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64"} <= set(tags)
    assert "manylinux_2_28_x86_64" not in tags  # would not load on Amazon Linux 2
    assert all(tag.endswith("_x86_64") for tag in tags)


def test_platforms_for_arm() -> None:
    target = wheelhouse.target("3.11", "arm64")
    assert target.machine == "aarch64"
    assert "manylinux2014_aarch64" in target.platforms
    assert "manylinux1_aarch64" not in target.platforms  # never defined for aarch64


def test_abi() -> None:
    assert TARGET.abi == "cp311"
    assert wheelhouse.target("3.9", "x86_64").abi == "cp39"


def test_cache_key_names_requirements_target_and_index() -> None:
    key = wheelhouse.cache_key("flask==3.1.2\n", TARGET, None)
    assert key == wheelhouse.cache_key("flask==3.1.2\n", TARGET, None)
    others = {
        wheelhouse.cache_key("flask==3.1.3\n", TARGET, None),
        wheelhouse.cache_key("flask==3.1.2\n", wheelhouse.target("3.9", "x86_64"), None),
        wheelhouse.cache_key("flask==3.1.2\n", wheelhouse.target("3.11", "aarch64"), None),
        wheelhouse.cache_key("flask==3.1.2\n", TARGET, "https://pypi.example.com/simple"),
    }
    assert key not in others
    assert len(others) == 4


def test_cache_root() -> None:
    assert wheelhouse.cache_root({"XDG_CACHE_HOME": "/c"}) == Path("/c/rpmkit/wheels")
    assert wheelhouse.cache_root({}) == Path.home() / ".cache/rpmkit/wheels"


def test_download_command() -> None:
    cmd = wheelhouse.download_command(Path("/app/req.txt"), Path("/d"), TARGET, "https://ix/simple")
    assert cmd[1:4] == ["-m", "pip", "download"]
    text = " ".join(cmd)
    for part in (
        "--dest /d",
        "--requirement /app/req.txt",
        "--only-binary=:all:",
        "--implementation cp",
        "--python-version 3.11",
        "--abi cp311",
        "--platform manylinux2014_x86_64",
        "--index-url https://ix/simple",
    ):
        assert part in text
    assert "--no-index" not in cmd


def test_download_command_from_a_wheelhouse() -> None:
    cmd = wheelhouse.download_command(Path("r.txt"), Path("/d"), TARGET, "https://ix", Path("/w"))
    assert cmd[-4:] == ["--isolated", "--no-index", "--find-links", "/w"]
    assert "--index-url" not in cmd


def test_fetch_from_a_wheelhouse_takes_what_the_target_needs(tmp_path: Path) -> None:
    house = tmp_path / "house"
    _wheel(house, "rk_app", requires="rk_dep")
    _wheel(house, "rk_dep")
    _wheel(house, "rk_native", "cp311-cp311-manylinux_2_28_x86_64")  # too new a glibc
    _wheel(house, "rk_unused")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("rk_app\n")
    scratch = tmp_path / "scratch"
    found = wheelhouse.fetch(requirements, TARGET, QUIET, scratch, wheelhouse=house)
    assert sorted(p.name for p in found.iterdir()) == [
        "requirements.txt",
        "rk_app-1.0-py3-none-any.whl",
        "rk_dep-1.0-py3-none-any.whl",
    ]
    assert (found / "requirements.txt").read_text() == "rk_app\n"
    requirements.write_text("rk_native\n")
    with pytest.raises(BuildError) as info:
        wheelhouse.fetch(requirements, TARGET, QUIET, tmp_path / "scratch2", wheelhouse=house)
    assert "pip download failed" in info.value.message
    assert "manylinux (glibc <= 2.26) x86_64" in info.value.message
    assert info.value.hint
    assert "--wheelhouse" in info.value.hint
    assert "rk_native" in (info.value.details or "")


def test_fetch_caches_by_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    index = tmp_path / "index"
    wheel = _wheel(index / "files", "rk_cached")
    (index / "simple/rk-cached").mkdir(parents=True)
    (index / "simple/rk-cached/index.html").write_text(
        f'<a href="../../files/{wheel.name}">{wheel.name}</a>\n'
    )
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("rk_cached\n")
    url = (index / "simple").as_uri()
    first = wheelhouse.fetch(requirements, TARGET, QUIET, tmp_path / "s1", index_url=url)
    key = wheelhouse.cache_key("rk_cached\n", TARGET, url)
    assert first == tmp_path / "cache/rpmkit/wheels" / key
    assert sorted(p.name for p in first.iterdir()) == ["requirements.txt", wheel.name]
    assert [p.name for p in first.parent.iterdir()] == [key]  # no partial download left
    shutil.rmtree(index)  # a second build must not need the index
    assert wheelhouse.fetch(requirements, TARGET, QUIET, tmp_path / "s2", index_url=url) == first


def test_pack_is_flat_sorted_and_identical(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    _wheel(wheels, "rk_b")
    _wheel(wheels, "rk_a")
    (wheels / "notes.txt").write_text("not a wheel")
    one = wheelhouse.pack(wheels, tmp_path / "one.tar", 1_700_000_000)
    for path in wheels.iterdir():
        path.touch()
    two = wheelhouse.pack(wheels, tmp_path / "two.tar", 1_700_000_000)
    assert hashlib.sha256(one.read_bytes()).digest() == hashlib.sha256(two.read_bytes()).digest()
    with tarfile.open(one) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["rk_a-1.0-py3-none-any.whl", "rk_b-1.0-py3-none-any.whl"]
    assert {(m.mode, m.uid, m.mtime) for m in members} == {(0o644, 0, 1_700_000_000)}
    assert wheelhouse.tar_name("web", "1.2") == "web-1.2-wheels.tar"


def test_included_files_are_part_of_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    house = tmp_path / "house"
    _wheel(house, "rk_flask")
    (tmp_path / ".git").mkdir()
    app = tmp_path / "app"
    app.mkdir()
    requirements = app / "requirements.txt"
    requirements.write_text("-r ../base.txt\n--constraint=pins.txt\n-r requirements.txt\n")
    (tmp_path / "base.txt").write_text("rk_flask\n")
    (app / "pins.txt").write_text("rk_flask==1.0\n")
    found = wheelhouse.fetch(requirements, TARGET, QUIET, tmp_path / "s1", wheelhouse=house)
    # pip read the flattened copy; the spec's pip install reads the same, shipped with the wheels.
    assert (found / "requirements.txt").read_text() == "rk_flask\n-c constraints.txt\n"
    assert (found / "constraints.txt").read_text() == "rk_flask==1.0\n"
    with tarfile.open(wheelhouse.pack(found, tmp_path / "w.tar", 0)) as tar:
        assert set(tar.getnames()) == {
            "constraints.txt",
            "requirements.txt",
            "rk_flask-1.0-py3-none-any.whl",
        }


def test_extra_requirements_end_the_flattened_list(tmp_path: Path) -> None:
    house = tmp_path / "house"
    _wheel(house, "rk_app")
    _wheel(house, "rk_server", requires="rk_dep")
    _wheel(house, "rk_dep")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("rk_app\n")
    found = wheelhouse.fetch(
        requirements, TARGET, QUIET, tmp_path / "s", wheelhouse=house, extra=("RK-Server",)
    )
    assert sorted(p.name.split("-")[0] for p in found.glob("*.whl")) == [
        "rk_app",
        "rk_dep",
        "rk_server",
    ]
    # What the spec's pip install reads; the app's own file is unchanged.
    assert (found / "requirements.txt").read_text() == "rk_app\nRK-Server\n"
    assert requirements.read_text() == "rk_app\n"
    alone = wheelhouse.fetch(
        None, TARGET, QUIET, tmp_path / "s2", wheelhouse=house, extra=("rk_dep",)
    )
    assert sorted(p.name for p in alone.iterdir()) == [
        "requirements.txt",
        "rk_dep-1.0-py3-none-any.whl",
    ]
    with pytest.raises(BuildError, match="failed for python.extra_requirements rk_missing"):
        wheelhouse.fetch(
            None, TARGET, QUIET, tmp_path / "s3", wheelhouse=house, extra=("rk_missing",)
        )

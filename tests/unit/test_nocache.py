"""Caches that cannot be used: a one-line warning, and the run goes on without them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rpmkit import instances, nocache
from rpmkit.build import wheelhouse
from rpmkit.check import cache
from rpmkit.checks import Check
from rpmkit.progress import Reporter
from rpmkit.report.text import Report
from rpmkit.verify import baseline
from tests.unit.test_wheelhouse import _wheel


@pytest.fixture(autouse=True)
def _a_file_for_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    nocache._warned.clear()
    yield blocker
    nocache._warned.clear()


def _one_warning(capsys: pytest.CaptureFixture[str], what: str) -> None:
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith(f"warning: cannot keep the {what} in ")
    assert "not-a-folder" in line
    assert "going on without" in line


def test_the_check_cache(capsys: pytest.CaptureFixture[str]) -> None:
    report = Report("hello-1-1.noarch", "offline", (Check("install", "installed", True),), {})
    cache.store("0" * 64, report)
    cache.store("1" * 64, report)  # once per process, not once per check
    _one_warning(capsys, "check cache")
    assert cache._load("0" * 64) is None


def test_the_kept_instances_record(capsys: pytest.CaptureFixture[str]) -> None:
    instances.record("rpmkit-x-1", "PASS")
    _one_warning(capsys, "record of kept instances")
    assert instances._verdict("rpmkit-x-1") == ""


def test_the_boot_baseline(capsys: pytest.CaptureFixture[str]) -> None:
    path = baseline.cache_path("sha256:img")
    baseline.write(path, "sha256:img", frozenset({"x.service"}))
    _one_warning(capsys, "boot baseline cache")
    assert baseline.read(path) is None


def test_the_wheel_cache_downloads_for_this_build_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    wheel = _wheel(index / "files", "rk_nocache")
    (index / "simple/rk-nocache").mkdir(parents=True)
    (index / "simple/rk-nocache/index.html").write_text(
        f'<a href="../../files/{wheel.name}">{wheel.name}</a>\n'
    )
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("rk_nocache\n")
    found = wheelhouse.fetch(
        requirements, wheelhouse.target("3.11", "x86_64"), Reporter(verbosity=-1),
        tmp_path / "scratch", index_url=(index / "simple").as_uri(),
    )  # fmt: skip
    assert found == tmp_path / "scratch" / "wheels"
    assert sorted(p.name for p in found.iterdir()) == ["requirements.txt", wheel.name]
    _one_warning(capsys, "wheel cache")

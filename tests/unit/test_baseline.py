"""The degraded baseline of a runtime image: measured once, kept by image id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rpmkit import profiles
from rpmkit.labels import Run
from rpmkit.verify import baseline


def test_cache_lives_under_xdg_cache_home(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    assert baseline.cache_path("sha256:" + "ab" * 32, env) == (
        tmp_path / "rpmkit" / "baseline" / f"{'ab' * 32}.json"
    )


def test_written_baseline_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "b" / "x.json"
    baseline.write(path, "sha256:x", frozenset({"a.service", "b.mount"}))
    assert baseline.read(path) == frozenset({"a.service", "b.mount"})
    assert list(path.parent.iterdir()) == [path]  # no temporary file left


def test_unreadable_baseline_is_none(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    assert baseline.read(path) is None
    path.write_text("{not json")
    assert baseline.read(path) is None


class _NoEngine:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the engine was used ({name}) although the baseline is kept")


def test_kept_baseline_needs_no_boot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    baseline.write(baseline.cache_path("sha256:img"), "sha256:img", frozenset({"x.service"}))
    found = baseline.failed_units(
        _NoEngine(),  # type: ignore[arg-type]
        profiles.get("offline"), "tag", "sha256:img", Run("r1", "app"),
    )  # fmt: skip
    assert found == frozenset({"x.service"})

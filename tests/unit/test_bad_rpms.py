"""Files that are not binary RPMs: refused with one line (exit 2) before anything runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rpmkit import cli, engine
from tests.rpmfactory import make_rpm

BAD: dict[str, Callable[[Path], Path]] = {
    "text file named .rpm": lambda d: _write(d / "x-1-1.x86_64.rpm", b"other-1-1.x86_64.rpm\n"),
    "zero bytes": lambda d: _write(d / "x-1-1.x86_64.rpm", b""),
    "truncated": lambda d: _write(
        d / "x-1-1.x86_64.rpm", make_rpm(d / "full.rpm").read_bytes()[:120]
    ),
    "lead only": lambda d: _write(
        d / "x-1-1.x86_64.rpm", make_rpm(d / "full.rpm").read_bytes()[:96]
    ),
    "garbage after a lead": lambda d: _write(
        d / "x-1-1.x86_64.rpm", make_rpm(d / "full.rpm").read_bytes()[:96] + b"\x8e\xad" * 50
    ),
    "directory": lambda d: _mkdir(d / "x-1-1.x86_64.rpm"),
    "source rpm": lambda d: make_rpm(d / "x-1-1.src.rpm", "x", "1", "1", source=True),
    "missing": lambda d: d / "missing-1-1.x86_64.rpm",
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir()  # taken as an app directory: it has no config
    return path


def _no_engine(*args: object, **kwargs: object) -> object:
    raise AssertionError("a bad RPM must be refused before the engine is contacted")


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("command", ["check", "gate", "shell", "publish", "bake"])
def test_refused_with_one_line_before_anything_runs(
    kind: str,
    command: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "connect", _no_engine)
    bad = BAD[kind](tmp_path)
    extra = ["--dry-run", "--repo", str(tmp_path / "yum")] if command == "publish" else []
    extra += ["--dry-run", "--base-ami", "ami-0123456789abcdef0"] if command == "bake" else []
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, str(bad), *extra])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir() if "receipt" in p.name) == []


def test_another_architecture_is_refused_before_the_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rpmkit import profiles

    other = "aarch64" if profiles.host_arch() != "aarch64" else "x86_64"
    rpm = make_rpm(tmp_path / f"x-1-1.{other}.rpm", "x", "1", "1", other)

    class _Engine:
        def image_id(self, ref: str) -> None:
            return None

    monkeypatch.setattr(engine, "connect", lambda *a, **k: _Engine())
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", str(rpm), "--profile", "offline"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert f"built for {other}" in err
    assert len(err.strip().splitlines()) == 1

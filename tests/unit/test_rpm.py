"""Files that are not binary RPMs: refused with one line (exit 2) before anything runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rpmkit import cli, engine, rpm
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
    # NEVRA fields no rpmbuild makes: they would write on the terminal, or fake a verdict
    "ESC in the name": lambda d: make_rpm(d / "x-1-1.x86_64.rpm", "x\x1b[2J\x1b[32mok"),
    "a fake verdict in the name": lambda d: make_rpm(
        d / "x-1-1.x86_64.rpm", "x\nPASS: hello-1-1.x86_64 on al2023\nreceipt: /tmp/r"
    ),
    "space in the version": lambda d: make_rpm(d / "x-1-1.x86_64.rpm", "x", "1 0"),
    "tab in the release": lambda d: make_rpm(d / "x-1-1.x86_64.rpm", "x", "1", "1\t2"),
    "line separator in the arch": lambda d: make_rpm(d / "x.rpm", "x", "1", "1", "x86\u2028"),
    "NUL-free C1 control in the name": lambda d: make_rpm(d / "x.rpm", "x\x9bq"),
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


@pytest.mark.parametrize(
    ("name", "shown"),
    [("x\x1b[2Jok", r"'x\x1b[2Jok'"), ("x\nPASS: y\nreceipt: z", r"'x\nPASS: y\nreceipt: z'")],
)
def test_a_nevra_field_with_a_control_character_is_shown_escaped(
    name: str, shown: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpm = make_rpm(tmp_path / "x-1-1.x86_64.rpm", name)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gate", str(rpm)])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2
    assert out == ""
    [line] = err.splitlines()
    assert f"its NAME {shown} holds" in line
    assert "\x1b" not in err


def test_a_directory_given_to_stage_is_refused_with_one_line(tmp_path: Path) -> None:
    # `check --upgrade-from DIR`: the old RPMs are staged without an earlier validation.
    (tmp_path / "old").mkdir()
    (tmp_path / "into").mkdir()
    with pytest.raises(rpm.RpmFormatError, match="a directory, not an RPM file"):
        rpm.stage([tmp_path / "old"], tmp_path / "into")

"""`rpmkit doctor`'s findings that need no engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from rpmkit import doctor, profiles


def test_boot_finding_per_cgroup_version() -> None:
    ok = doctor.boot_finding(profiles.get("offline"), cgroup=2)
    assert ok.ok
    assert ok.detail == "cgroup v2 host: offline boots systemd as PID 1"
    al2 = doctor.boot_finding(profiles.get("al2"), cgroup=2)
    assert not al2.ok
    assert "systemd 219" in al2.detail
    assert "--no-boot" in al2.hint
    assert doctor.boot_finding(profiles.get("al2"), cgroup=1).ok


class _Engine:
    def __init__(self, root: str, local: bool = True, driver: str = "overlay2") -> None:
        self.is_local = local
        self._info = {
            "DockerRootDir": root,
            "Driver": driver,
            "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]],
        }

    def info(self) -> dict[str, object]:
        return self._info


def test_storage_finding_warns_on_ext4_without_journal_or_topdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "overlay2").mkdir()
    monkeypatch.setattr(doctor, "_journaled", lambda path: False)
    monkeypatch.setattr(doctor, "_flags", lambda path: 0)
    found = doctor.storage_finding(_Engine(str(tmp_path)))  # type: ignore[arg-type]
    assert found.ok
    assert found.warning
    assert "without a journal" in found.detail
    assert found.hint.startswith(f"chattr +T {tmp_path}/overlay2")
    monkeypatch.setattr(doctor, "_flags", lambda path: doctor.FS_TOPDIR_FL)
    topdir = doctor.storage_finding(_Engine(str(tmp_path)))  # type: ignore[arg-type]
    assert topdir.ok
    assert not topdir.warning
    assert "is a top directory" in topdir.detail
    monkeypatch.setattr(doctor, "_flags", lambda path: 0)
    monkeypatch.setattr(doctor, "_journaled", lambda path: True)
    journaled = doctor.storage_finding(_Engine(str(tmp_path)))  # type: ignore[arg-type]
    assert journaled.ok
    assert not journaled.warning
    assert "with a journal" in journaled.detail


def test_storage_finding_other_drivers_remote_engines_and_no_access(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = doctor.storage_finding(_Engine(str(tmp_path), local=False))  # type: ignore[arg-type]
    assert remote.ok
    assert not remote.warning
    assert "not measured" in remote.detail
    other = doctor.storage_finding(_Engine(str(tmp_path), driver="btrfs"))  # type: ignore[arg-type]
    assert other.ok
    assert not other.warning
    assert other.detail.startswith("btrfs")

    def denied(path: str) -> int:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(doctor, "_journaled", lambda path: False)
    monkeypatch.setattr(doctor, "_flags", denied)
    hidden = doctor.storage_finding(_Engine(str(tmp_path)))  # type: ignore[arg-type]
    assert hidden.ok
    assert not hidden.warning
    assert "not readable here" in hidden.detail


def test_flags_read_what_lsattr_shows(tmp_path: Path) -> None:
    import shutil
    import subprocess

    lsattr = shutil.which("lsattr")
    assert lsattr, "e2fsprogs' lsattr is part of the test machine"
    shown = subprocess.run([lsattr, "-d", str(tmp_path)], capture_output=True, text=True)
    if shown.returncode != 0:  # a filesystem without ext2-style flags (tmpfs before 6.0)
        with pytest.raises(OSError, match="."):
            doctor._flags(str(tmp_path))
        return
    assert "T" not in shown.stdout.split()[0]
    assert not doctor._flags(str(tmp_path)) & doctor.FS_TOPDIR_FL
    subprocess.run(["chattr", "+T", str(tmp_path)], check=True)
    assert doctor._flags(str(tmp_path)) & doctor.FS_TOPDIR_FL

"""`rpmkit doctor`'s findings that need no engine."""

from __future__ import annotations

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

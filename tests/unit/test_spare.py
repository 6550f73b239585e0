"""The warm spare's rules that need no engine: when it is on, and what makes two the same."""

from __future__ import annotations

import pytest

from rpmkit import profiles
from rpmkit.install import spare
from rpmkit.install.stage import RPM_DIR, Limits, pid1_command


def _options(rpm_source: str, memory_mib: int = 2048) -> dict[str, object]:
    options = profiles.boot_options(profiles.get("offline"), 1)
    options["command"] = pid1_command(profiles.get("offline"))
    options.update(Limits(memory_mib=memory_mib).options())
    options["volumes"][rpm_source] = {"bind": RPM_DIR, "mode": "ro"}
    return options


@pytest.mark.parametrize(
    ("asked", "environ", "on"),
    [
        (None, {}, True),
        (None, {"CI": "true"}, False),
        (True, {"CI": "true"}, True),  # asked for in CI
        (False, {}, False),  # --no-spare
        (None, {"CI": "false"}, True),
    ],
)
def test_on_by_default_off_in_ci_unless_asked(
    asked: bool | None, environ: dict[str, str], on: bool
) -> None:
    assert spare.wanted(asked, environ) is on


def test_the_digest_leaves_out_only_where_the_rpms_come_from() -> None:
    same = spare.digest("sha256:a", (80,), _options("/tmp/rpmkit-rpms-1"), RPM_DIR)
    assert same == spare.digest("sha256:a", (80,), _options("/cache/spares/x"), RPM_DIR)
    assert same != spare.digest("sha256:b", (80,), _options("/tmp/rpmkit-rpms-1"), RPM_DIR)
    assert same != spare.digest("sha256:a", (8000,), _options("/tmp/rpmkit-rpms-1"), RPM_DIR)
    assert same != spare.digest("sha256:a", (80,), _options("/tmp/x", 1024), RPM_DIR)


def test_the_static_tier_waits_as_the_booted_one_does() -> None:
    # One kind of instance for both tiers: a spare serves either.
    offline = profiles.get("offline")
    assert pid1_command(offline, boot=False) == pid1_command(offline, boot=True)


def test_idle_time_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RPMKIT_SPARE_IDLE", "2.5")
    assert spare.idle_seconds() == 2.5
    monkeypatch.setenv("RPMKIT_SPARE_IDLE", "soon")
    assert spare.idle_seconds() == spare.IDLE_SECONDS

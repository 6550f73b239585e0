"""The gate: only the RPM that passed the check, on the bake's profile, recently, gets through."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from rpmkit import cli, gate, handoff_config, receipt
from rpmkit.errors import ConfigError, GateRefused
from tests.unit.handoff_helpers import write_app, write_receipt, write_rpm

POLICY = gate.Policy(target_profile="al2023", max_age=24 * 3600)


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(receipt.KEY_ENV, raising=False)


@pytest.fixture
def rpm(tmp_path: Path) -> Path:
    return write_rpm(tmp_path / "dist")


def _target(rpm: Path) -> gate.Target:
    return gate.Target(rpm, None, str(rpm))


def test_a_fresh_passing_receipt_lets_the_rpm_through(rpm: Path) -> None:
    write_receipt(rpm, age=3600)
    passed = gate.verify(_target(rpm), POLICY)
    assert passed.sha256 == receipt.sha256_file(rpm)
    assert passed.profile == "al2023"
    assert 3590 < passed.age < 3700
    assert passed.warnings == ()


def _no_receipt(rpm: Path) -> None:
    pass


def _failed(rpm: Path) -> None:
    write_receipt(rpm, passed=False)


def _rpm_changed(rpm: Path) -> None:
    write_receipt(rpm)
    data = bytearray(rpm.read_bytes())
    data[-1] ^= 1  # one byte
    rpm.write_bytes(bytes(data))


def _other_profile(rpm: Path) -> None:
    write_receipt(rpm, profile="offline")


def _expired(rpm: Path) -> None:
    write_receipt(rpm, age=25 * 3600)


def _edited_by_hand(rpm: Path) -> None:
    path = write_receipt(rpm, profile="offline")
    content = json.loads(path.read_text())
    content["profile"] = "al2023"
    path.write_text(json.dumps(content))


def _edited_to_pass(rpm: Path) -> None:
    path = write_receipt(rpm, passed=False)
    path.write_text(path.read_text().replace('"passed": false', '"passed": true'))


def _edited_for_another_rpm(rpm: Path) -> None:
    path = write_receipt(rpm)
    rpm.write_bytes(b"something else")
    content = json.loads(path.read_text())
    content["rpm"]["sha256"] = receipt.sha256_file(rpm)
    path.write_text(json.dumps(content))


def _unknown_format(rpm: Path) -> None:
    write_receipt(rpm, format=99)


def _from_the_future(rpm: Path) -> None:
    write_receipt(rpm, age=-3600)


def _static_tier(rpm: Path) -> None:
    write_receipt(rpm, tier="static")


def _not_json(rpm: Path) -> None:
    receipt.receipt_path(rpm).write_text("{not json")


BYPASSES: list[tuple[Callable[[Path], None], str]] = [
    (_no_receipt, "has no receipt"),
    (_failed, "records a failed check"),
    (_rpm_changed, "changed after the check"),
    (_other_profile, "was checked on profile offline, the bake target is al2023"),
    (_expired, "older than the 24h allowed"),
    (_edited_by_hand, "digest does not match its content"),
    (_edited_to_pass, "digest does not match its content"),
    (_edited_for_another_rpm, "digest does not match its content"),
    (_unknown_format, "receipt format 99 is not one this rpmkit reads"),
    (_from_the_future, "is in the future"),
    (_not_json, "not a readable receipt"),
    (_static_tier, "did not boot the instance"),
]


@pytest.mark.parametrize(("attempt", "reason"), BYPASSES, ids=lambda v: getattr(v, "__name__", ""))
def test_every_bypass_attempt_is_refused_with_its_reason(
    rpm: Path, attempt: Callable[[Path], None], reason: str
) -> None:
    attempt(rpm)
    with pytest.raises(GateRefused, match=reason) as refused:
        gate.verify(_target(rpm), POLICY)
    assert refused.value.exit_code == 1
    assert "\n" not in refused.value.message


@pytest.mark.parametrize(("attempt", "reason"), BYPASSES, ids=lambda v: getattr(v, "__name__", ""))
def test_the_gate_command_exits_1_with_one_line_and_what_to_run(
    rpm: Path,
    capsys: pytest.CaptureFixture[str],
    attempt: Callable[[Path], None],
    reason: str,
) -> None:
    attempt(rpm)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gate", str(rpm)])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert reason in err
    assert "run `rpmkit check " in err
    assert f" {rpm}`" in err


def test_another_profile_is_accepted_only_when_named_and_then_warned_about(
    rpm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_receipt(rpm, profile="offline")
    with pytest.raises(GateRefused) as refused:
        gate.verify(_target(rpm), POLICY)
    assert refused.value.hint == (
        f"run `rpmkit check --profile al2023 {rpm}`, or accept it with --accept-profile offline"
    )
    with pytest.raises(GateRefused, match="checked on profile offline"):
        gate.verify(_target(rpm), gate.Policy(accept_profile="al2"))
    passed = gate.verify(_target(rpm), gate.Policy(accept_profile="offline"))
    assert passed.profile == "offline"
    assert "--accept-profile offline" in passed.warnings[0]

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gate", str(rpm), "--accept-profile", "offline"])
    assert exit_info.value.code == 0
    out, err = capsys.readouterr()
    assert "gate passed" in out
    assert "warning: accepting" in err


def test_the_target_profile_and_max_age_come_from_options(rpm: Path) -> None:
    write_receipt(rpm, profile="offline", age=3 * 3600)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gate", str(rpm), "--profile", "offline"])
    assert exit_info.value.code == 0
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gate", str(rpm), "--profile", "offline", "--max-age", "2h"])
    assert exit_info.value.code == 1
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gate", str(rpm), "--profile", "al2024"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gate", str(rpm), "--max-age", "soon"])
    assert exit_info.value.code == 2


def test_the_app_config_sets_the_bake_target_and_age(tmp_path: Path) -> None:
    app = write_app(tmp_path, '\n[bake]\ntarget_profile = "offline"\nmax_receipt_age = "30m"\n')
    rpm = write_rpm(app / "dist")
    (target,) = gate.resolve((app,))
    assert target.rpm == rpm
    assert target.app is not None
    policy = gate.Policy(target.app.app.bake.target_profile, target.app.app.bake.max_receipt_age)
    assert policy == gate.Policy("offline", 1800.0)
    write_receipt(rpm, profile="offline", age=600)
    assert gate.verify(target, policy).profile == "offline"
    write_receipt(rpm, profile="offline", age=3600)
    with pytest.raises(GateRefused, match="older than the 30m allowed") as refused:
        gate.verify(target, policy)
    assert refused.value.hint == f"run `rpmkit check {app}`"


def test_with_a_key_the_receipt_must_carry_its_hmac(
    rpm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(receipt.KEY_ENV, "s3cret")
    write_receipt(rpm, key="s3cret")
    assert gate.verify(_target(rpm), POLICY).profile == "al2023"

    write_receipt(rpm, key="guess")
    with pytest.raises(GateRefused, match="signed with another key"):
        gate.verify(_target(rpm), POLICY)

    # Anyone can compute a plain sha256: with a key set, an unsigned receipt is a forgery.
    write_receipt(rpm, key=None)
    with pytest.raises(GateRefused, match="not signed"):
        gate.verify(_target(rpm), POLICY)

    write_receipt(rpm, key="s3cret")
    monkeypatch.delenv(receipt.KEY_ENV)
    with pytest.raises(GateRefused, match=f"{receipt.KEY_ENV} is not set"):
        gate.verify(_target(rpm), POLICY)


def test_a_receipt_written_by_the_check_passes_unchanged(
    rpm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.handoff_helpers import PASSING

    monkeypatch.setenv(receipt.KEY_ENV, "k")
    receipt.write(PASSING, rpm, "sha256:img")
    assert gate.verify(_target(rpm), POLICY).sha256 == receipt.sha256_file(rpm)


def test_resolve_takes_one_app_or_rpm_files(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    rpm = write_rpm(app / "dist")
    with pytest.raises(ConfigError, match="not both"):
        gate.resolve((app, rpm))
    with pytest.raises(ConfigError, match="no such file"):
        gate.resolve((tmp_path / "missing.rpm",))
    srpm = tmp_path / "x-1-1.src.rpm"
    srpm.write_bytes(b"")
    with pytest.raises(ConfigError, match="not a binary RPM"):
        gate.resolve((srpm,))
    with pytest.raises(ConfigError, match="no RPM for hello-world"):
        gate.resolve((app,), tmp_path / "elsewhere")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("24h", 86400.0),
        ("30m", 1800.0),
        ("7d", 604800.0),
        ("90s", 90.0),
        ("3600", 3600.0),
        (120, 120.0),
        (1.5, 1.5),
    ],
)
def test_durations(value: str | float, seconds: float) -> None:
    assert handoff_config.parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "soon", "-1h", "0", "1w", True])
def test_bad_durations(value: str | bool) -> None:
    with pytest.raises(ValueError, match="duration|zero"):
        handoff_config.parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (40, "40s"),
        (250, "4m 10s"),
        (3600, "1h"),
        (18720, "5h 12m"),
        (86400, "24h"),
        (90000, "25h"),
        (86400 * 2 + 3 * 3600, "2d 3h"),
    ],
)
def test_ages_read_like_a_person_would_say_them(seconds: float, text: str) -> None:
    assert gate.describe_age(seconds) == text

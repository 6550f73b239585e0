"""The gate: only the RPM that passed the check, on the bake's profile, recently, gets through.

The tamper catalogue below is every way a receipt or the RPM beside it was
edited, swapped or forged that the gate must refuse, each with its reason.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from rpmkit import cli, gate, receipt, targets
from rpmkit import rpm as rpm_values
from rpmkit.errors import ConfigError, GateRefused
from rpmkit.handoff import config as handoff_config
from rpmkit.profiles import host_arch
from tests.rpmfactory import make_rpm
from tests.unit.handoff_helpers import RPM_NAME, write_app, write_receipt, write_rpm

POLICY = gate.Policy(target_profile="al2023", max_age=24 * 3600)


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(receipt.KEY_ENV, raising=False)


@pytest.fixture
def rpm(tmp_path: Path) -> Path:
    return write_rpm(tmp_path / "dist")


def _verify(rpm: Path, policy: gate.Policy = POLICY) -> gate.Passed:
    return gate.verify(rpm, str(rpm), policy)


def test_a_fresh_passing_receipt_lets_the_rpm_through(rpm: Path) -> None:
    write_receipt(rpm, age=3600)
    passed = _verify(rpm)
    assert passed.sha256 == receipt.Receipt.parse(receipt.path_for(rpm).read_text()).rpm.sha256
    assert str(passed.nevra) == "hello-world-1.0.0-1.noarch"
    assert passed.profile == "al2023"
    assert 3590 < passed.age < 3700
    assert passed.warnings == ()


def _no_receipt(rpm: Path) -> None:
    pass


def _rpm_changed(rpm: Path) -> None:
    write_receipt(rpm)
    data = bytearray(rpm.read_bytes())
    data[-1] ^= 1  # one byte of the payload
    rpm.write_bytes(bytes(data))


def _swapped_for_another_build(rpm: Path) -> None:
    write_receipt(rpm)
    write_rpm(rpm.parent, payload=b"another build of the same version")


def _renamed_rpm(rpm: Path) -> None:
    name = "hello-world-0.9.0-1.noarch.rpm"
    other = make_rpm(rpm.parent / name, "hello-world", "0.9.0", "1", "noarch")
    write_receipt(other)
    other.rename(rpm)
    receipt.path_for(other).rename(receipt.path_for(rpm))


def _renamed_rpm_and_receipt_rewritten(rpm: Path) -> None:
    # Without a key anyone can recompute the plain digest: the header still tells.
    name = "hello-world-0.9.0-1.noarch.rpm"
    other = make_rpm(rpm.parent / name, "hello-world", "0.9.0", "1", "noarch")
    write_receipt(other)
    other.rename(rpm)
    content = json.loads(receipt.path_for(other).read_text())
    content["rpm"]["file"] = rpm.name
    content["digest"] = receipt.digest(content)
    receipt.path_for(rpm).write_text(json.dumps(content))


def _receipt_names_another_file(rpm: Path) -> None:
    write_receipt(rpm, **{"rpm.file": "hello-world-2.0.0-1.noarch.rpm"})


def _nevra_edited(rpm: Path) -> None:
    write_receipt(rpm, **{"rpm.nevra.version": "2.0.0"})


def _text_file_named_rpm(rpm: Path) -> None:
    write_receipt(rpm)
    rpm.write_text("hello-world-0.9.0-1.noarch.rpm\n")


def _truncated_rpm(rpm: Path) -> None:
    write_receipt(rpm)
    rpm.write_bytes(rpm.read_bytes()[:50])


def _zero_bytes(rpm: Path) -> None:
    write_receipt(rpm)
    rpm.write_bytes(b"")


def _other_profile(rpm: Path) -> None:
    write_receipt(rpm, profile="offline")


def _other_arch(rpm: Path) -> None:
    other = "aarch64" if host_arch() != "aarch64" else "x86_64"
    write_receipt(rpm, **{"target.arch": other})


def _stand_in_base(rpm: Path) -> None:
    write_receipt(rpm, **{"target.stand_in": True})


def _short_settle(rpm: Path) -> None:
    write_receipt(rpm, **{"check.settle": 0})


def _expired(rpm: Path) -> None:
    write_receipt(rpm, age=25 * 3600)


def _edited_by_hand(rpm: Path) -> None:
    path = write_receipt(rpm, profile="offline")
    content = json.loads(path.read_text())
    content["target"]["profile"] = "al2023"
    path.write_text(json.dumps(content))


def _edited_to_booted(rpm: Path) -> None:
    path = write_receipt(rpm, **{"check.tier": "static"})
    path.write_text(path.read_text().replace('"tier": "static"', '"tier": "booted"'))


def _edited_for_another_rpm(rpm: Path) -> None:
    path = write_receipt(rpm)
    write_rpm(rpm.parent, payload=b"something else")
    content = json.loads(path.read_text())
    content["rpm"]["sha256"] = rpm_values.sha256_file(rpm)
    path.write_text(json.dumps(content))


def _old_format(rpm: Path) -> None:
    write_receipt(rpm, format=1)


def _format_is_a_list(rpm: Path) -> None:
    write_receipt(rpm, format=["rpmkit.receipt/2"])


def _digest_not_ascii(rpm: Path) -> None:
    path = write_receipt(rpm)
    content = json.loads(path.read_text())
    content["digest"]["value"] = "\u00e9" * 64
    path.write_text(json.dumps(content))


def _digest_missing(rpm: Path) -> None:
    path = write_receipt(rpm)
    content = json.loads(path.read_text())
    del content["digest"]
    path.write_text(json.dumps(content))


def _field_of_wrong_type(rpm: Path) -> None:
    write_receipt(rpm, **{"check.settle": "5"})


def _field_missing(rpm: Path) -> None:
    path = write_receipt(rpm)
    content = json.loads(path.read_text())
    del content["target"]["arch"]
    content["digest"] = receipt.digest(content)
    path.write_text(json.dumps(content))


def _from_the_future(rpm: Path) -> None:
    write_receipt(rpm, age=-3600)


def _static_tier(rpm: Path) -> None:
    write_receipt(rpm, **{"check.tier": "static"})


def _not_json(rpm: Path) -> None:
    receipt.path_for(rpm).write_text("{not json")


def _not_an_object(rpm: Path) -> None:
    receipt.path_for(rpm).write_text("[1, 2]")


def _not_utf8(rpm: Path) -> None:
    receipt.path_for(rpm).write_bytes(b"\xff\xfe{}")


def _receipt_is_a_directory(rpm: Path) -> None:
    receipt.path_for(rpm).mkdir()


def _copied_from_another_rpm(rpm: Path) -> None:
    other = write_rpm(rpm.parent / "other", payload=b"other")
    write_receipt(other)
    shutil.copy(receipt.path_for(other), receipt.path_for(rpm))


def _upgrade_check(rpm: Path) -> None:
    write_receipt(rpm, **{"check.tier": "upgrade"})


def _checked_together(rpm: Path) -> None:
    write_receipt(rpm, **{"check.with_rpms": ["a" * 64]})


def _no_health_check(rpm: Path) -> None:
    write_receipt(rpm, probe="")


def _expecting_404(rpm: Path) -> None:
    write_receipt(rpm, probe="80 /health_check 404")


TAMPERS: list[tuple[Callable[[Path], None], str]] = [
    (_upgrade_check, "from an upgrade check (--upgrade-from)"),
    (_checked_together, "was checked together with 1 other RPM(s)"),
    (_no_health_check, "was checked without a health check"),
    (_expecting_404, "expecting health status 404"),
    (_no_receipt, "has no receipt"),
    (_rpm_changed, "changed after the check"),
    (_swapped_for_another_build, "changed after the check"),
    (_renamed_rpm, "the receipt is for hello-world-0.9.0-1.noarch.rpm"),
    (_renamed_rpm_and_receipt_rewritten, "renamed RPM: the file name says hello-world-1.0.0-1"),
    (_receipt_names_another_file, "the receipt is for hello-world-2.0.0-1.noarch.rpm"),
    (_nevra_edited, "the receipt is for hello-world-2.0.0-1.noarch, the package is"),
    (_text_file_named_rpm, "not a valid RPM file"),
    (_truncated_rpm, "not a valid RPM file"),
    (_zero_bytes, "not a valid RPM file"),
    (_other_profile, "was checked on profile offline, the bake target is al2023"),
    (_other_arch, "the bake target is " + host_arch()),
    (_stand_in_base, "stand-in base"),
    (_short_settle, "settle window of 0s"),
    (_expired, "older than the 24h allowed"),
    (_edited_by_hand, "digest does not match its content"),
    (_edited_to_booted, "digest does not match its content"),
    (_edited_for_another_rpm, "digest does not match its content"),
    (_old_format, "receipt format 1 is not rpmkit.receipt/2"),
    (_format_is_a_list, "is not rpmkit.receipt/2"),
    (_digest_not_ascii, "digest does not match its content"),
    (_digest_missing, "has no digest"),
    (_field_of_wrong_type, "malformed receipt (check.settle is not a number)"),
    (_field_missing, "malformed receipt (no arch)"),
    (_from_the_future, "is in the future"),
    (_not_json, "not JSON"),
    (_not_an_object, "not a JSON object"),
    (_not_utf8, "not a readable receipt"),
    (_receipt_is_a_directory, "has no receipt"),
    (_copied_from_another_rpm, "changed after the check"),
    (_static_tier, "did not boot the instance"),
]


@pytest.mark.parametrize(("attempt", "reason"), TAMPERS, ids=lambda v: getattr(v, "__name__", ""))
def test_every_tamper_is_refused_with_its_reason(
    rpm: Path, attempt: Callable[[Path], None], reason: str
) -> None:
    attempt(rpm)
    with pytest.raises(GateRefused) as refused:
        _verify(rpm)
    assert reason in refused.value.message
    assert refused.value.exit_code == 1
    assert "\n" not in refused.value.message


@pytest.mark.parametrize(("attempt", "reason"), TAMPERS, ids=lambda v: getattr(v, "__name__", ""))
def test_the_gate_command_exits_1_with_one_line(
    rpm: Path,
    capsys: pytest.CaptureFixture[str],
    attempt: Callable[[Path], None],
    reason: str,
) -> None:
    attempt(rpm)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gate", str(rpm)])
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    if "valid RPM" in reason:
        # Not an RPM at all: bad input, refused before any receipt is read.
        assert exit_info.value.code == 2
    else:
        assert exit_info.value.code == 1
        assert reason in err


def test_keyed_and_unkeyed_receipts(rpm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(receipt.KEY_ENV, "s3cret")
    write_receipt(rpm, key="s3cret")
    assert _verify(rpm).profile == "al2023"

    write_receipt(rpm, key="guess")
    with pytest.raises(GateRefused, match="signed with another key"):
        _verify(rpm)

    # Anyone can compute a plain sha256: with a key set, an unsigned receipt is a forgery.
    write_receipt(rpm, key=None)
    with pytest.raises(GateRefused, match="not signed"):
        _verify(rpm)

    write_receipt(rpm, key="s3cret")
    monkeypatch.delenv(receipt.KEY_ENV)
    with pytest.raises(GateRefused, match=f"{receipt.KEY_ENV} is not set"):
        _verify(rpm)


def test_another_profile_is_accepted_only_when_named_and_then_warned_about(
    rpm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_receipt(rpm, profile="offline")
    with pytest.raises(GateRefused) as refused:
        _verify(rpm)
    assert refused.value.hint == (
        f"run `rpmkit check --profile al2023 {rpm}`, or accept it with --accept-profile offline"
    )
    with pytest.raises(GateRefused, match="checked on profile offline"):
        _verify(rpm, gate.Policy(accept_profile="al2"))
    passed = _verify(rpm, gate.Policy(accept_profile="offline"))
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


def test_the_app_config_sets_the_bake_target_age_and_settle(tmp_path: Path) -> None:
    app = write_app(
        tmp_path,
        '\n[bake]\ntarget_profile = "offline"\nmax_receipt_age = "30m"\nmin_settle = 10\n',
    )
    rpm = write_rpm(app / "dist")
    (target,) = targets.each((app,))
    assert target.rpm == rpm
    assert target.app is not None
    bake = target.app.app.bake
    policy = gate.Policy(bake.target_profile, bake.max_receipt_age, min_settle=bake.min_settle)
    assert policy == gate.Policy("offline", 1800.0, min_settle=10.0)
    write_receipt(rpm, profile="offline", age=600, **{"check.settle": 10})
    assert gate.verify(rpm, str(app), policy).profile == "offline"
    write_receipt(rpm, profile="offline", age=600)
    with pytest.raises(GateRefused, match="requires at least 10s"):
        gate.verify(rpm, str(app), policy)
    write_receipt(rpm, profile="offline", age=3600, **{"check.settle": 10})
    with pytest.raises(GateRefused, match="older than the 30m allowed") as refused:
        gate.verify(rpm, str(app), policy)
    assert refused.value.hint == f"run `rpmkit check {app}`"


def test_an_app_is_gated_only_on_its_own_check(tmp_path: Path) -> None:
    app = write_app(tmp_path, '\n[bake]\nmin_settle = 0\ntarget_profile = "offline"\n')
    rpm = write_rpm(app / "dist")
    (target,) = targets.each((app,))
    policy = gate.policy_for(target, None, None, None)
    # The app's config can raise the settle floor, never lower it.
    assert policy.min_settle == gate.MIN_SETTLE
    assert (policy.app, policy.probe) == ("hello-world", "8080 /status 200")
    # Checked as a bare RPM file: its config and its own tests did not apply.
    write_receipt(rpm, profile="offline")
    with pytest.raises(GateRefused, match="from a check of the RPM file, not of the app"):
        gate.verify(rpm, str(app), policy)
    # The app's check, but with another probe (--health-path, --expect-status).
    write_receipt(rpm, profile="offline", app="hello-world", probe="8080 /other 200")
    with pytest.raises(GateRefused, match="the app's config says '8080 /status 200'"):
        gate.verify(rpm, str(app), policy)
    write_receipt(rpm, profile="offline", app="hello-world", probe="8080 /status 200")
    assert gate.verify(rpm, str(app), policy).profile == "offline"


def test_rpms_checked_together_pass_together(tmp_path: Path) -> None:
    one = write_rpm(tmp_path, payload=b"one")
    other = write_rpm(tmp_path / "o", "other-1.0-1.noarch.rpm", payload=b"two")
    one_sha, other_sha = rpm_values.sha256_file(one), rpm_values.sha256_file(other)
    write_receipt(one, **{"check.with_rpms": [other_sha]})
    with pytest.raises(GateRefused, match="together"):
        _verify(one)
    both = gate.Policy(together=frozenset({one_sha, other_sha}))
    assert gate.verify(one, str(one), both).sha256 == one_sha


def test_targets_are_one_app_or_rpm_files(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    rpm = write_rpm(app / "dist")
    with pytest.raises(ConfigError, match="not both"):
        targets.each((app, rpm))
    with pytest.raises(ConfigError, match="no such file"):
        targets.each((tmp_path / "missing.rpm",))
    srpm = make_rpm(tmp_path / "x-1-1.src.rpm", "x", "1", "1", "x86_64", source=True)
    with pytest.raises(ConfigError, match="a source RPM"):
        targets.each((srpm,))
    with pytest.raises(ConfigError, match="not a valid RPM file"):
        targets.each(((tmp_path / "text.rpm"),)) if (tmp_path / "text.rpm").write_text(
            "x"
        ) else None
    with pytest.raises(ConfigError, match="no built RPM for hello-world"):
        targets.each((app,), tmp_path / "elsewhere")
    assert rpm.name == RPM_NAME


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


def test_hints_put_options_before_the_path_and_quote_it_for_a_shell(tmp_path: Path) -> None:
    rpm = write_rpm(tmp_path / "my dist $HOME")
    quoted = f"'{rpm}'"
    write_receipt(rpm, **{"check.settle": 0})
    with pytest.raises(GateRefused) as refused:
        _verify(rpm)
    assert refused.value.hint == f"run `rpmkit check --settle 5 {quoted}`"
    write_receipt(rpm, profile="offline")
    with pytest.raises(GateRefused) as refused:
        _verify(rpm)
    assert refused.value.hint is not None
    assert refused.value.hint.startswith(f"run `rpmkit check --profile al2023 {quoted}`")
    rpm.with_name(rpm.name + receipt.SUFFIX).unlink()
    with pytest.raises(GateRefused) as refused:
        _verify(rpm)
    assert refused.value.hint == f"run `rpmkit check {quoted}`"


@pytest.mark.parametrize("command", ["gate", "check", "publish"])
def test_a_fifo_is_not_a_regular_file_and_does_not_hang(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "x-1-1.x86_64.rpm"
    os.mkfifo(fifo)
    extra = ["--dry-run", "--repo", str(tmp_path / "yum")] if command == "publish" else []
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, str(fifo), *extra])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert err.strip() == f"error: {fifo}: a FIFO, not a regular file (an RPM must be one)"


def test_the_build_hint_quotes_the_app_directory(tmp_path: Path) -> None:
    app = write_app(tmp_path / "my apps")
    with pytest.raises(ConfigError) as refused:
        targets.each((app,), tmp_path / "elsewhere")
    assert f"`rpmkit build '{app}'`" in (refused.value.hint or "")

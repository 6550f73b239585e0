"""Units declared as not started at boot: config, command line, expectations and receipt."""

from __future__ import annotations

from pathlib import Path

import pytest

from rpmkit import config
from rpmkit.check.plan import CheckPlan, adjust, expectations
from rpmkit.cli import main
from rpmkit.errors import ConfigError
from rpmkit.verify import declared_units
from tests.unit.test_spec import write_app


def _app(tmp_path: Path, extra: str) -> config.LoadedConfig:
    app = write_app(tmp_path / "shop", "python-worker")
    text = (app / "rpmkit.toml").read_text()
    (app / "rpmkit.toml").write_text(text + extra)
    return config.load(app)


def test_a_service_enabled_false_is_declared(tmp_path: Path) -> None:
    loaded = _app(tmp_path, '\n[[services]]\nname = "reindex"\ncommand = "x"\nenabled = false\n')
    assert "reindex.service" in expectations(loaded.app).not_at_boot


def test_check_not_at_boot_in_config_and_on_the_command_line(tmp_path: Path) -> None:
    loaded = _app(tmp_path, '\n[check]\nnot_at_boot = ["nightly.timer", "sync"]\n')
    expect = expectations(loaded.app)
    assert {"nightly.timer", "sync.service"} <= set(expect.not_at_boot)
    plan = adjust(CheckPlan((), "shop", expect), not_at_boot=("extra",))
    assert set(plan.expect.not_at_boot) == {*expect.not_at_boot, "extra.service"}


def test_not_at_boot_must_name_units(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"check\.not_at_boot\[0\]"):
        _app(tmp_path, '\n[check]\nnot_at_boot = ["bad name"]\n')


def test_declared_units_default_to_services() -> None:
    assert declared_units(("a", "b.socket")) == frozenset({"a.service", "b.socket"})


def test_start_period_is_the_deadline_and_not_a_second_timer(tmp_path: Path) -> None:
    loaded = _app(tmp_path, "\n[health_check]\nstart_period = 12.0\n")
    assert loaded.app.health_check.deadline == 12.0
    assert expectations(loaded.app).deadline == 12.0
    with pytest.raises(ConfigError, match="same timer"):
        _app(tmp_path / "b", "\n[health_check]\nstart_period = 12.0\ndeadline = 20.0\n")


def test_unhealthy_threshold_reaches_the_probe(tmp_path: Path) -> None:
    app = write_app(tmp_path / "web", "python-web")
    text = (app / "rpmkit.toml").read_text()
    (app / "rpmkit.toml").write_text(text + "\n[health_check]\nunhealthy_threshold = 5\n")
    probe = expectations(config.load(app).app).probe
    assert probe is not None
    assert probe.unhealthy_threshold == 5


def test_cli_rejects_a_bad_unit_name_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rpm = tmp_path / "x.rpm"
    rpm.write_bytes(b"")
    with pytest.raises(SystemExit) as exited:
        main(["check", str(rpm), "--not-at-boot", "a b"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--not-at-boot" in err
    assert "'a b' is not a systemd unit name" in err
    assert "Traceback" not in err

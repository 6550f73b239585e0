"""`rpmkit rehearse`: its options, and the plan it makes from the app's config."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rpmkit import cli, config
from rpmkit.commands.rehearse import make_plan, traffic_port
from rpmkit.errors import ConfigError
from tests.rpmfactory import make_rpm

APP = """\
name = "shop"
version = "1.0"
summary = "A shop"
license = "MIT"
template = "python-web"

[[services]]
command = "gunicorn app:app"
port = 8000

[nginx]
port = 8080

[health_check]
path = "/status"
port = 8080
deadline = 20.0

[health_check.load_balancer]
interval = 10.0
timeout = 4.0
healthy_threshold = 3
unhealthy_threshold = 2

[rehearse]
instances = 3
"""
WORKER = APP.replace('template = "python-web"', 'template = "python-worker"').split("[nginx]")[0]


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "rpmkit.toml").write_text(APP)
    for version in ("0.9", "1.0"):
        make_rpm(tmp_path / f"shop-{version}-1.x86_64.rpm", "shop", version, "1")
    return tmp_path


def test_the_plan_takes_the_apps_health_check_and_scales_the_balancers(app: Path) -> None:
    loaded = config.load(app)
    old, new = (app / "shop-0.9-1.x86_64.rpm",), (app / "shop-1.0-1.x86_64.rpm",)
    plan = make_plan(loaded, old, new, 42, True, False, {"clients": 6, "error_budget": None})
    assert (plan.app, plan.old, plan.new, plan.seed, plan.chaos) == ("shop", old, new, 42, True)
    assert (plan.probe.path, plan.probe.port, plan.probe.deadline) == ("/status", 8080, 20.0)
    h = plan.health
    assert (h.path, h.port, h.interval, h.rise, h.fall) == ("/status", 8080, 0.2, 3, 2)
    assert h.timeout == pytest.approx(0.1)  # 4 s * 0.2 / 10 = 80 ms, raised to the floor
    assert plan.traffic_port == 8080
    # The config's own settings, with the command line's on top.
    assert (plan.settings.instances, plan.settings.clients) == (3, 6)
    assert plan.settings.error_budget == 0


def test_a_random_seed_when_none_is_given(app: Path) -> None:
    loaded = config.load(app)
    plan = make_plan(loaded, (app / "shop-0.9-1.x86_64.rpm",), (), None, False, False, {})
    assert 0 <= plan.seed < 1_000_000


def test_a_worker_has_nothing_to_balance(tmp_path: Path) -> None:
    (tmp_path / "rpmkit.toml").write_text(WORKER)
    loaded = config.load(tmp_path)
    with pytest.raises(ConfigError, match="serves no HTTP"):
        make_plan(loaded, (), (), 1, False, False, {})


def test_traffic_goes_to_nginx_for_the_templates_that_run_it(app: Path) -> None:
    loaded = config.load(app)
    assert traffic_port(loaded.app) == 8080
    spec_app = loaded.app.model_copy(update={"template": None, "nginx": None})
    assert traffic_port(spec_app) == 8080  # the health check's port


def invoke(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(cli.cli, ["rehearse", *args])
    return result.exit_code, result.output, result.exception


def test_from_is_required(app: Path) -> None:
    code, output, _ = invoke(str(app))
    assert code == 2
    assert "Missing option '--from'" in output


def test_options_are_range_checked(app: Path) -> None:
    old = str(app / "shop-0.9-1.x86_64.rpm")
    for option, value in (("--rate", "0"), ("--instances", "9"), ("--steady-seconds", "0.1")):
        code, output, _ = invoke(str(app), "--from", old, option, value)
        assert code == 2, option
        assert option in output


def test_a_source_rpm_is_refused(app: Path) -> None:
    make_rpm(app / "shop-1.0-1.src.rpm", "shop", "1.0", "1", source=True)
    old, src = str(app / "shop-0.9-1.x86_64.rpm"), str(app / "shop-1.0-1.src.rpm")
    _, _, raised = invoke(str(app), "--from", old, "--to", src)
    assert isinstance(raised, ConfigError)
    assert "a source RPM" in raised.message


def test_without_to_the_apps_rpm_must_be_in_dist(app: Path, tmp_path: Path) -> None:
    old = str(app / "shop-0.9-1.x86_64.rpm")
    empty = tmp_path / "empty-dist"
    empty.mkdir()
    _, _, raised = invoke(str(app), "--from", old, "--dist", str(empty))
    assert isinstance(raised, ConfigError)
    assert "no built RPM for shop 1.0-1" in raised.message

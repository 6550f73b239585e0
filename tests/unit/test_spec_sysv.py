"""init = "sysv": services as SysV init scripts registered with chkconfig, and their checks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from rpmkit import config
from rpmkit.build import spec
from rpmkit.errors import ConfigError
from rpmkit.verify import judge, static
from rpmkit.verify.health import HealthResult
from tests.unit.test_spec import SAMPLES, heredoc, lines, section, write_app

INIT_D = "%{buildroot}%{_sysconfdir}/rc.d/init.d/"


def sysv_app(directory: Path, template: str) -> Path:
    app = write_app(directory, template)
    text = (app / "rpmkit.toml").read_text()
    (app / "rpmkit.toml").write_text(
        text.replace(f'template = "{template}"', f'template = "{template}"\ninit = "sysv"')
    )
    return app


@pytest.fixture
def web(tmp_path: Path) -> spec.Spec:
    return spec.render(config.load(sysv_app(tmp_path / "shop", "python-web")))


@pytest.fixture
def worker(tmp_path: Path) -> spec.Spec:
    return spec.render(config.load(sysv_app(tmp_path / "worker", "python-worker")))


def test_each_service_is_an_init_script_not_a_unit(web: spec.Spec) -> None:
    assert web.init_scripts == ("shop", "shop-beat")
    assert web.units == ()
    assert "%{_unitdir}" not in web.text
    files = lines(section(web.text, "%files"))
    assert "%attr(0755,root,root) %{_sysconfdir}/rc.d/init.d/shop" in files
    assert "%attr(0755,root,root) %{_sysconfdir}/rc.d/init.d/shop-beat" in files


def test_init_script_headers(web: spec.Spec) -> None:
    script = heredoc(web.text, INIT_D + "shop").splitlines()
    assert script[0] == "#!/bin/sh"
    for line in [
        "# chkconfig: 345 85 15",
        "# pidfile: /run/shop.pid",
        "### BEGIN INIT INFO",
        "# Provides:          shop",
        "# Required-Start:    $network $remote_fs",
        "# Required-Stop:     $network $remote_fs",
        "# Default-Start:     2 3 4 5",
        "# Default-Stop:      0 1 6",
        "# Short-Description: Shop front end",
        "### END INIT INFO",
    ]:
        assert line in script, line
    # enabled = false: registered, but on in no runlevel.
    beat = heredoc(web.text, INIT_D + "shop-beat").splitlines()
    assert "# chkconfig: - 85 15" in beat
    assert "# Default-Start:" in beat


def test_init_script_runs_the_service_as_its_user(web: spec.Spec) -> None:
    script = heredoc(web.text, INIT_D + "shop")
    assert "RUN_AS=shop\n" in script
    assert "PIDFILE=/run/shop.pid\n" in script
    assert "LOCKFILE=/var/lock/subsys/shop\n" in script  # rpmlint's UseVarLockSubsys
    assert "    cd /opt/shop/app || return 1\n" in script
    # Environment values are single-quoted: the shell expands nothing in them.
    assert "    export LOG_LEVEL=info\n    export SHOP_ENV=production\n" in script
    assert (
        '    setsid runuser -u "$RUN_AS" -- /opt/shop/venv/bin/gunicorn --bind 127.0.0.1:8000 '
        'shop.wsgi:app >>"$LOGFILE" 2>&1 </dev/null &\n'
    ) in script
    for action in ("start) start ;;", "stop) stop ;;", "status) status ;;"):
        assert action in script
    beat = heredoc(web.text, INIT_D + "shop-beat")
    assert "RUN_AS=beat\n" in beat
    assert "    cd /var/lib/shop || return 1\n" in beat


def test_init_script_goes_through_systemctl_when_run_by_hand(web: spec.Spec) -> None:
    script = heredoc(web.text, INIT_D + "shop")
    assert (
        'if [ "$PPID" -ne 1 ] && [ -z "${SYSTEMCTL_SKIP_REDIRECT:-}" ] '
        "&& [ -d /run/systemd/system ]; then"
    ) in script
    assert 'exec systemctl try-restart "$NAME.service"' in script


def test_init_scripts_hold_no_rpm_macro(web: spec.Spec) -> None:
    # rpm expands '%' in %install, here-documents included.
    for name in web.init_scripts:
        assert "%" not in heredoc(web.text, INIT_D + name)


def test_scriptlets_register_and_unregister_with_chkconfig(web: spec.Spec) -> None:
    post = section(web.text, "%post")
    assert "/sbin/chkconfig --add shop\n/sbin/chkconfig --add shop-beat\n" in post
    # nginx stays a systemd unit, enabled by the preset.
    assert post.startswith("%systemd_post nginx.service\n")
    preun = section(web.text, "%preun")
    assert preun.startswith(
        "if [ $1 -eq 0 ]; then\n"
        "    /sbin/service shop stop >/dev/null 2>&1 || :\n"
        "    /sbin/chkconfig --del shop\n"
    )
    assert "%systemd_preun" not in preun
    postun = section(web.text, "%postun")
    assert "if [ $1 -ge 1 ]; then\n    /sbin/service shop condrestart" in postun


def test_sysv_requires(web: spec.Spec) -> None:
    got = lines(web.text)
    for line in [
        "Requires(post): chkconfig",
        "Requires(preun): chkconfig",
        "Requires(preun): initscripts",
        "Requires(postun): initscripts",
        "Requires:       nginx",
        "Requires:       systemd",  # nginx's unit and preset
        "%{?systemd_requires}",
    ]:
        assert line in got, line
    assert heredoc(web.text, "%{buildroot}%{_presetdir}/50-shop.preset") == "enable nginx.service\n"


def test_sysv_worker_needs_no_systemd(worker: spec.Spec) -> None:
    text = worker.text
    assert worker.init_scripts == ("queue-worker", "queue-worker-2")
    for line in ("Requires:       systemd", "%{?systemd_requires}", "%systemd_post"):
        assert line not in text
    assert "%{_unitdir}" not in text
    assert "%{_presetdir}" not in text
    assert "Requires(post): chkconfig" in lines(text)
    post = section(text, "%post")
    assert post == "/sbin/chkconfig --add queue-worker\n/sbin/chkconfig --add queue-worker-2\n\n"


def test_systemd_is_the_default(tmp_path: Path) -> None:
    rendered = spec.render(config.load(write_app(tmp_path / "shop", "python-web")))
    assert rendered.init_scripts == ()
    assert "chkconfig" not in rendered.text
    assert "rc.d/init.d" not in rendered.text


def _config_error(tmp_path: Path, text: str) -> str:
    (tmp_path / "rpmkit.toml").write_text(text)
    (tmp_path / "site").mkdir(exist_ok=True)
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path)
    return info.value.message


def test_sysv_is_for_the_templates_with_services(tmp_path: Path) -> None:
    message = _config_error(tmp_path, SAMPLES["static-site"] + 'init = "sysv"\n')
    assert 'init = "sysv" applies to the python-web and python-worker templates' in message
    message = _config_error(tmp_path, SAMPLES["python-worker"] + 'init = "upstart"\n')
    assert "init:" in message


def test_sysv_script_names_are_checked(tmp_path: Path) -> None:
    text = SAMPLES["python-worker"].replace(
        'command = "python3 -m worker"', 'name = "worker.main"\ncommand = "python3 -m worker"'
    )
    text = text.replace('template = "python-worker"', 'template = "python-worker"\ninit = "sysv"')
    message = _config_error(tmp_path, text)
    assert "services[0]: 'worker.main' cannot name a SysV init script" in message


# How verify judges a SysV script: through `chkconfig --list`, as a fake host answers it.


class _Out:
    def __init__(self, rc: int, stdout: str = "", stderr: str = "") -> None:
        self.rc, self.stdout, self.stderr = rc, stdout, stderr


class _Host:
    def __init__(self, answers: dict[str, _Out]) -> None:
        self.answers = answers

    def run(self, command: str, *args: Any) -> _Out:
        return self.answers[command % args]


class _Quiet:
    """An instance whose logs are empty."""

    def run(self, command: str, *args: Any) -> _Out:
        return _Out(0)


class _NoUnits:
    def units(self) -> list[str]:
        return []


ON = "rk\t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off\n"
OFF = "rk\t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off\n"
NOT_ADDED = (
    "service rk supports chkconfig, but is not referenced in any runlevel "
    "(run 'chkconfig --add rk')"
)


def test_script_on_for_runlevel_3_passes() -> None:
    (check,) = static.runlevel_on(_Host({"chkconfig --list rk": _Out(0, ON)}), "rk")
    assert check.ok
    assert check.name == "init script rk on for runlevel 3"


def test_script_never_added_fails_verify_naming_the_fix() -> None:
    host = _Host({"chkconfig --list rk": _Out(1, "", NOT_ADDED)})
    (check,) = static.runlevel_on(host, "rk")
    assert not check.ok
    assert not check.warning  # a failure, not a warning: the service cannot start
    assert check.stage == "verify"
    assert "`chkconfig --add rk`" in check.detail
    assert NOT_ADDED in check.evidence


def test_script_registered_off_fails_unless_declared() -> None:
    # Off at boot, nothing starts it on a new instance: a failure, unless declared.
    (check,) = static.runlevel_on(_Host({"chkconfig --list rk": _Out(0, OFF)}), "rk")
    assert not check.ok
    assert not check.warning
    assert "not_at_boot" in check.detail
    (check,) = static.runlevel_on(
        _Host({"chkconfig --list rk": _Out(0, OFF)}), "rk", frozenset({"rk.service"})
    )
    assert check.ok
    assert "declared" in check.detail


def test_health_names_a_script_off_for_runlevel_3_as_the_likely_cause() -> None:
    host = _Quiet()
    checks = static.runlevel_on(_Host({"chkconfig --list rk": _Out(1, "", NOT_ADDED)}), "rk")
    result = HealthResult(
        ok=False, url="http://127.0.0.1:1/health_check", seconds=6.0, attempts=10, status=502,
        body="bad gateway", error="",
    )  # fmt: skip
    health = judge.health_check(host, _NoUnits(), result, checks, None)  # type: ignore[arg-type]
    assert re.search(r"likely cause: rk not on for runlevel 3$", health.detail)


def test_without_chkconfig_the_check_says_so() -> None:
    host = _Host({"chkconfig --list rk": _Out(127, "", "sh: 1: chkconfig: not found")})
    (check,) = static.runlevel_on(host, "rk")
    assert not check.ok
    assert "chkconfig is not installed" in check.detail
    assert "Requires(post): chkconfig" in check.detail

"""What a shipped unit must be at the verdict, from systemd's own properties."""

from __future__ import annotations

from rpmkit.verify import units as systemd
from rpmkit.verify.units import Unit, findings, parse_show, role

SHOW = """\
Type=oneshot
Result=success
NRestarts=0
Id=tick.service
TriggeredBy=tick.timer
ActiveState=inactive
SubState=dead
UnitFileState=static
InactiveExitTimestampMonotonic=0

Id=tick.timer
Triggers=tick.service
ActiveState=active
SubState=waiting
UnitFileState=enabled
NextElapseUSecRealtime=
NextElapseUSecMonotonic=1h 22min 29.901814s

Id=web.socket
Triggers=web.service
ActiveState=active
SubState=listening
UnitFileState=enabled
Listen=[::]:9090 (Stream)
Listen=/run/web.sock (Stream)
"""


def test_parse_show_reads_blocks_in_any_key_order_and_repeated_keys() -> None:
    found = parse_show(SHOW)
    assert set(found) == {"tick.service", "tick.timer", "web.socket"}
    assert found["tick.service"].triggered_by == ("tick.timer",)
    assert found["tick.service"].type == "oneshot"
    assert not found["tick.service"].started
    assert found["tick.timer"].next_elapse == "1h 22min 29.901814s"
    assert found["web.socket"].listen == ("[::]:9090 (Stream)", "/run/web.sock (Stream)")


def test_n_a_and_empty_next_elapse_mean_nothing_scheduled() -> None:
    text = "Id=t.timer\nNextElapseUSecRealtime=n/a\nNextElapseUSecMonotonic=infinity\n"
    assert parse_show(text)["t.timer"].next_elapse == ""


def _by_name(found: list[tuple[str, systemd.Finding]]) -> dict[str, systemd.Finding]:
    return {f.name: f for _, f in found}


def test_enabled_timer_driving_a_static_oneshot_passes() -> None:
    units = parse_show(SHOW)
    result = _by_name(findings(units, ["tick.service", "tick.timer"], frozenset(), True))
    assert all(f.ok for f in result.values()), result
    assert "started by tick.timer" in result["unit tick.service enabled at boot"].detail
    started = result["unit tick.service started by tick.timer"]
    assert "next elapse" in started.detail
    # The oneshot need not run now: no "active" line is asked of it.
    assert "unit tick.service active" not in result
    assert result["unit tick.timer active"].ok


def test_timer_not_enabled_fails_naming_itself_and_its_service() -> None:
    units = {
        "tick.service": Unit("tick.service", file_state="static", active="inactive",
                             triggered_by=("tick.timer",)),
        "tick.timer": Unit("tick.timer", file_state="disabled", active="inactive",
                           triggers=("tick.service",)),
    }  # fmt: skip
    result = _by_name(findings(units, ["tick.service", "tick.timer"], frozenset(), True))
    timer = result["unit tick.timer enabled at boot"]
    assert not timer.ok
    assert timer.final
    assert "tick.service never runs" in timer.detail
    service = result["unit tick.service enabled at boot"]
    assert not service.ok
    assert "started only by tick.timer, which nothing starts" in service.detail


def test_disabled_service_is_certain_at_once_when_nothing_could_start_it() -> None:
    unit = Unit("w.service", file_state="disabled", active="inactive")
    found = role(unit, {"w.service": unit}, frozenset(), booted=False)
    assert found.how == systemd.NOTHING
    assert found.certain  # no trigger, no wanter: no need to wait for the boot


def test_static_service_with_a_wanter_that_may_still_start_waits_for_the_boot() -> None:
    unit = Unit("w.service", file_state="static", active="inactive", wanted_by=("x.service",))
    # x is not enabled, but a target still to be reached wants it.
    other = Unit("x.service", file_state="disabled", active="inactive",
                 wanted_by=("multi-user.target",))  # fmt: skip
    units = {"w.service": unit, "x.service": other}
    assert not role(unit, units, frozenset(), booted=False).certain
    assert role(unit, units, frozenset(), booted=True).certain
    # A wanter that nothing can start either settles it at once.
    idle = {"w.service": unit, "x.service": Unit("x.service", file_state="disabled")}
    assert role(unit, idle, frozenset(), booted=False).certain


def test_wanted_by_an_enabled_unit_runs_at_boot() -> None:
    unit = Unit("w.service", file_state="disabled", active="active", wanted_by=("app.service",))
    app = Unit("app.service", file_state="enabled", active="active")
    found = role(unit, {"w.service": unit, "app.service": app}, frozenset(), booted=True)
    assert found == systemd.Role(systemd.WANTED, ("app.service",))


def test_declared_not_at_boot_passes_and_is_not_asked_to_run() -> None:
    unit = Unit("w.service", file_state="disabled", active="inactive")
    result = _by_name(findings({"w.service": unit}, ["w.service"], frozenset({"w.service"}), True))
    assert result["unit w.service enabled at boot"].ok
    assert "declared" in result["unit w.service enabled at boot"].detail
    assert "unit w.service active" not in result


def test_masked_unit_fails_even_when_wanted() -> None:
    unit = Unit("w.service", file_state="masked", load="masked", wanted_by=("multi-user.target",))
    result = _by_name(findings({"w.service": unit}, ["w.service"], frozenset(), True))
    assert not result["unit w.service enabled at boot"].ok


def test_failed_service_is_a_final_failure() -> None:
    unit = Unit("a.service", file_state="enabled", active="failed", sub="failed", restarts=5,
                result="exit-code")  # fmt: skip
    result = _by_name(findings({"a.service": unit}, ["a.service"], frozenset(), False))
    assert not result["unit a.service active"].ok
    assert result["unit a.service active"].final
    restarted = result["unit a.service not restarted"]
    assert not restarted.ok
    assert "restarted 5 times" in restarted.detail


def test_pending_restart_fails_before_the_counter_moves() -> None:
    unit = Unit("a.service", file_state="enabled", active="activating", sub="auto-restart")
    result = _by_name(findings({"a.service": unit}, ["a.service"], frozenset(), False))
    assert not result["unit a.service not restarted"].ok
    assert result["unit a.service not restarted"].final


def test_still_activating_is_not_final_until_the_deadline() -> None:
    unit = Unit("a.service", file_state="enabled", active="activating", sub="start", type="notify")
    result = _by_name(findings({"a.service": unit}, ["a.service"], frozenset(), False))
    assert not result["unit a.service active"].ok
    assert not result["unit a.service active"].final


def test_oneshot_that_ran_at_boot_is_done_and_one_that_exited_is_not() -> None:
    done = Unit("s.service", file_state="enabled", active="inactive", type="oneshot",
                result="success", started=True)  # fmt: skip
    found = systemd.running(done, systemd.Role(systemd.ENABLED_ROLE), True)
    assert found == systemd.Finding(
        "unit s.service active", True, "ran at boot and exited", id="verify.unit-active:s.service"
    )
    exited = Unit("d.service", file_state="enabled", active="inactive", type="simple",
                  result="success", started=True)  # fmt: skip
    found = systemd.running(exited, systemd.Role(systemd.ENABLED_ROLE), True)
    assert found is not None
    assert not found.ok
    assert found.final
    assert "exited, and nothing will start it" in found.detail


def test_timer_with_nothing_scheduled_and_a_service_that_never_ran_fails() -> None:
    units = {
        "t.service": Unit("t.service", file_state="static", triggered_by=("t.timer",)),
        "t.timer": Unit("t.timer", file_state="enabled", active="active", sub="elapsed"),
    }
    result = _by_name(findings(units, ["t.service", "t.timer"], frozenset(), True))
    assert not result["unit t.service started by t.timer"].ok
    assert "nothing scheduled" in result["unit t.service started by t.timer"].detail


def test_templates_are_not_judged_by_name() -> None:
    assert systemd.judged(["a@.service", "a.socket", "b.service"]) == ["a.socket", "b.service"]


def test_a_trigger_s_own_triggers_complete_triggered_by() -> None:
    # A disabled timer is loaded only by the `systemctl show` asking for it, which may
    # print the service (TriggeredBy= still empty) first.
    units = {
        "t.service": Unit("t.service", file_state="static"),
        "t.timer": Unit("t.timer", file_state="disabled", triggers=("t.service",)),
    }
    result = _by_name(findings(units, ["t.service", "t.timer"], frozenset(), True))
    assert "started only by t.timer" in result["unit t.service enabled at boot"].detail

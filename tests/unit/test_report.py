"""Report rendering: a line per check, the failed stage, evidence collapsed."""

from __future__ import annotations

from rpmkit.checks import Check
from rpmkit.report.text import Report, collapse, render

PASSING = Report(
    "hello-1.0-1.noarch",
    "offline",
    (
        Check("install", "hello installed", True),
        Check("boot", "systemd reached running", True),
        Check("verify", "unit hello.service enabled at boot", False, "not enabled", warning=True),
        Check("health", "health check", True, "answered 200"),
    ),
    {"install": 0.3, "boot": 0.4, "verify": 0.2, "health": 0.5, "total": 1.1},
)
FAILING = Report(
    "hello-1.0-1.noarch",
    "offline",
    (
        Check("install", "hello installed", True),
        Check("health", "health check", False, "answered 500", "last body: 'boom'"),
    ),
    {"install": 0.3, "total": 2.0},
)


def test_warnings_do_not_fail_and_failures_name_the_stage() -> None:
    assert PASSING.ok
    assert PASSING.failed_stage is None
    assert not FAILING.ok
    assert FAILING.failed_stage == "health"
    assert not Report("x", "offline", (), {}).ok  # nothing checked is not a pass


def test_render_has_a_line_per_check_and_the_stage_times() -> None:
    text = render(FAILING)
    assert "PASS  install   hello installed" in text
    assert "FAIL  health    health check  (answered 500)" in text
    assert "        | last body: 'boom'" in text
    assert "time: install 0.30s  total 2.00s" in text
    assert text.endswith("FAIL at health: hello-1.0-1.noarch on offline")
    assert "WARN  verify" in render(PASSING)


def test_the_failed_stage_is_the_first_in_pipeline_order() -> None:
    build_failed = Report("x", "offline", (Check("build", "RPM built", False, "rpmbuild"),), {})
    assert build_failed.failed_stage == "build"
    mixed = Report(
        "x", "offline",
        (Check("health", "health check", False), Check("install", "install", False)),
        {},
    )  # fmt: skip
    assert mixed.failed_stage == "install"
    rehearsal = Report("x", "offline", (Check("swap", "new group in service", False),), {})
    assert rehearsal.failed_stage == "swap"  # a stage of its own is named too


def test_repeated_evidence_lines_are_collapsed_with_a_count() -> None:
    nginx = [
        f"2026/11/05 09:30:{i:02d} [error] 31#31: *{i} connect() failed (111: Connection "
        f"refused) while connecting to upstream, upstream: http://127.0.0.1:8000/"
        for i in range(20)
    ]
    shown = collapse(["$ tail /var/log/nginx/error.log", *nginx, "x", "x", "y"])
    assert shown == [
        "$ tail /var/log/nginx/error.log",
        nginx[0],
        "... 18 more like it ...",
        nginx[-1],
        "x",
        "x",  # two are shown as they are
        "y",
    ]
    assert collapse(["same"] * 20) == ["same  (x20)"]
    report = Report(
        "x", "offline", (Check("health", "health check", False, "", "\n".join(nginx)),), {}
    )
    assert render(report).count("connect() failed") == 2


def test_strings_from_outside_stay_on_their_line_and_cannot_reach_the_terminal() -> None:
    # File names and requirements from an RPM header, logs from the instance.
    evil = "/opt/x\nPASS: other-1-1.x86_64 on al2023\x1b[2K"
    report = Report(
        "hello-1-1.x86_64", "al2023",
        (Check("install", f"x: ships {evil}", False, f"conflict on {evil}", f"log {evil}"),),
        {"total": 1.0},
    )  # fmt: skip
    text = render(report)
    assert "\x1b" not in text
    assert [line for line in text.splitlines() if line.startswith("PASS")] == []
    assert text.splitlines()[-1] == "FAIL at install: hello-1-1.x86_64 on al2023"
    assert r"/opt/x\nPASS: other-1-1.x86_64 on al2023\x1b[2K" in text

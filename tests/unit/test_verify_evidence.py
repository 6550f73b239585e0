"""Evidence that names the cause: readable journals, listeners, stuck jobs, rpm's warnings."""

from __future__ import annotations

from rpmkit.verify import boot, evidence
from rpmkit.verify.evidence import Listener

TRACE = [
    "[2026-11-30 10:00:01,001] ERROR in app: Exception on / [GET]",
    "Traceback (most recent call last):",
    '  File "/opt/app/app.py", line 8, in index',
    '    raise RuntimeError("DATABASE_URL missing")',
    "RuntimeError: DATABASE_URL missing",
]


def test_a_traceback_repeated_on_every_request_is_shown_once_with_its_count() -> None:
    lines = TRACE * 3
    lines[5] = "[2026-11-30 10:00:02,117] ERROR in app: Exception on / [GET]"
    out = evidence.readable("\n".join(lines))
    assert out.count("RuntimeError: DATABASE_URL missing") == 1
    assert "Traceback (most recent call last): (this traceback x3)" in out
    # The lines between the copies differ only in their timestamps: collapsed.
    assert out[-1] == "[2026-11-30 10:00:02,117] ERROR in app: Exception on / [GET] (x2)"


def test_distinct_tracebacks_are_all_kept() -> None:
    other = [*TRACE[:4], "KeyError: 'x'"]
    out = evidence.dedupe_tracebacks(TRACE + other)
    assert "RuntimeError: DATABASE_URL missing" in out
    assert "KeyError: 'x'" in out


def test_repeated_lines_collapse_with_their_count() -> None:
    lines = [f"2026/11/30 10:00:{i:02d} [error] 7#7: *{i} connect() failed" for i in range(20)]
    assert evidence.collapse([*lines, "done"]) == [f"{lines[0]} (x20)", "done"]


def test_readable_keeps_the_last_lines() -> None:
    text = "\n".join(f"line {chr(97 + i % 26)}" for i in range(100))
    assert len(evidence.readable(text, keep=10)) == 10


SS = """\
LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=11,fd=6),("nginx",pid=10,fd=6))
LISTEN 0 2048 127.0.0.1:8085 0.0.0.0:* users:(("gunicorn",pid=21,fd=5))
LISTEN 0 4096 *:9090 *:* users:(("systemd",pid=1,fd=36))
LISTEN 0 511 [::1]:81 [::]:*
"""


def test_listeners_with_their_processes() -> None:
    found = evidence.listeners(SS)
    assert found[0] == Listener("0.0.0.0", 80, "nginx")
    assert found[1] == Listener("127.0.0.1", 8085, "gunicorn")
    assert found[1].loopback
    assert found[3].loopback
    assert not found[0].loopback
    assert str(found[1]) == "127.0.0.1:8085 (gunicorn)"


def test_a_port_that_moved_is_named_by_what_listens_instead() -> None:
    detail = evidence.port_detail(8000, evidence.listeners(SS), (8000, 80))
    assert detail == "nothing listens on 8000; listening instead: 8085 (gunicorn), 81, not 8000"
    assert "systemd" not in detail  # a socket unit's listener is systemd's, not an answer


def test_nothing_listening_at_all_says_so() -> None:
    assert evidence.port_detail(8000, [], (8000,)) == "nothing listens"


def test_rpm_warnings_that_explain_ownership() -> None:
    warnings = (
        "warning: user lateuser does not exist - using root",
        "warning: /etc/x.conf created as /etc/x.conf.rpmnew",
    )
    assert evidence.rpm_warning_causes(warnings) == ["user lateuser does not exist - using root"]


def test_first_lines_finds_nginx_emerg_once() -> None:
    log = 'nginx: [emerg] unknown directive "lsten" in /etc/nginx/conf.d/a.conf:1\n' * 2
    assert evidence.first_lines(log, "[emerg]") == [
        'nginx: [emerg] unknown directive "lsten" in /etc/nginx/conf.d/a.conf:1'
    ]


def test_stuck_jobs_from_list_jobs() -> None:
    listing = "2  multi-user.target   start waiting\n62 notifyapp.service   start running\n"
    assert boot.stuck_jobs(listing) == [
        ("multi-user.target", "start", "waiting"),
        ("notifyapp.service", "start", "running"),
    ]

"""The health poll, against real HTTP servers on loopback."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from rpmkit.verify.health import Probe, poll


class _Handler(http.server.BaseHTTPRequestHandler):
    answers: list[int] = []
    delay = 0.0

    def do_GET(self) -> None:
        time.sleep(self.delay)
        code = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        self.send_response(code)
        self.end_headers()
        self.wfile.write(f"status {code}".encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {"answers": [200], "delay": 0.0})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/health_check", handler
    httpd.shutdown()


FAST = Probe(interval=0.01, timeout=0.5, deadline=2.0)


def test_healthy_at_once(server: tuple[str, type[_Handler]]) -> None:
    url, _ = server
    result = poll(url, FAST)
    assert result.ok
    assert result.status == 200
    assert result.attempts == 1


def test_healthy_threshold_needs_consecutive_successes(
    server: tuple[str, type[_Handler]],
) -> None:
    url, handler = server
    handler.answers = [200, 503, 200, 200, 200]
    result = poll(url, Probe(interval=0.01, timeout=0.5, deadline=2.0, healthy_threshold=3))
    assert result.ok
    assert result.attempts == 5


def test_wrong_status_until_the_deadline(server: tuple[str, type[_Handler]]) -> None:
    url, handler = server
    handler.answers = [500]
    result = poll(url, Probe(interval=0.05, timeout=0.5, deadline=0.3))
    assert not result.ok
    assert result.status == 500
    assert result.body == "status 500"
    assert "answered 500" in result.summary()


def test_slower_than_the_timeout(server: tuple[str, type[_Handler]]) -> None:
    url, handler = server
    handler.delay = 0.4
    result = poll(url, Probe(interval=0.01, timeout=0.1, deadline=0.5))
    assert not result.ok
    assert result.status is None
    assert "timed out" in result.summary()


def test_connection_refused_means_not_ready() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = poll(f"http://127.0.0.1:{port}/", Probe(interval=0.01, deadline=0.2))
    assert not result.ok
    assert result.attempts > 1
    assert "never answered" in result.summary()
    assert "refused" in result.summary()


def test_give_up_stops_the_poll_early() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    stop = threading.Event()
    stop.set()
    result = poll(f"http://127.0.0.1:{port}/", Probe(interval=0.01, deadline=30), stop)
    assert not result.ok
    assert result.seconds < 1


class _Recorder(_Handler):
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        self.seen.append({k: v for k, v in self.headers.items()})
        super().do_GET()


def test_unhealthy_threshold_counts_only_once_the_service_is_up(
    server: tuple[str, type[_Handler]],
) -> None:
    url, handler = server
    handler.answers = [500]
    counting = threading.Event()
    threading.Timer(0.3, counting.set).start()
    probe = Probe(interval=0.02, timeout=0.5, deadline=5.0, unhealthy_threshold=3)
    result = poll(url, probe, counting=counting)
    assert not result.ok
    assert result.unhealthy == 3
    assert 0.3 <= result.seconds < 2.0  # not before counting started, well before the deadline
    assert "3 times in a row" in result.summary()


def test_without_counting_only_the_deadline_ends_an_unhealthy_poll(
    server: tuple[str, type[_Handler]],
) -> None:
    url, handler = server
    handler.answers = [500]
    result = poll(url, Probe(interval=0.02, timeout=0.5, deadline=0.4, unhealthy_threshold=1))
    assert not result.ok
    assert result.unhealthy == 0
    assert result.seconds >= 0.4


def test_gateway_errors_do_not_count_when_the_upstream_is_unknown(
    server: tuple[str, type[_Handler]],
) -> None:
    url, handler = server
    handler.answers = [502]
    counting = threading.Event()
    counting.set()
    probe = Probe(interval=0.02, deadline=0.4, unhealthy_threshold=1, count_gateway=False)
    assert poll(url, probe, counting=counting).unhealthy == 0
    probe = Probe(interval=0.02, deadline=5.0, unhealthy_threshold=1, count_gateway=True)
    assert poll(url, probe, counting=counting).unhealthy == 1


def test_requests_look_like_the_balancer_s() -> None:
    handler = type("R", (_Recorder,), {"answers": [200], "delay": 0.0, "seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/health_check"
        assert poll(url, Probe(host="10.0.3.7", deadline=2.0)).ok
    finally:
        httpd.shutdown()
    (headers,) = handler.seen
    assert headers["User-Agent"] == "ELB-HealthChecker/2.0"
    assert headers["Host"] == "10.0.3.7"


def test_a_stopped_poll_says_so() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    stop = threading.Event()
    stop.set()
    result = poll(f"http://127.0.0.1:{port}/", Probe(interval=0.01, deadline=30), stop)
    assert result.stopped
    assert "when the check failed" in result.summary()


def test_new_probe_fields_come_last_for_positional_callers() -> None:
    # Rehearsal builds probes positionally.
    probe = Probe("/h", 80, 200, 0.1, 1.0, 1, 30.0)
    assert probe.deadline == 30.0
    assert probe.unhealthy_threshold == 3
    assert probe.host == ""

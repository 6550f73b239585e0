"""The health poll, against real HTTP servers on loopback."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from rpmkit.health import Probe, poll


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

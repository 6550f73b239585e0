"""The load generator and its statistics: gaps, error windows, kills, only to 127.0.0.1."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from rpmkit.rehearse import load
from rpmkit.rehearse.load import Kill, Sample


def ok(start: float, seconds: float = 0.01, server: str = "old1") -> Sample:
    return Sample(f"ok-{start}", start, seconds, 200, "", server)


def bad(
    start: float, seconds: float = 0.01, server: str = "old1", status: int | None = 503
) -> Sample:
    error = "" if status is not None else "closed without an answer"
    return Sample(f"bad-{start}", start, seconds, status, error, server)


def test_a_sample_fails_without_an_answer_or_with_an_error_status() -> None:
    assert ok(1).ok
    assert Sample("x", 0, 0.1, 302).ok
    assert not Sample("x", 0, 0.1, 404).ok
    assert not bad(1, status=None).ok
    assert bad(1, status=None).outcome == "closed without an answer"
    assert bad(1, seconds=0.5).end == 1.5


def test_longest_gap_is_the_longest_time_without_a_successful_answer() -> None:
    samples = [ok(0.0), ok(0.1), bad(0.2), bad(0.3), ok(1.5), ok(1.6)]
    gap = load.longest_gap(samples, 0.0, 2.0)
    assert gap.seconds == pytest.approx(1.4)  # from 0.11 to 1.51
    assert gap.at == pytest.approx(0.11)


def test_longest_gap_counts_an_outage_at_the_end() -> None:
    gap = load.longest_gap([ok(0.0), bad(1.0), bad(2.0)], 0.0, 5.0)
    assert gap.seconds == pytest.approx(4.99)


def test_error_windows_group_failures_close_in_time() -> None:
    samples = [bad(1.0), bad(1.2, status=None), ok(1.3), bad(1.5), bad(5.0), ok(6)]
    windows = load.error_windows(samples, join=1.0)
    assert [(w.start, w.count) for w in windows] == [(1.0, 3), (5.0, 1)]
    assert windows[0].outcomes == {"503": 2, "closed without an answer": 1}
    assert windows[0].end == pytest.approx(1.51)


def test_between_takes_the_requests_started_in_a_phase() -> None:
    samples = [ok(0.5), ok(1.0), ok(1.9), ok(2.0)]
    assert [s.start for s in load.between(samples, 1.0, 2.0)] == [1.0, 1.9]


def test_a_failure_on_the_killed_instance_before_it_was_taken_out_is_owed_to_the_kill() -> None:
    kill = Kill("old2", at=3.0, until=4.2)
    in_flight = bad(2.9, seconds=0.2, server="old2")
    sent_before_marked_down = bad(4.0, seconds=1.0, server="old2", status=None)
    assert load.at_the_kill(in_flight, [kill]) is kill
    assert load.at_the_kill(sent_before_marked_down, [kill]) is kill
    # Another instance failing meanwhile, the killed one failing before the kill or after
    # it was taken out, or a request no instance took: not the kill's doing.
    assert load.at_the_kill(bad(3.5, server="old1"), [kill]) is None
    assert load.at_the_kill(bad(2.0, seconds=0.5, server="old2"), [kill]) is None
    assert load.at_the_kill(bad(4.5, server="old2"), [kill]) is None
    assert load.at_the_kill(bad(3.5, server="<NOSRV>"), [kill]) is None
    assert load.at_the_kill(ok(3.5, server="old2"), [kill]) is None


def test_attribute_fills_in_the_target_from_the_balancers_log() -> None:
    samples = [
        Sample("0-0", 0, 0.1, 200, "", "old2"),
        Sample("0-1", 0.1, 0.1, 503),
        Sample("0-2", 0.2, 0.1, None, "timed out"),
    ]
    named = load.attribute(samples, {"0-0": "old1", "0-1": "<NOSRV>"})
    assert [s.server for s in named] == ["old2", "<NOSRV>", ""]


def test_summarize() -> None:
    samples = [ok(i / 10, seconds=0.01 * (i + 1)) for i in range(10)] + [bad(1.0)]
    stats = load.summarize(samples, 2.0)
    assert (stats.sent, stats.ok, stats.failed) == (11, 10, 1)
    assert stats.rate == pytest.approx(5.5)
    assert stats.p50 == pytest.approx(0.05)
    assert stats.p99 == pytest.approx(0.10)
    assert stats.slowest == pytest.approx(0.10)
    assert load.percentile([], 50) == 0.0


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/", "http://localhost:80/", "http://example.com/", "http://[::1]/"]
)
def test_the_load_goes_to_127_0_0_1_only(url: str) -> None:
    with pytest.raises(ValueError, match="only goes to 127.0.0.1"):
        load.Load(url, 10, 1, 1.0)


class _Counting(http.server.BaseHTTPRequestHandler):
    ids: list[str] = []

    def do_GET(self) -> None:
        self.ids.append(self.headers.get("X-Rpmkit-Request", ""))
        self.send_response(200 if self.path == "/" else 500)
        self.send_header("Content-Length", "2")
        self.send_header("X-Rpmkit-Server", "old1")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    handler = type("H", (_Counting,), {"ids": []})
    handler.protocol_version = "HTTP/1.1"
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.ids
    httpd.shutdown()
    httpd.server_close()


def test_the_load_keeps_its_rate_and_bound_and_tags_each_request(
    server: tuple[str, list[str]],
) -> None:
    url, ids = server
    stream = load.Load(f"{url}/", rate=40, clients=4, max_seconds=1.0)
    stream.start()
    threading.Event().wait(1.5)  # longer than max_seconds: the bound stops it
    samples = stream.stop()
    assert 38 <= len(samples) <= 40
    assert all(s.ok and s.server == "old1" for s in samples)
    assert sorted(ids) == sorted(s.id for s in samples)
    assert len({s.id for s in samples}) == len(samples)
    # Evenly spread: the n-th request starts near n / rate.
    assert samples[-1].start == pytest.approx(39 / 40, abs=0.1)


def test_the_load_counts_error_statuses_and_stops_when_asked(
    server: tuple[str, list[str]],
) -> None:
    url, _ = server
    stream = load.Load(f"{url}/broken", rate=20, clients=2, max_seconds=30.0)
    stream.start()
    threading.Event().wait(0.5)
    samples = stream.stop()
    assert 5 <= len(samples) <= 12
    assert all(s.status == 500 and not s.ok for s in samples)

"""The load: a steady, bounded stream of requests through the balancer, and what it saw.

`clients` threads, each with its own keep-alive `requests.Session`, share
`rate` requests a second between them on a fixed schedule (client i sends
its k-th request at (k * clients + i) / rate seconds); a client that falls
behind sends at once, never more than one request at a time. Every request
is recorded with its start, latency and status or error, at the client:
a failed request is one without an answer or with a status outside
200-399. The stream stops when asked, after `max_seconds`, or after
`rate * max_seconds` requests, whichever comes first. It only ever goes to
127.0.0.1, or to the address of the engine the balancer runs on (`allowed`):
the balancer's published port.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rpmkit.rehearse.balancer import REQUEST_HEADER, SERVER_HEADER

ALLOWED_HOSTS = ("127.0.0.1",)


@dataclass(frozen=True)
class Sample:
    """One request: when it started (seconds since the load began), how long it took, and how."""

    id: str
    start: float
    seconds: float
    status: int | None  # None: no answer
    error: str = ""
    server: str = ""  # the target that handled it: from the answer, else the balancer's log

    @property
    def end(self) -> float:
        """When the answer (or the error) came."""
        return self.start + self.seconds

    @property
    def ok(self) -> bool:
        """Answered with a status the client takes as success."""
        return self.status is not None and 200 <= self.status < 400

    @property
    def outcome(self) -> str:
        """The status, or what went wrong."""
        return str(self.status) if self.status is not None else self.error or "failed"


@dataclass(frozen=True)
class Gap:
    """The longest time without a successful answer."""

    seconds: float
    at: float  # when it began


@dataclass(frozen=True)
class ErrorWindow:
    """Failed requests close together in time."""

    start: float
    end: float
    count: int
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadStats:
    """A summary of the samples."""

    sent: int
    ok: int
    failed: int
    seconds: float
    rate: float
    p50: float
    p99: float
    slowest: float
    gap: Gap


def check_local(url: str, allowed: tuple[str, ...] = ALLOWED_HOSTS) -> None:
    """Refuse any target but this machine's loopback address (or the `allowed` ones)."""
    host = urlsplit(url).hostname
    if host not in allowed:
        raise ValueError(f"the load only goes to {', '.join(allowed)}, not {host!r}")


class Load:
    """The request stream: start it, let it run, stop it for its samples."""

    def __init__(
        self,
        url: str,
        rate: float,
        clients: int,
        max_seconds: float,
        timeout: tuple[float, float] = (2.0, 15.0),
        allowed: tuple[str, ...] = ALLOWED_HOSTS,
    ) -> None:
        check_local(url, allowed)
        if rate <= 0 or clients < 1 or max_seconds <= 0:
            raise ValueError("rate, clients and max_seconds must be positive")
        self.url = url
        self.rate = rate
        self.clients = clients
        self.max_seconds = max_seconds
        self.max_requests = math.ceil(rate * max_seconds)
        self.timeout = timeout
        self._samples: list[Sample] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._t0 = 0.0

    @property
    def began(self) -> float:
        """When the load began, by time.monotonic()."""
        return self._t0

    def now(self) -> float:
        """Seconds since the load began."""
        return time.monotonic() - self._t0

    def start(self) -> None:
        """Start the clients."""
        self._t0 = time.monotonic()
        for index in range(self.clients):
            thread = threading.Thread(
                target=self._client, args=(index,), name=f"rpmkit-load-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> list[Sample]:
        """Stop the clients (requests in flight finish or time out); every sample, by start."""
        self._stop.set()
        for thread in self._threads:
            thread.join(sum(self.timeout) + 1)
        return sorted(self._samples, key=lambda s: s.start)

    def _client(self, index: int) -> None:
        import requests

        session = requests.Session()
        session.trust_env = False  # a proxy from the environment must not answer for 127.0.0.1
        k = 0
        try:
            while not self._stop.is_set():
                due = (k * self.clients + index) / self.rate
                if due >= self.max_seconds or k * self.clients + index >= self.max_requests:
                    return
                wait = due - self.now()
                if wait > 0 and self._stop.wait(wait):
                    return
                rid = f"{index}-{k}"
                start = self.now()
                try:
                    response = session.get(
                        self.url,
                        headers={REQUEST_HEADER: rid},
                        timeout=self.timeout,
                        allow_redirects=False,
                    )
                    status, error = response.status_code, ""
                    server = response.headers.get(SERVER_HEADER, "")
                except requests.RequestException as exc:
                    status, error, server = None, describe(exc), ""
                seconds = self.now() - start
                self._samples.append(Sample(rid, start, seconds, status, error, server))
                k += 1
        finally:
            session.close()


def describe(exc: Exception) -> str:
    """A short name for why a request got no answer."""
    text = str(exc)
    for marker, said in (
        ("Connection refused", "connection refused"),
        ("Connection reset", "connection reset"),
        ("RemoteDisconnected", "closed without an answer"),
        ("timed out", "timed out"),
    ):
        if marker in text:
            return said
    return type(exc).__name__


def attribute(samples: Iterable[Sample], servers: dict[str, str]) -> list[Sample]:
    """The samples, each that its answer did not name a target for (request id -> target)."""
    from dataclasses import replace

    return [s if s.server else replace(s, server=servers.get(s.id, "")) for s in samples]


def between(samples: Iterable[Sample], start: float, end: float) -> list[Sample]:
    """The requests that started in [start, end)."""
    return [s for s in samples if start <= s.start < end]


def longest_gap(samples: Sequence[Sample], since: float = 0.0, until: float | None = None) -> Gap:
    """The longest time without a successful answer, from `since` to `until` (the last answer)."""
    ends = sorted(s.end for s in samples if s.ok)
    marks = [since, *ends]
    if until is not None:
        marks.append(until)
    best = Gap(0.0, since)
    for before, after in zip(marks, marks[1:], strict=False):
        if after - before > best.seconds:
            best = Gap(after - before, before)
    return best


def error_windows(samples: Iterable[Sample], join: float = 1.0) -> list[ErrorWindow]:
    """Failed requests in windows: one within `join` seconds of the window's end joins it."""
    windows: list[ErrorWindow] = []
    for s in sorted((s for s in samples if not s.ok), key=lambda s: s.start):
        last = windows[-1] if windows else None
        if last is not None and s.start - last.end <= join:
            outcomes = Counter(last.outcomes)
            outcomes[s.outcome] += 1
            windows[-1] = ErrorWindow(last.start, max(last.end, s.end), last.count + 1, outcomes)
        else:
            windows.append(ErrorWindow(s.start, s.end, 1, {s.outcome: 1}))
    return [ErrorWindow(w.start, w.end, w.count, dict(w.outcomes)) for w in windows]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(samples: Sequence[Sample], seconds: float) -> LoadStats:
    """Counts, rate, latencies and the longest gap of a run that lasted `seconds`."""
    ok = [s for s in samples if s.ok]
    latencies = [s.seconds for s in ok]
    return LoadStats(
        sent=len(samples),
        ok=len(ok),
        failed=len(samples) - len(ok),
        seconds=seconds,
        rate=len(samples) / seconds if seconds > 0 else 0.0,
        p50=percentile(latencies, 50),
        p99=percentile(latencies, 99),
        slowest=max(latencies, default=0.0),
        gap=longest_gap(samples, 0.0, seconds),
    )


@dataclass(frozen=True)
class Kill:
    """An instance terminated under load, and until when the balancer still sent it requests."""

    server: str
    at: float  # when the kill was sent
    until: float  # when the balancer marked it down (or it was taken out of service)


def at_the_kill(sample: Sample, kills: Iterable[Kill]) -> Kill | None:
    """The kill a failed request is owed to: the balancer gave it to the killed instance while
    that instance died or before the health check took it out (in flight at the kill)."""
    for kill in kills:
        if (
            not sample.ok
            and sample.server == kill.server
            and sample.end >= kill.at
            and sample.start <= kill.until
        ):
            return kill
    return None

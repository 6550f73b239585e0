"""The HTTP health check, with the load balancer's semantics.

A target is healthy after `healthy_threshold` consecutive answers with the
expected status, each within `timeout`; polls are `interval` apart. It is
unhealthy after `unhealthy_threshold` consecutive answers with another
status, as an Elastic Load Balancing target group marks a target, counted
only once the instance says the service is up (its unit active, its port
listening: `counting` is set), so nginx answering 502 while the app still
imports does not count. Connection errors mean "not ready yet". `deadline` is
the one start period: when it ends without a healthy answer, the check fails
with the last answer seen.

Requests look like the balancer's: `User-Agent: ELB-HealthChecker/2.0`, and
the instance's own address as `Host` (a framework with a host allow-list,
such as Django's ALLOWED_HOSTS, refuses it behind a real balancer).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

USER_AGENT = "ELB-HealthChecker/2.0"
GATEWAY = frozenset({502, 503, 504})


@dataclass(frozen=True)
class Probe:
    """How to poll: what a healthy answer is and how long to wait for it."""

    path: str = "/health_check"
    port: int = 80
    expected_status: int = 200
    interval: float = 0.1
    timeout: float = 1.0
    healthy_threshold: int = 1
    deadline: float = 30.0  # the start period: seconds to be healthy, from the end of the install
    unhealthy_threshold: int = 3
    host: str = ""  # the Host header: the instance's address ("" leaves the URL's)
    # Count 502/503/504 toward unhealthy_threshold: only when the upstream ports are known
    # to listen (an app's config names them), else a proxy's 502 may mean "still starting".
    count_gateway: bool = True

    def headers(self) -> dict[str, str]:
        """The balancer's request headers."""
        headers = {"User-Agent": USER_AGENT}
        if self.host:
            headers["Host"] = self.host
        return headers


@dataclass(frozen=True)
class HealthResult:
    """What the poll saw: healthy or not, how long it took, and the last answer."""

    ok: bool
    url: str
    seconds: float
    attempts: int
    status: int | None  # last HTTP status seen; None if no answer ever
    body: str  # the last answer's body, cut to 2 kB
    error: str  # the last connection error, if the last attempt had one
    unhealthy: int = 0  # > 0: ended by this many bad answers in a row (unhealthy_threshold)
    stopped: bool = False  # given up early: the check had already failed

    def summary(self) -> str:
        """One line for the report."""
        if self.ok:
            return f"{self.url} answered {self.status} after {self.seconds:.2f}s"
        if self.unhealthy:
            return (
                f"{self.url} answered {self.status}, not the expected status, {self.unhealthy} "
                f"times in a row once the service was up (unhealthy threshold), "
                f"after {self.seconds:.1f}s"
            )
        if self.stopped:
            return f"{self.url} not healthy yet after {self.seconds:.1f}s, when the check failed"
        if self.status is None:
            return (
                f"{self.url} never answered in {self.seconds:.1f}s (the last request {self.error})"
            )
        if self.error:
            return (
                f"{self.url} not healthy in {self.seconds:.1f}s: the last request {self.error} "
                f"(earlier answers: {self.status})"
            )
        return (
            f"{self.url} answered {self.status}, not the expected status, for {self.seconds:.1f}s"
        )


def poll(
    url: str,
    probe: Probe,
    give_up: threading.Event | None = None,
    counting: threading.Event | None = None,
) -> HealthResult:
    """Poll `url` until healthy, unhealthy, the deadline passes, or `give_up` is set.

    Bad answers count toward `unhealthy_threshold` only while `counting` is
    set (None: never, so only the deadline ends an unhealthy poll).
    """
    import requests

    session = requests.Session()
    session.trust_env = False  # a proxy from the environment must not answer for localhost
    headers = probe.headers()
    start = time.monotonic()
    streak = bad = attempts = 0
    status: int | None = None
    body = error = ""
    while True:
        attempts += 1
        try:
            response = session.get(
                url, timeout=probe.timeout, allow_redirects=False, headers=headers
            )
            status, body, error = response.status_code, response.text[:2048], ""
            healthy = status == probe.expected_status
            streak = streak + 1 if healthy else 0
            counts = counting is not None and counting.is_set()
            if status in GATEWAY and not probe.count_gateway:
                counts = False
            bad = 0 if healthy or not counts else bad + 1
        except requests.RequestException as exc:
            streak, bad, error = 0, 0, _short(exc)
        elapsed = time.monotonic() - start
        if streak >= probe.healthy_threshold:
            return HealthResult(True, url, elapsed, attempts, status, body, error)
        if bad >= probe.unhealthy_threshold:
            return HealthResult(False, url, elapsed, attempts, status, body, error, unhealthy=bad)
        stopped = give_up is not None and give_up.is_set()
        if elapsed >= probe.deadline or stopped:
            return HealthResult(
                False, url, elapsed, attempts, status, body, error,
                stopped=stopped and elapsed < probe.deadline,
            )  # fmt: skip
        time.sleep(probe.interval)


def poll_once(url: str, probe: Probe) -> int | None:
    """One request as the balancer sends it; its status, or None when nothing answered."""
    import requests

    session = requests.Session()
    session.trust_env = False
    try:
        return session.get(
            url, timeout=probe.timeout, allow_redirects=False, headers=probe.headers()
        ).status_code
    except requests.RequestException:
        return None


def _short(exc: Exception) -> str:
    text = str(exc)
    for marker, said in (
        ("Connection refused", "was refused"),
        ("Connection reset", "was reset"),
        ("Read timed out", "timed out"),
        ("RemoteDisconnected", "was cut off"),
    ):
        if marker in text:
            return said
    return f"failed ({type(exc).__name__})"

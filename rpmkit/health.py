"""The HTTP health check, with the load balancer's semantics.

A target is healthy after `healthy_threshold` consecutive answers with the
expected status, each within `timeout`; polls are `interval` apart; connection
errors mean "not ready yet"; after `deadline` the check fails with the last
answer seen.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Probe:
    """How to poll: what a healthy answer is and how long to wait for it."""

    path: str = "/health_check"
    port: int = 80
    expected_status: int = 200
    interval: float = 0.1
    timeout: float = 1.0
    healthy_threshold: int = 1
    deadline: float = 30.0


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

    def summary(self) -> str:
        """One line for the report."""
        if self.ok:
            return f"{self.url} answered {self.status} after {self.seconds:.2f}s"
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


def poll(url: str, probe: Probe, give_up: threading.Event | None = None) -> HealthResult:
    """Poll `url` until healthy, the deadline passes, or `give_up` is set (e.g. the boot failed)."""
    import requests

    session = requests.Session()
    session.trust_env = False  # a proxy from the environment must not answer for localhost
    start = time.monotonic()
    streak = attempts = 0
    status: int | None = None
    body = error = ""
    while True:
        attempts += 1
        try:
            response = session.get(url, timeout=probe.timeout, allow_redirects=False)
            status, body, error = response.status_code, response.text[:2048], ""
            streak = streak + 1 if status == probe.expected_status else 0
        except requests.RequestException as exc:
            streak, error = 0, _short(exc)
        elapsed = time.monotonic() - start
        if streak >= probe.healthy_threshold:
            return HealthResult(True, url, elapsed, attempts, status, body, error)
        if elapsed >= probe.deadline or (give_up is not None and give_up.is_set()):
            return HealthResult(False, url, elapsed, attempts, status, body, error)
        time.sleep(probe.interval)


def poll_once(url: str, probe: Probe) -> int | None:
    """One request as the balancer sends it; its status, or None when nothing answered."""
    import requests

    session = requests.Session()
    session.trust_env = False
    try:
        return session.get(url, timeout=probe.timeout, allow_redirects=False).status_code
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

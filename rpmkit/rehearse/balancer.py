"""The load balancer in front of a rehearsal: HAProxy's config, its runtime API and its log.

An ELB is the model; the config is what an ELB does, no more:

- Active HTTP health checks with the app's `[health_check]` path, port and
  expected status, and `[health_check.load_balancer]`'s thresholds (`rise`
  = healthy_threshold, `fall` = unhealthy_threshold). Its interval and
  timeout are scaled down for a local run by one factor,
  `check_interval / load_balancer.interval` (30 s -> 200 ms by default); the
  check timeout is at least 100 ms. A dead target is marked down after
  `fall` failed checks, each waiting out its timeout: about 2 s here with
  the defaults, where the real balancer takes 5 x 30 s and more.
- `retries 0`, `no option redispatch`: a request that fails on a target is
  not retried there nor sent to another one. An ELB answers 502/503/504 to
  the client instead, and so does this balancer; the clients count it.
- No passive checks (`observe`): only the health check takes a target out.
- Round robin, one request per connection (`option httpclose`): HAProxy
  closes a kept-alive client connection without any answer when a target
  fails under a second request on it, so that the client may retry; an ELB
  answers 502. With one request per connection every failed request gets
  its 502/503/504, as from an ELB.
- A target added while the group runs (a new group, a replacement) starts
  DOWN and gets no traffic (drain) until the health check has passed `rise`
  times in a row, as a target registered with an ELB.

The runtime API listens on a unix socket in a private directory of the host
(mode 0700, bind-mounted) for a local engine, and on the balancer's own
loopback (`ADMIN_PORT`, reached with `docker exec` from inside) for a remote
one; never on a port reachable from outside the balancer. Every answer carries an
`X-Rpmkit-Server` header naming the target that handled the request (empty
when none could), and each request is logged with the client's
`X-Rpmkit-Request` id and its target, for a request that got no answer.
"""

from __future__ import annotations

import csv
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rpmkit.errors import RehearsalError

BACKEND = "app"
MOUNT = "/etc/rpmkit"  # in the container: the config, and the runtime API's socket
CONFIG_FILE = "haproxy.cfg"
SOCKET_FILE = "admin.sock"
ADMIN_PORT = 9999  # the runtime API on the balancer's own loopback
REQUEST_HEADER = "X-Rpmkit-Request"
SERVER_HEADER = "X-Rpmkit-Server"
LOG_TAG = "rpmkit-request"
LISTEN_PORT = 80
MIN_CHECK_TIMEOUT = 0.1
CONNECT_TIMEOUT = 1.0
SERVER_TIMEOUT = 10.0


@dataclass(frozen=True)
class HealthSettings:
    """The balancer's health check: what it asks, how often, and its thresholds."""

    path: str
    port: int
    expected_status: int
    interval: float
    timeout: float
    rise: int
    fall: int


@dataclass(frozen=True)
class Server:
    """One target: the balancer's name for it and where it listens."""

    name: str
    address: str  # a container name (resolved at start) or an address
    port: int


@dataclass(frozen=True)
class ServerState:
    """A target as the balancer sees it (`show stat`)."""

    name: str
    status: str  # UP, DOWN, DRAIN, MAINT, or a transition such as "DOWN 1/2"
    check: str  # the last health check's result: L7OK, L4CON, L7STS, ...
    sessions: int

    @property
    def healthy(self) -> bool:
        """Up by the balancer's own health checks (whether or not it takes traffic)."""
        return self.status in ("UP", "DRAIN") and self.check == "L7OK"

    @property
    def down(self) -> bool:
        """Marked down by the health check, or taken out of service."""
        return self.status.startswith(("DOWN", "MAINT"))


@dataclass(frozen=True)
class Served:
    """The balancer's log line for one request."""

    server: str  # <NOSRV> when no target could take it
    status: int
    termination: str  # HAProxy's termination state: ---- is a clean end


def local_health(
    path: str,
    port: int,
    expected_status: int,
    lb_interval: float,
    lb_timeout: float,
    healthy_threshold: int,
    unhealthy_threshold: int,
    check_interval: float,
) -> HealthSettings:
    """The real balancer's health check, its times scaled down to `check_interval`."""
    scale = check_interval / lb_interval
    timeout = max(lb_timeout * scale, MIN_CHECK_TIMEOUT)
    return HealthSettings(
        path, port, expected_status, check_interval, timeout, healthy_threshold, unhealthy_threshold
    )


def _ms(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"


def server_options(health: HealthSettings, server_port: int) -> str:
    """A server line's health check options (also what `add server` takes)."""
    inter = _ms(health.interval)
    options = f"check inter {inter} fastinter {inter} downinter {inter} "
    options += f"rise {health.rise} fall {health.fall}"
    if health.port != server_port:
        options += f" port {health.port}"
    return options


def config(health: HealthSettings, servers: Sequence[Server]) -> str:
    """HAProxy's configuration: one frontend, one backend with the app's health check."""
    lines = [
        "# Made by rpmkit rehearse: an ELB's behaviour, scaled down for a local run.",
        "global",
        f"    stats socket {MOUNT}/{SOCKET_FILE} mode 666 level admin",
        f"    stats socket ipv4@127.0.0.1:{ADMIN_PORT} level admin",
        "    stats timeout 10s",
        "    log stdout format raw local0 info",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    # No retry and no redispatch: a failed request fails, as on an ELB.",
        "    retries 0",
        "    no option redispatch",
        "    option httpclose",
        f"    timeout connect {_ms(CONNECT_TIMEOUT)}",
        "    timeout client 30s",
        f"    timeout server {_ms(SERVER_TIMEOUT)}",
        "    timeout http-request 10s",
        f"    timeout check {_ms(health.timeout)}",
        "",
        "frontend web",
        f"    bind :{LISTEN_PORT}",
        f"    capture request header {REQUEST_HEADER} len 32",
        f'    log-format "{LOG_TAG} %[capture.req.hdr(0)] %s %ST %tsc %Ta"',
        f'    http-after-response set-header {SERVER_HEADER} "%[srv_name]"',
        f"    default_backend {BACKEND}",
        "",
        f"backend {BACKEND}",
        "    balance roundrobin",
        "    option httpchk",
        f"    http-check send meth GET uri {health.path} ver HTTP/1.1 hdr Host localhost",
        f"    http-check expect status {health.expected_status}",
    ]
    for server in servers:
        options = server_options(health, server.port)
        lines.append(f"    server {server.name} {server.address}:{server.port} {options}")
    return "\n".join(lines) + "\n"


def add_commands(server: Server, health: HealthSettings) -> list[str]:
    """Runtime API commands that add a target: DOWN, and drained until it passes `rise` checks."""
    target = f"{BACKEND}/{server.name}"
    return [
        f"add server {target} {server.address}:{server.port} {server_options(health, server.port)}",
        f"enable health {target}",
        # Out of maintenance a server counts as up until a check fails: drain it
        # first, then force it down so that it needs `rise` good checks.
        f"set server {target} state drain",
        f"set server {target} health down",
    ]


def switch_commands(ready: Sequence[str], drain: Sequence[str]) -> list[str]:
    """Put `ready` in service and drain `drain`, in one request line."""
    commands = [f"set server {BACKEND}/{name} state ready" for name in ready]
    return commands + [f"set server {BACKEND}/{name} state drain" for name in drain]


def parse_stat(text: str) -> dict[str, ServerState]:
    """The backend's targets from `show stat`."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# "):
        raise RehearsalError(f"unexpected answer from the balancer: {text[:200]!r}")
    rows = csv.DictReader([lines[0][2:], *lines[1:]])
    states = {}
    for row in rows:
        if row.get("pxname") == BACKEND and row.get("svname") not in ("BACKEND", "FRONTEND"):
            name = row["svname"]
            check = (row.get("check_status") or "").lstrip("* ")
            states[name] = ServerState(
                name, row.get("status", ""), check, int(row.get("scur") or 0)
            )
    return states


def parse_log(text: str) -> dict[str, Served]:
    """Request id -> the balancer's record of it, from its log."""
    served = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0] == LOG_TAG and parts[1] not in ("", "-"):
            status = int(parts[3]) if parts[3].lstrip("-").isdigit() else -1
            served[parts[1]] = Served(parts[2], status, parts[4])
    return served


# HAProxy's runtime API from inside the balancer: bash's /dev/tcp (Debian's minbase has bash).
EXEC_SEND = 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 97; printf "%s\\n" "$2" >&3; cat <&3'


class Api:
    """HAProxy's runtime API: over its unix socket (`path`), or through `exec` in its container.

    `exec` runs an argument list inside the balancer and gives (exit status,
    output): for an engine that does not share this machine's filesystem.
    """

    def __init__(
        self,
        path: Path | None = None,
        timeout: float = 5.0,
        exec: Callable[[list[str], float], tuple[int, str]] | None = None,
    ) -> None:
        self.path = path
        self.timeout = timeout
        self._exec = exec

    def send(self, *commands: str) -> str:
        """Send commands on one line (run in order, back to back); HAProxy's answer."""
        line = "; ".join(commands)
        if self._exec is not None:
            argv = ["bash", "-c", EXEC_SEND, "bash", str(ADMIN_PORT), line]
            rc, output = self._exec(argv, self.timeout)
            if rc != 0:
                raise RehearsalError(f"the balancer's runtime API did not answer (exit {rc})")
            return output
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(str(self.path))
            sock.sendall((line + "\n").encode())
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def run(self, *commands: str, expect: str = "") -> None:
        """Send commands whose answers must all be `expect` (most commands answer nothing)."""
        answers = [a.strip() for a in self.send(*commands).split("\n\n") if a.strip()]
        wrong = [a for a in answers if a != expect]
        if wrong or (expect and not answers):
            raise RehearsalError(
                f"the balancer refused {commands[0]!r}: {'; '.join(wrong) or 'no answer'}"
            )

    def add(self, server: Server, health: HealthSettings) -> None:
        """Add a target that takes no traffic until it has passed the health check."""
        first, *rest = add_commands(server, health)
        self.run(first, expect="New server registered.")
        self.run(*rest)

    def detach(self, name: str) -> bool:
        """Take a target out of service for good; False when it could only be put in maintenance."""
        self.run(f"set server {BACKEND}/{name} state maint")
        return self.send(f"del server {BACKEND}/{name}").strip() == "Server deleted."

    def servers(self) -> dict[str, ServerState]:
        """Every target of the backend, as the balancer sees it now."""
        return parse_stat(self.send("show stat"))

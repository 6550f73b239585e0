"""The balancer as a running service: its container, and instances put in and out of service.

An instance is in service when it passes both rpmkit's own probe (the app's
`[health_check]`, through its published port) and the balancer's own health
check (`show stat` says UP or DRAIN, last check L7OK). Targets added at run
time take no traffic until then; `switch` puts them in service.

A target is always taken out of the balancer before a new instance starts
after its instance went: Docker hands a freed address to the next container,
and a target still pointing at it would send traffic to the wrong instance.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rpmkit.engine import Container
from rpmkit.errors import RehearsalError
from rpmkit.labels import Run
from rpmkit.rehearse import balancer, fleet
from rpmkit.verify.health import HealthResult, Probe, poll

if TYPE_CHECKING:
    from rpmkit.engine import Engine

POLL = 0.05  # how often the balancer's view is read while waiting
LOG_WAIT = 2.0  # seconds the log may lag behind the last requests' ends
Watch = Callable[[dict[str, balancer.ServerState]], None]


@dataclass(frozen=True)
class Frontend:
    """A running balancer: its container, runtime API and published port."""

    container: Container = field(repr=False, compare=False)
    api: balancer.Api
    port: int  # the frontend's port on `address`
    address: str  # where this machine reaches the balancer and the instances (`Engine.reach`)
    health: balancer.HealthSettings
    probe: Probe
    traffic_port: int

    def add(self, member: fleet.Member) -> None:
        """Add an instance as a target that gets no traffic yet."""
        # HAProxy 2.6 resolves no names for targets added at run time: give the address.
        server = balancer.Server(member.server, member.address, self.traffic_port)
        self.api.add(server, self.health)

    def switch(self, ready: Sequence[str], drain: Sequence[str] = ()) -> None:
        """Put `ready` in service and drain `drain`, in one request line."""
        self.api.run(*balancer.switch_commands(ready, drain))

    def detach(self, name: str) -> None:
        """Take a target out of the balancer (the instance may be gone already)."""
        with contextlib.suppress(RehearsalError, OSError):
            self.api.detach(name)

    def in_service(self, group: Sequence[fleet.Member], watch: Watch | None = None) -> list[str]:
        """Wait until each instance passes rpmkit's probe and the balancer's health check.

        `watch` sees the balancer's view at each poll. Returns a line per
        instance that did not make it in time (with its journal), or nothing.
        """
        probe, health = self.probe, self.health
        give_up = threading.Event()
        pool = ThreadPoolExecutor(max_workers=len(group), thread_name_prefix="rpmkit-probe")
        try:
            probes: dict[str, Future[HealthResult]] = {
                m.server: pool.submit(
                    poll, f"http://{self.address}:{m.health_port}{probe.path}", probe, give_up
                )
                for m in group
            }
            # The balancer needs `rise` good checks after rpmkit's probe first passes.
            deadline = time.monotonic() + probe.deadline + (health.rise + 2) * health.interval + 1
            while True:
                states = self.api.servers()
                if watch is not None:
                    watch(states)
                pending = [m for m in group if not _ready(states.get(m.server), probes[m.server])]
                if not pending:
                    return []
                if any(
                    probes[m.server].done() and not probes[m.server].result().ok for m in pending
                ):
                    deadline = time.monotonic()
                if time.monotonic() >= deadline:
                    give_up.set()
                    return [_not_ready(m, states.get(m.server), probes[m.server]) for m in pending]
                time.sleep(POLL)
        finally:
            give_up.set()
            pool.shutdown(wait=True, cancel_futures=True)

    def wait_down(self, name: str, timeout: float, watch: Watch | None = None) -> bool:
        """Wait until the balancer's health check marks a target down; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = self.api.servers()
            if watch is not None:
                watch(states)
            state = states.get(name)
            if state is None or state.down:
                return True
            time.sleep(POLL)
        return False

    def drain(self, names: Sequence[str], watch: Watch | None = None) -> None:
        """Wait until the targets have no request left (at most the balancer's server timeout)."""
        deadline = time.monotonic() + balancer.SERVER_TIMEOUT + 1
        while time.monotonic() < deadline:
            states = self.api.servers()
            if watch is not None:
                watch(states)
            if all(states[n].sessions == 0 for n in names if n in states):
                return
            time.sleep(POLL)

    def served(self, wanted: Iterable[str] = (), wait: float = LOG_WAIT) -> dict[str, str]:
        """Request id -> the target that handled it, from the balancer's log.

        HAProxy logs a request when it ends, and the engine's log lags a little:
        until every `wanted` request id is in it, the log is read again, for at
        most `wait` seconds (a request the balancer never saw is never logged).
        """
        missing = set(wanted)
        deadline = time.monotonic() + wait
        while True:
            log = self.container.logs(stdout=True, stderr=False)
            found = {rid: s.server for rid, s in balancer.parse_log(log).items()}
            if not missing - found.keys() or time.monotonic() >= deadline:
                return found
            time.sleep(0.2)

    def detection_bound(self) -> float:
        """The longest the health check should take to mark a dead target down, with slack."""
        h = self.health
        return (h.fall + 2) * (h.interval + balancer.CONNECT_TIMEOUT) + 1


def start(
    engine: Engine,
    image: str,
    network: str,
    run: Run,
    folder: Path,
    health: balancer.HealthSettings,
    probe: Probe,
    traffic_port: int,
    group: Sequence[fleet.Member],
) -> Frontend:
    """Start HAProxy in front of `group` (targets by container name), its API in `folder`."""
    servers = [balancer.Server(m.server, m.name, traffic_port) for m in group]
    text = balancer.config(health, servers)
    name = run.container_name("balancer")
    ports = (balancer.LISTEN_PORT,)
    if engine.is_local:
        (folder / balancer.CONFIG_FILE).write_text(text)
        mount = {str(folder): {"bind": balancer.MOUNT, "mode": "rw"}}
        container = engine.run(image, name=name, run=run, network=network, ports=ports,
                               volumes=mount)  # fmt: skip
        api = balancer.Api(folder / balancer.SOCKET_FILE)
    else:  # the engine cannot see `folder`: the config is copied in, the API reached inside
        container = engine.create(image, name=name, run=run, network=network, ports=ports)
        try:
            container.put_files({f"{balancer.MOUNT}/{balancer.CONFIG_FILE}": text.encode()})
            container.start()
        except BaseException:
            container.remove()
            raise
        api = balancer.Api(exec=lambda argv, timeout: _exec(container, argv, timeout))
    deadline = time.monotonic() + 15
    while True:
        try:
            api.servers()
            break
        except (OSError, RehearsalError):
            if container.status() != "running" or time.monotonic() > deadline:
                log = container.logs()
                raise RehearsalError("the balancer did not start", details=log[-3000:]) from None
            time.sleep(POLL)
    host_port = engine.reach.ports(container, ports, network, run)[balancer.LISTEN_PORT]
    return Frontend(container, api, host_port, engine.reach.address, health, probe, traffic_port)


def _exec(container: Container, argv: list[str], timeout: float) -> tuple[int, str]:
    result = container.exec(argv, timeout=timeout)
    return result.rc, result.stdout


def _ready(state: balancer.ServerState | None, probe: Future[HealthResult]) -> bool:
    return state is not None and state.healthy and probe.done() and probe.result().ok


def _not_ready(
    member: fleet.Member, state: balancer.ServerState | None, probe: Future[HealthResult]
) -> str:
    said = probe.result().summary() if probe.done() else "rpmkit's probe still waiting"
    seen = f"{state.status}, last check {state.check or 'none'}" if state else "not listed"
    journal = fleet.journal_tail(member, 15).rstrip().replace("\n", "\n    ")
    return f"{member.server}: {said}; the balancer: {seen}\n  journal:\n    {journal}"

"""Chaos: instances killed under load, and what the balancer made of each kill.

A kill is SIGKILL to the instance's init (`fleet.kill`): everything on it
dies at once, as when an instance is terminated. The log keeps, for each
kill, when it happened, when the balancer's health check marked the instance
down, until when the balancer could still give it requests (marked down, or
taken out of service), and the replacement with the time it took to come
into service. Times are seconds since the load began.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rpmkit.rehearse import fleet
from rpmkit.rehearse.balancer import ServerState
from rpmkit.rehearse.load import Kill


@dataclass(frozen=True)
class Chaos:
    """One instance killed under load, and how the group recovered."""

    during: str  # the phase: steady or swap
    killed: str
    at: float
    down_after: float | None  # until the balancer's health check marked it down
    replacement: str | None = None
    in_service_after: float | None = None  # from the kill to the replacement in service


class KillLog:
    """The kills of one rehearsal, as they happen."""

    def __init__(self, now: Callable[[], float], event: Callable[[str], None]) -> None:
        self.now, self.event = now, event
        self.killed: dict[str, tuple[str, float]] = {}  # name -> (phase, when)
        self.down: dict[str, float] = {}  # name -> when the balancer marked it down
        self.chaos: list[Chaos] = []
        self.kills: list[Kill] = []

    def kill(self, member: fleet.Member, phase: str) -> None:
        """Terminate an instance now."""
        self.killed[member.server] = (phase, self.now())
        fleet.kill(member)
        self.event(f"killed {member.server}")

    def killed_in(self, phase: str) -> bool:
        """Whether an instance was killed in the phase."""
        return any(p == phase for p, _ in self.killed.values())

    def watch(self, states: dict[str, ServerState]) -> None:
        """Note the moment the balancer marks a killed instance down."""
        for name in self.killed:
            state = states.get(name)
            if name not in self.down and state is not None and state.down:
                self.down[name] = self.now()
                self.event(f"the balancer marked {name} down")

    def record(
        self, name: str, until: float, replacement: str | None = None, ready: float | None = None
    ) -> None:
        """Close a kill: the balancer could give it requests until `until`."""
        phase, at = self.killed[name]
        down = self.down[name] - at if name in self.down else None
        in_service = ready - at if ready is not None else None
        self.chaos.append(Chaos(phase, name, at, down, replacement, in_service))
        self.kills.append(Kill(name, at, until))

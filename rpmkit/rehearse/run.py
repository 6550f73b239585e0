"""Rehearse the rollout: a group behind a real load balancer, a red-black swap, chaos.

Each phase runs under a steady stream of requests through the balancer:

1. start: the old and new RPMs are baked into images (installed as the
   check installs, committed before boot: `fleet`); the old group boots
   from its image on a private network, HAProxy in front (`frontend`). An
   instance is in service when it passes rpmkit's own probe (the app's
   `[health_check]`) and the balancer's own health check.
2. steady: the load runs for `steady_seconds`. With chaos, a random instance
   is killed at a random moment between 25% and 60% of the phase. Once the
   balancer's health check has marked it down (an Auto Scaling Group with
   the load balancer's health check replaces an instance then), it is taken
   out of the balancer and a replacement from the same image starts, and
   goes into service once healthy. The phase lasts until it is.
3. swap (red-black): the new group starts and is added to the balancer
   drained and DOWN. The switch waits until every new instance is in
   service by both checks; then one request line to HAProxy's runtime API
   puts the new group in service and drains the old one. When the old
   group has no request left it is detached, then removed. With chaos in
   the swap, a random old instance is killed while the new group comes up.
4. after: the load runs on the new group for `after_seconds`.

Each answer names the instance that handled it; the balancer's log names it
for a request without an answer. Each instance's filesystem diff tells what
it wrote (`disposable`). Everything the run makes carries its labels and is
removed when it ends, on failure and Ctrl-C too.
"""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rpmkit import labels, scratch
from rpmkit.errors import DockerUnavailable, InstallError, RehearsalError
from rpmkit.profiles import Profile
from rpmkit.progress import Reporter
from rpmkit.rehearse import balancer, fleet, frontend
from rpmkit.rehearse.chaos import Chaos, KillLog
from rpmkit.rehearse.config import Rehearse
from rpmkit.rehearse.load import ALLOWED_HOSTS, Kill, Load, Sample, attribute
from rpmkit.rpm import RpmFile
from rpmkit.verify.disposable import DEFAULT_DISPOSABLE, Change
from rpmkit.verify.health import Probe

if TYPE_CHECKING:
    from rpmkit.engine import Engine


@dataclass(frozen=True)
class RehearsePlan:
    """What to roll out, and how."""

    app: str
    old: tuple[RpmFile, ...]
    new: tuple[RpmFile, ...]
    probe: Probe  # rpmkit's own health probe: the app's [health_check]
    health: balancer.HealthSettings  # the balancer's health check
    traffic_port: int  # where the balancer sends requests on each instance
    settings: Rehearse = field(default_factory=Rehearse)
    chaos: bool = False  # kill an instance during the steady phase
    chaos_swap: bool = False  # kill an old instance while the new group comes up
    seed: int = 0


@dataclass(frozen=True)
class Event:
    """Something that happened, in seconds since the load began (negative: before)."""

    at: float
    what: str


@dataclass(frozen=True)
class Rehearsal:
    """Everything one rehearsal saw."""

    app: str
    profile: str
    settings: Rehearse  # the group size, load and phases it ran with
    old: fleet.BakedImage | None
    new: fleet.BakedImage | None
    samples: tuple[Sample, ...]
    phases: dict[str, tuple[float, float]]  # phase -> (start, end), seconds since the load began
    events: tuple[Event, ...]
    chaos: tuple[Chaos, ...]
    kills: tuple[Kill, ...]
    writes: dict[str, tuple[Change, ...]]  # instance -> what it wrote outside disposable paths
    timings: dict[str, float]
    swap: dict[str, float]  # healthy, switched, detached, removed: since the new group started
    seed: int
    stopped_at: str = ""  # the stage that could not go on
    problem: str = ""
    evidence: str = ""


class _Stop(Exception):
    """A phase that cannot go on; the rehearsal reports it and cleans up."""

    def __init__(self, stage: str, message: str, evidence: str = "") -> None:
        super().__init__(message)
        self.stage, self.message, self.evidence = stage, message, evidence


def rehearse(
    engine: Engine,
    profile: Profile,
    runtime_image: str,
    balancer_image: str,
    plan: RehearsePlan,
    reporter: Reporter,
) -> Rehearsal:
    """Run the rehearsal; never raises for what it finds, and leaves nothing behind."""
    return _Run(engine, profile, plan, reporter).go(runtime_image, balancer_image)


class _Run:
    """One rehearsal's moving parts; what it found becomes a Rehearsal at the end."""

    def __init__(
        self, engine: Engine, profile: Profile, plan: RehearsePlan, reporter: Reporter
    ) -> None:
        self.engine, self.profile, self.plan, self.reporter = engine, profile, plan, reporter
        engine.reap()
        self.run = labels.Run.new(plan.app)
        self.rng = random.Random(plan.seed)
        self.network = self.run.container_name()
        self.keep = (*DEFAULT_DISPOSABLE, *plan.settings.disposable)
        self.images: dict[str, fleet.BakedImage] = {}
        self.members: dict[str, fleet.Member] = {}
        self.started = {"old": 0, "new": 0}  # instances started per group, for their names
        self.front: frontend.Frontend | None = None
        self.load: Load | None = None
        self.events: list[tuple[float, str]] = []  # (time.monotonic(), what)
        self.log = KillLog(self._now, self._event)
        self.writes: dict[str, tuple[Change, ...]] = {}
        self.timings: dict[str, float] = {}
        self.phases: dict[str, tuple[float, float]] = {}
        self.swap: dict[str, float] = {}

    def go(self, runtime_image: str, balancer_image: str) -> Rehearsal:
        start = time.monotonic()
        folder = scratch.folder("balancer")
        stop: _Stop | None = None
        try:
            try:
                self._bake(runtime_image)
                self._start(balancer_image, folder)
                self._steady()
                self._swap()
                self._after()
            except _Stop as exc:
                stop = exc
            except (RehearsalError, InstallError) as exc:
                stop = _Stop(self._stage(), exc.message, exc.details or "")
            except DockerUnavailable as exc:
                stop = _Stop(self._stage(), exc.message)
            samples = self._finish()
            self.timings["total"] = time.monotonic() - start
            return self._result(samples, stop)
        finally:
            if self.load is not None:
                self.load.stop()
            self.engine.remove_run(self.run.id)
            shutil.rmtree(folder, ignore_errors=True)

    def _stage(self) -> str:
        """The stage under way, for a failure that stops the run."""
        if self.load is None:
            return "start" if self.images else "bake"
        return next((p for p in ("after", "swap") if p in self.phases), "steady")

    # -- phases --------------------------------------------------------------------

    def _bake(self, runtime_image: str) -> None:
        t = time.monotonic()
        for group, rpms in (("old", self.plan.old), ("new", self.plan.new)):
            names = ", ".join(r.path.name for r in rpms)
            with self.reporter.step(f"baking the {group} image: installing {names}"):
                try:
                    self.images[group] = fleet.bake(
                        self.engine, self.profile, runtime_image, rpms, self.run
                    )
                except InstallError as exc:
                    raise _Stop("bake", f"{group}: {exc.message}", exc.details or "") from None
        self.timings["bake"] = time.monotonic() - t

    def _start(self, balancer_image: str, folder: Path) -> None:
        t = time.monotonic()
        s, old = self.plan.settings, self.images["old"]
        self.engine.create_network(self.network, self.run)
        with self.reporter.step(
            f"starting {s.instances} instances of {old.subject} behind HAProxy"
        ):
            group = [self._boot("old") for _ in range(s.instances)]
            self.front = frontend.start(
                self.engine,
                balancer_image,
                self.network,
                self.run,
                folder,
                self.plan.health,
                self.plan.probe,
                self.plan.traffic_port,
                group,
            )
            late = self.front.in_service(group)
            if late:
                raise _Stop("start", "the old group never came into service", "\n".join(late))
        self.timings["start"] = time.monotonic() - t
        self._event("old group in service")
        url = f"http://{self.front.address}:{self.front.port}{s.path}"
        bound = s.steady_seconds + s.after_seconds + 4 * self.plan.probe.deadline + 60
        allowed = (*ALLOWED_HOSTS, self.front.address)  # the engine the balancer runs on
        self.load = Load(url, s.requests_per_second, s.clients, bound, allowed=allowed)
        self.load.start()
        self._event("load started")

    def _steady(self) -> None:
        assert self.load is not None
        s = self.plan.settings
        label = f"steady load: {s.requests_per_second} requests/s from {s.clients} clients"
        label += f" for {s.steady_seconds:g}s" + (
            ", one instance killed" if self.plan.chaos else ""
        )
        with self.reporter.step(label):
            if self.plan.chaos:
                self._sleep_until(self.rng.uniform(0.25, 0.6) * s.steady_seconds)
                self._kill_and_replace()
            self._sleep_until(s.steady_seconds)
        self.phases["steady"] = (0.0, self.load.now())

    def _swap(self) -> None:
        assert self.load is not None
        assert self.front is not None
        front, t, begin = self.front, time.monotonic(), self.load.now()
        self.phases["swap"] = (begin, begin)
        old, new = sorted(self.members), self.images["new"]
        kill_at = begin + self.rng.uniform(0.1, 0.8) if self.plan.chaos_swap else None

        def watch(states: dict[str, balancer.ServerState]) -> None:
            if kill_at is not None and self._now() >= kill_at and not self.log.killed_in("swap"):
                self.log.kill(self.members[self.rng.choice(old)], "swap")
            self.log.watch(states)

        n = self.plan.settings.instances
        with self.reporter.step(f"red-black swap to {n} instances of {new.subject}"):
            group = [self._boot("new") for _ in range(n)]
            for member in group:
                front.add(member)
            late = front.in_service(group, watch)
            if late:
                message = "the new group never came into service; the old group kept serving"
                raise _Stop("swap", message, "\n".join(late))
            if kill_at is not None and not self.log.killed_in("swap"):  # healthy before it was due
                self.log.kill(self.members[self.rng.choice(old)], "swap")
            self.swap["healthy"] = time.monotonic() - t
            self._event("new group in service")
            front.switch([m.server for m in group], [name for name in old if name in self.members])
            switched = self._now()
            self.swap["switched"] = time.monotonic() - t
            self._event("switched the balancer to the new group")
            front.drain(old, self.log.watch)
            for name in old:
                front.detach(name)
            self.swap["detached"] = self.timings["swap"] = time.monotonic() - t
            self._event("old group drained and detached")
            for name in old:
                self._retire(name, detach=False)
        self.swap["removed"] = time.monotonic() - t
        for name in old:
            if name in self.log.killed:
                self.log.record(name, min(self.log.down.get(name, switched), switched))
        self.phases["swap"] = (begin, self.load.now())

    def _after(self) -> None:
        assert self.load is not None
        after = self.plan.settings.after_seconds
        begin = self.load.now()
        with self.reporter.step(f"load on the new group for {after:g}s"):
            self._sleep_until(begin + after)
        self.phases["after"] = (begin, self.load.now())

    def _finish(self) -> list[Sample]:
        samples: list[Sample] = []
        if self.load is not None:
            samples = self.load.stop()
            self._event("load stopped")
        if self.front is not None:
            samples = attribute(samples, self.front.served(s.id for s in samples if not s.server))
        for name in sorted(self.members):
            self._retire(name)
        return samples

    def _result(self, samples: list[Sample], stop: _Stop | None) -> Rehearsal:
        t0 = self.load.began if self.load is not None else time.monotonic()
        return Rehearsal(
            app=self.plan.app,
            profile=self.profile.name,
            settings=self.plan.settings,
            old=self.images.get("old"),
            new=self.images.get("new"),
            samples=tuple(samples),
            phases=dict(self.phases),
            events=tuple(Event(at - t0, what) for at, what in self.events),
            chaos=tuple(self.log.chaos),
            kills=tuple(self.log.kills),
            writes=dict(self.writes),
            timings=dict(self.timings),
            swap=dict(self.swap),
            seed=self.plan.seed,
            stopped_at=stop.stage if stop else "",
            problem=stop.message if stop else "",
            evidence=stop.evidence if stop else "",
        )

    # -- instances -------------------------------------------------------------------

    def _boot(self, group: str) -> fleet.Member:
        self.started[group] += 1
        server = f"{group}{self.started[group]}"
        member = fleet.start(
            self.engine,
            self.profile,
            self.images[group],
            self.network,
            self.run,
            server,
            self.plan.probe.port,
        )
        self.members[server] = member
        return member

    def _retire(self, name: str, detach: bool = True) -> None:
        """Detach an instance from the balancer, read what it wrote, remove it."""
        member = self.members.pop(name)
        if detach and self.front is not None:
            self.front.detach(name)
        self.writes[name] = tuple(fleet.retire(member, self.keep))

    # -- chaos -------------------------------------------------------------------------

    def _kill_and_replace(self) -> None:
        """Kill a random instance under load; once the balancer has marked it down, start a
        replacement, as a scaling group with the balancer's health check does."""
        assert self.front is not None
        name = self.rng.choice(sorted(self.members))
        self.log.kill(self.members[name], "steady")
        self.front.wait_down(name, self.front.detection_bound(), self.log.watch)
        detached = self._now()
        self._retire(name)  # before any new container may take over its address
        member = self._boot("old")
        self.front.add(member)
        late = self.front.in_service([member])
        if late:
            raise _Stop("chaos", f"the replacement {member.server} never came into service",
                        "\n".join(late))  # fmt: skip
        self.front.switch([member.server])
        self._event(f"replacement {member.server} in service")
        self.log.record(name, detached, member.server, self._now())

    # -- time ----------------------------------------------------------------------------

    def _now(self) -> float:
        return self.load.now() if self.load is not None else 0.0

    def _sleep_until(self, at: float) -> None:
        time.sleep(max(0.0, at - self._now()))

    def _event(self, what: str) -> None:
        self.events.append((time.monotonic(), what))

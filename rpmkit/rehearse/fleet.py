"""A rehearsal's instances: baked images, and instances started from them on a private network.

The baked image is the local stand-in for the AMI: a fresh runtime container
installs the RPMs exactly as the check's install does (services not running),
and is committed before it ever boots. Every instance of a group then boots
from that one image, as an Auto Scaling Group's instances do from one AMI,
so `docker diff` of an instance shows only what it wrote at and after boot.
The committed image carries the run's labels and goes when the run ends.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rpmkit.engine import Container
from rpmkit.install.stage import REPO_DIR, RPM_DIR, install
from rpmkit.labels import Run
from rpmkit.profiles import Profile, boot_options
from rpmkit.rpm import RpmFile
from rpmkit.verify import disposable

if TYPE_CHECKING:
    from rpmkit.engine import Engine


@dataclass(frozen=True)
class BakedImage:
    """An image with the RPMs installed, never booted."""

    id: str
    packages: tuple[str, ...]  # name-version-release.arch of each RPM

    @property
    def subject(self) -> str:
        """The packages, for the report."""
        return ", ".join(self.packages)


@dataclass(frozen=True)
class Member:
    """One instance of a group."""

    container: Container = field(repr=False, compare=False)
    server: str  # the balancer's name for it: old1, new2
    name: str  # the container's name
    address: str  # on the private network
    health_port: int  # where this machine reaches its health check port (`Engine.reach`)
    started: float  # time.monotonic() when it was started


def bake(
    engine: Engine,
    profile: Profile,
    runtime_image: str,
    rpms: Sequence[RpmFile],
    run: Run,
) -> BakedImage:
    """Install the RPMs into a fresh runtime container as the bake does, then commit it.

    Raises InstallError (with the log) when the install fails.
    """
    instance = install(engine, profile, runtime_image, tuple(rpms), run, boot=False, copy_rpms=True)
    try:
        # The RPMs (and a repository made from them) are the bake's inputs, not the AMI's.
        leftovers = [RPM_DIR.rsplit("/", 1)[0], REPO_DIR, profile.package_manager.repo_file]
        instance.exec(["rm", "-rf", *leftovers])
        image = instance.container.commit(run.labels())
    finally:
        instance.container.remove()
    return BakedImage(image, tuple(str(r.nevra) for r in instance.rpms))


def start(
    engine: Engine,
    profile: Profile,
    image: BakedImage,
    network: str,
    run: Run,
    server: str,
    health_port: int,
) -> Member:
    """Boot one instance of the baked image on the network; its health port published."""
    name = run.container_name(server)
    started = time.monotonic()
    container = engine.run(
        image.id, name=name, run=run, hostname=server, network=network, ports=(health_port,),
        **boot_options(profile, None if engine.is_local else engine.cgroup_version(), engine.kind),
    )  # fmt: skip
    try:
        address = container.address(network)
        host_port = engine.reach.ports(container, (health_port,), network, run)[health_port]
    except BaseException:
        container.remove()
        raise
    return Member(container, server, name, address, host_port, started)


def kill(member: Member) -> None:
    """Terminate an instance at once (SIGKILL to its init: everything on it dies)."""
    member.container.kill()


def retire(member: Member, keep: Sequence[str]) -> list[disposable.Change]:
    """What the instance wrote outside the disposable paths `keep`, then remove it."""
    try:
        return disposable.writes(member.container, keep)
    finally:
        member.container.remove()


def journal_tail(member: Member, lines: int = 30) -> str:
    """The instance's last journal lines (or why there are none)."""
    try:
        return member.container.exec(
            ["journalctl", "-n", str(lines), "--no-pager", "-o", "cat"]
        ).output
    except Exception as exc:  # noqa: BLE001 - evidence only; a dead instance has no journal to ask
        return f"(no journal: {exc})"

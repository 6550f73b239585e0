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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpmkit import disposable, labels
from rpmkit.install import REPO_DIR, RPM_DIR, install
from rpmkit.profiles import Profile, boot_options

if TYPE_CHECKING:
    from docker import DockerClient


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

    container: Any = field(repr=False, compare=False)
    server: str  # the balancer's name for it: old1, new2
    name: str  # the container's name
    address: str  # on the private network
    health_port: int  # the health check port, published on 127.0.0.1
    started: float  # time.monotonic() when it was started


def bake(
    client: DockerClient,
    profile: Profile,
    runtime_image: str,
    rpms: Sequence[Path],
    run_id: str,
    app: str,
) -> BakedImage:
    """Install the RPMs into a fresh runtime container as the bake does, then commit it.

    Raises InstallError (with the log) when the install fails.
    """
    instance = install(
        client, profile, runtime_image, list(rpms), run_id, app, boot=False, copy_rpms=True
    )
    try:
        # The RPMs (and a repository made from them) are the bake's inputs, not the AMI's.
        leftovers = [RPM_DIR.rsplit("/", 1)[0], REPO_DIR, profile.package_manager.repo_file]
        instance.container.exec_run(["rm", "-rf", *leftovers])
        image = instance.container.commit(conf={"Labels": labels.run_labels(run_id, app)})
    finally:
        with labels.gone_is_fine():
            instance.container.remove(force=True, v=True)
    return BakedImage(str(image.id), tuple(p.nevra for p in instance.packages))


def container_name(app: str, run_id: str, server: str) -> str:
    """The container name of a group member."""
    return f"rpmkit-{app}-{run_id}-{server}"


def start(
    client: DockerClient,
    profile: Profile,
    image: BakedImage,
    network: str,
    run_id: str,
    app: str,
    server: str,
    health_port: int,
) -> Member:
    """Boot one instance of the baked image on the network; its health port on 127.0.0.1."""
    name = container_name(app, run_id, server)
    started = time.monotonic()
    container = client.containers.run(
        image.id,
        name=name,
        hostname=server,
        network=network,
        labels=labels.run_labels(run_id, app),
        ports={f"{health_port}/tcp": ("127.0.0.1", None)},
        detach=True,
        **boot_options(profile),
    )
    try:
        container.reload()
        address = container.attrs["NetworkSettings"]["Networks"][network]["IPAddress"]
        host_port = int(container.ports[f"{health_port}/tcp"][0]["HostPort"])
    except BaseException:
        with labels.gone_is_fine():
            container.remove(force=True, v=True)
        raise
    return Member(container, server, name, str(address), host_port, started)


def kill(member: Member) -> None:
    """Terminate an instance at once (SIGKILL to its init: everything on it dies)."""
    with labels.gone_is_fine():
        member.container.kill()


def retire(member: Member, keep: Sequence[str]) -> list[disposable.Change]:
    """What the instance wrote outside the disposable paths `keep`, then remove it."""
    try:
        return disposable.writes(member.container, keep)
    finally:
        with labels.gone_is_fine():
            member.container.remove(force=True, v=True)


def journal_tail(member: Member, lines: int = 30) -> str:
    """The instance's last journal lines (or why there are none)."""
    try:
        _, out = member.container.exec_run(
            ["journalctl", "-n", str(lines), "--no-pager", "-o", "cat"]
        )
        return str(out.decode(errors="replace"))
    except Exception as exc:  # noqa: BLE001 - evidence only; a dead instance has no journal to ask
        return f"(no journal: {exc})"

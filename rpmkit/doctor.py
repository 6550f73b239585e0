"""`rpmkit doctor`: is this machine ready to run the pipeline? One line per check."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rpmkit import images, profiles
from rpmkit.errors import ImageMissing

if TYPE_CHECKING:
    from rpmkit.engine import Engine

# Below this much free space an image build or a check is likely to fail part-way.
MIN_FREE_GB = 5.0


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    hint: str = ""


def engine_finding(client: Engine) -> Finding:
    """Which engine answered (Docker or Podman, its version), at which address, local or not."""
    version = client.version()
    api = f"API {version.get('ApiVersion', '?')}"
    if client.kind == "podman":
        name, api = "Podman", f"Docker-compatible {api}"
    else:
        name = "Docker"
    where = "local" if client.is_local else "remote: inputs copied in, not bind-mounted"
    return Finding(
        "engine", True, f"{name} {version.get('Version', '?')} ({api}) at {client.host} ({where})"
    )


def reach_finding(client: Engine, runtime_image: str | None) -> Finding:
    """How this machine reaches the instances' ports: decided now for a remote engine.

    `runtime_image`: an image on the engine with python3 to listen for the test
    (None: not present, so not decided).
    """
    from rpmkit.labels import Run

    if client.is_local or runtime_image is None:
        return Finding("reach", True, client.reach.describe())
    client.reach.decide(runtime_image, Run.new("doctor"))
    return Finding("reach", True, client.reach.describe())


def cli_finding() -> Finding:
    """`rpmkit shell` runs `docker exec` through the CLI (it handles the terminal)."""
    path = shutil.which("docker")
    if path:
        return Finding("docker cli", True, path)
    return Finding(
        "docker cli", False, "not on PATH", "install the docker client (Debian: docker.io)"
    )


def image_findings(engine: Engine, profile: profiles.Profile) -> list[Finding]:
    """Whether the profile's images are present and built from the current inputs."""
    try:
        plans = images.resolve(engine, profile)
    except ImageMissing as exc:
        return [Finding(f"{profile.name} base image", False, exc.message, exc.hint or "")]
    found = []
    for p in plans:
        if images.image_id(engine, p.tag) is not None:
            found.append(Finding(f"{p.role} image", True, f"{p.tag} up to date"))
            continue
        older = [
            t
            for img in engine.images(repository=profile.image_repository(p.role))
            for t in img.tags
        ]
        state = f"outdated ({older[0]} present)" if older else "not built"
        found.append(
            Finding(
                f"{p.role} image",
                False,
                f"{p.tag} {state}",
                f"run `rpmkit images build --profile {profile.name}` (also built on first use)",
            )
        )
    if profile.base.kind == "rootfs" and any(not f.ok for f in found):
        found.append(tool_finding("mmdebstrap", "apt-get install mmdebstrap"))
    return found


def boot_finding(profile: profiles.Profile, cgroup: int | None = None) -> Finding:
    """Whether the profile's systemd can boot on this host's cgroup version."""
    version = cgroup or profiles.cgroup_version()
    limit = profiles.boot_limit(profile, version)
    if limit:
        return Finding(
            "boot",
            False,
            f"cgroup v{version} host: {limit}",
            "use --no-boot, or a cgroup v1 host (systemd.unified_cgroup_hierarchy=0)",
        )
    return Finding("boot", True, f"cgroup v{version} host: {profile.name} boots systemd as PID 1")


def tool_finding(tool: str, install: str) -> Finding:
    """Whether a host tool is on PATH."""
    path = shutil.which(tool)
    return Finding(tool, path is not None, path or "not on PATH", "" if path else install)


def disk_finding(engine: Engine) -> Finding:
    """Free space where the engine keeps its images (on this machine: a local engine only)."""
    root = str(engine.info().get("DockerRootDir") or "/var/lib/docker")
    if not engine.is_local:
        return Finding("disk space", True, f"not measured: {root} is on the engine's host")
    probe = Path(root)
    while not probe.exists():
        probe = probe.parent
    free_gb = shutil.disk_usage(probe).free / 1e9
    ok = free_gb >= MIN_FREE_GB
    return Finding(
        "disk space",
        ok,
        f"{free_gb:.1f} GB free in {root}",
        "" if ok else f"free at least {MIN_FREE_GB:.0f} GB (`rpmkit images prune` helps)",
    )

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
    """Which engine answered, at which address."""
    version = client.version()
    return Finding(
        "docker engine",
        True,
        f"{version.get('Version', '?')} (API {version.get('ApiVersion', '?')}) at {client.host}",
    )


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
    """Free space where the engine keeps its images."""
    root = str(engine.info().get("DockerRootDir") or "/var/lib/docker")
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

"""`rpmkit doctor`: is this machine ready to run the pipeline? One line per check."""

from __future__ import annotations

import glob
import os
import shutil
import struct
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
    warning: bool = False  # works, but slower than it could: never fails the doctor


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


# ioctl(2) FS_IOC_GETFLAGS (linux/fs.h, _IOR('f', 1, long) on 64-bit) and the ext4 flag
# that makes a folder the top of a tree for the Orlov allocator (chattr(1) `T`).
FS_IOC_GETFLAGS = 0x80086601
FS_TOPDIR_FL = 0x00020000
STORAGE_HINT = (
    "chattr +T {layers}: new layers' folders then spread over the block groups "
    "(existing ones are unchanged; `chattr -T` undoes it)"
)


def storage_finding(engine: Engine) -> Finding:
    """Whether instances' files are made where ext4 makes them slowly.

    On overlay2 over ext4, every layer's folder (a container's writable layer
    too) is made in the block group of the engine's `overlay2` folder, where
    removed containers leave thousands of freed inodes. Without a journal,
    ext4 skips inodes freed in the last `dirty_expire_centisecs` one by one
    (`recently_deleted()` in fs/ext4/ialloc.c), so a package's files are made
    3-4 times slower while checks run back to back (hello-world's 540 files:
    0.35 s, against 0.09 s with the folder marked a top directory, `chattr +T`,
    measured here). A warning, not a failure: checks are right either way.
    """
    info = engine.info()
    root = str(info.get("DockerRootDir") or "/var/lib/docker")
    driver = str(info.get("Driver") or "?")
    backing = dict(info.get("DriverStatus") or []).get("Backing Filesystem", "?")
    where = f"{driver} on {backing}"
    if not engine.is_local:
        return Finding("storage", True, f"{where}: on the engine's host, not measured")
    if driver != "overlay2" or backing != "extfs":
        return Finding("storage", True, where)
    layers = os.path.join(root, "overlay2")
    try:
        journaled = _journaled(layers)
        topdir = _flags(layers) & FS_TOPDIR_FL
    except OSError as exc:
        return Finding("storage", True, f"{where}: {layers} not readable here ({exc.strerror})")
    if journaled:
        return Finding("storage", True, f"{where}, with a journal")
    if topdir:
        return Finding("storage", True, f"{where} without a journal; {layers} is a top directory")
    return Finding(
        "storage",
        True,
        f"{where} without a journal: instances' files are made in one busy block group, "
        "3-4 times slower while checks run back to back",
        STORAGE_HINT.format(layers=layers),
        warning=True,
    )


def _flags(path: str) -> int:
    import fcntl

    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        raw = fcntl.ioctl(fd, FS_IOC_GETFLAGS, struct.pack("l", 0))
    finally:
        os.close(fd)
    return int(struct.unpack("l", raw)[0])


def _journaled(path: str) -> bool:
    """Whether the ext4 filesystem holding `path` has a journal: jbd2 lists each journal
    it runs in /proc/fs/jbd2/<device>-<inode>; the device's name from /sys/dev/block."""
    dev = os.stat(path).st_dev
    device = os.path.basename(os.path.realpath(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}"))
    return bool(glob.glob(f"/proc/fs/jbd2/{glob.escape(device)}-*"))

"""A local container's memory, read from the kernel's cgroup files on this machine.

The engine's stats endpoint answers the same question, but on Docker 20.10 a
`one_shot` read still waits for its collector: 0.25-0.4 s measured here,
which a failed check paid before its verdict. For a local engine the
container's cgroup is on this machine: the cgroup of its init process
(`/proc/<pid>/cgroup`, pid as the engine reports it), cut after the path
part that names the container (systemd inside puts itself in a child such
as `init.scope`), holds the peak use and the limit
(cgroups(7); v1: `memory.max_usage_in_bytes`, `memory.limit_in_bytes`; v2:
`memory.peak` where the kernel has it (5.19+), else `memory.current`, and
`memory.max`). The kernel writes them: a process in the container cannot.
"""

from __future__ import annotations

from pathlib import Path

V1_UNLIMITED = 1 << 62  # a v1 limit at or above this is "no limit" (PAGE_COUNTER_MAX pages)


def memory_of(
    pid: int, container_id: str, proc: Path = Path("/proc"), root: Path = Path("/sys/fs/cgroup")
) -> tuple[int, int] | None:
    """(peak bytes used, limit in bytes; 0: none) of the container, or None when not readable."""
    folder = _memory_folder(pid, container_id, proc, root)
    if folder is None:
        return None
    if (folder / "memory.limit_in_bytes").exists():  # v1
        return _read(folder, "memory.max_usage_in_bytes", "memory.limit_in_bytes")
    peak = "memory.peak" if (folder / "memory.peak").exists() else "memory.current"
    return _read(folder, peak, "memory.max")


def oom_kills_of(
    pid: int, container_id: str, proc: Path = Path("/proc"), root: Path = Path("/sys/fs/cgroup")
) -> int | None:
    """How many processes the kernel's OOM killer killed in the container, as far as its
    cgroups still tell; None when not readable.

    v2: `oom_kill` of the container's `memory.events`, which counts its whole
    subtree. v1 counts a kill only in the victim's own cgroup (`memory.oom_control`),
    and systemd removes a unit's cgroup once the unit has ended: the sum over the
    cgroups still there may miss a kill (0 is then not proof; see check/run.py).
    The peak alone cannot tell either: page cache counts in it.
    """
    folder = _memory_folder(pid, container_id, proc, root)
    if folder is None:
        return None
    try:
        if (folder / "memory.events").exists():
            return _oom_kill((folder / "memory.events").read_text())
        return sum(_oom_kill(f.read_text()) for f in folder.rglob("memory.oom_control"))
    except OSError:
        return None


def _oom_kill(text: str) -> int:
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill" and value.strip().isdigit():
            return int(value)
    return 0


def _memory_folder(pid: int, container_id: str, proc: Path, root: Path) -> Path | None:
    """The container's memory cgroup folder (v1's memory hierarchy, else v2's one)."""
    try:
        lines = (proc / str(pid) / "cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if "memory" in controllers.split(","):
            where = _container_part(path, container_id)
            return None if where is None else root / "memory" / where
    for line in lines:
        if line.startswith("0::"):
            where = _container_part(line[3:], container_id)
            return None if where is None else root / where
    return None


def _container_part(path: str, container_id: str) -> str | None:
    """`path` up to the part naming the container (`docker/<id>`, `docker-<id>.scope`,
    `libpod-<id>.scope`), relative; None when no part names it."""
    parts = path.strip("/").split("/")
    for i, part in enumerate(parts):
        if container_id and container_id in part:
            return "/".join(parts[: i + 1])
    return None


def _read(folder: Path, peak_file: str, limit_file: str) -> tuple[int, int] | None:
    try:
        peak = int((folder / peak_file).read_text().strip())
        limit_text = (folder / limit_file).read_text().strip()
    except (OSError, ValueError):
        return None
    if limit_text == "max":
        return peak, 0
    try:
        limit = int(limit_text)
    except ValueError:
        return None
    return peak, 0 if limit >= V1_UNLIMITED else limit

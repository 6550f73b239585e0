"""A local container's memory from the cgroup files: v1 and v2, systemd's child cgroups."""

from __future__ import annotations

from pathlib import Path

from rpmkit.engine.cgroups import V1_UNLIMITED, memory_of, oom_kills_of

CID = "4f1c" + "0" * 60


def _tree(tmp_path: Path, cgroup: str, files: dict[str, str]) -> tuple[Path, Path]:
    proc, root = tmp_path / "proc", tmp_path / "cgroup"
    (proc / "42").mkdir(parents=True)
    (proc / "42" / "cgroup").write_text(cgroup)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return proc, root


def test_v1_reads_the_container_cgroup_not_systemds_child(tmp_path: Path) -> None:
    proc, root = _tree(
        tmp_path,
        f"12:pids:/docker/{CID}/init.scope\n9:memory:/docker/{CID}/init.scope\n1:name=systemd:/\n",
        {
            f"memory/docker/{CID}/memory.max_usage_in_bytes": "734003200\n",
            f"memory/docker/{CID}/memory.limit_in_bytes": "2147483648\n",
            f"memory/docker/{CID}/init.scope/memory.max_usage_in_bytes": "1000\n",
        },
    )
    assert memory_of(42, CID, proc, root) == (734003200, 2147483648)


def test_v1_without_a_limit(tmp_path: Path) -> None:
    proc, root = _tree(
        tmp_path,
        f"4:memory,hugetlb:/system.slice/docker-{CID}.scope\n",
        {
            f"memory/system.slice/docker-{CID}.scope/memory.max_usage_in_bytes": "5",
            f"memory/system.slice/docker-{CID}.scope/memory.limit_in_bytes": str(V1_UNLIMITED + 1),
        },
    )
    assert memory_of(42, CID, proc, root) == (5, 0)


def test_v2_prefers_the_peak_and_reads_max(tmp_path: Path) -> None:
    where = f"system.slice/docker-{CID}.scope"
    proc, root = _tree(
        tmp_path,
        f"0::/{where}/init.scope\n",
        {
            f"{where}/memory.peak": "900",
            f"{where}/memory.current": "100",
            f"{where}/memory.max": "max",
        },
    )
    assert memory_of(42, CID, proc, root) == (900, 0)
    (root / where / "memory.peak").unlink()
    (root / where / "memory.max").write_text("1048576\n")
    assert memory_of(42, CID, proc, root) == (100, 1048576)


def test_not_readable_is_none_so_the_engine_is_asked(tmp_path: Path) -> None:
    proc, root = _tree(tmp_path, "9:memory:/user.slice\n", {})
    assert memory_of(42, CID, proc, root) is None  # no part names the container
    assert memory_of(43, CID, proc, root) is None  # no such process
    proc, root = _tree(tmp_path / "b", f"9:memory:/docker/{CID}\n", {})
    assert memory_of(42, CID, proc, root) is None  # no files


def test_oom_kills_v1_are_counted_where_they_happened_below_the_container(
    tmp_path: Path,
) -> None:
    """v1 counts a kill in the victim's own cgroup only (a unit's, below the container's)."""
    base = f"memory/docker/{CID}"
    proc, root = _tree(
        tmp_path,
        f"9:memory:/docker/{CID}/init.scope\n",
        {
            f"{base}/memory.limit_in_bytes": "268435456",
            f"{base}/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
            f"{base}/system.slice/app.service/memory.oom_control": "under_oom 0\noom_kill 2\n",
            f"{base}/init.scope/memory.oom_control": "oom_kill 0\n",
        },
    )
    assert oom_kills_of(42, CID, proc, root) == 2


def test_oom_kills_v2_read_the_containers_hierarchical_events(tmp_path: Path) -> None:
    where = f"system.slice/docker-{CID}.scope"
    proc, root = _tree(
        tmp_path,
        f"0::/{where}/init.scope\n",
        {f"{where}/memory.events": "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n"},
    )
    assert oom_kills_of(42, CID, proc, root) == 1
    assert oom_kills_of(43, CID, proc, root) is None

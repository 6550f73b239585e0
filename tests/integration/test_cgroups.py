"""A local container's memory from the kernel's cgroup files equals what the engine reports."""

from __future__ import annotations

from rpmkit import engine as engines

from .conftest import Start


def test_memory_read_here_is_the_engines_figure(
    start_container: Start, offline_images: dict[str, str]
) -> None:
    started = start_container(offline_images["runtime"], ["sleep", "infinity"], mem_limit="256m")
    container = engines.connect().container(started.name)
    # Something to measure: 64 MiB held for a moment, then let go (the peak stays).
    held = container.exec(
        ["python3", "-c", "b = bytearray(64 << 20); b[::4096] = b'x' * (len(b) // 4096)"]
    )
    assert held.ok, held.output
    peak, limit = container.memory()
    assert limit == 256 << 20
    assert peak >= 64 << 20
    stats = container._api.stats(container.id, stream=False, one_shot=True)["memory_stats"]
    assert stats["limit"] == limit
    if "max_usage" in stats:  # cgroup v1: the engine reports the same peak
        assert stats["max_usage"] == peak
    else:  # v2: the engine's figure is the current use, at most the peak
        assert stats["usage"] <= peak

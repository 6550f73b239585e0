"""Removing what one process made: what a stop signal's last resort relies on."""

from __future__ import annotations

from typing import Any

from rpmkit import engine as engines
from rpmkit import labels


def test_remove_owned_takes_one_process_objects_but_what_it_keeps(
    docker_client: Any, offline_images: dict[str, str]
) -> None:
    # Another owner than this test process, whose fixtures' containers must stay.
    owner = f"rk-owned-{labels.new_run_id()}:1:1"
    stamped = [
        {**r.labels(), labels.OWNER: owner}
        for r in (labels.Run.new("rk-owned"), labels.Run.new("rk-owned", keep=True))
    ]
    made = [
        docker_client.containers.create(offline_images["runtime"], ["true"], labels=s)
        for s in stamped
    ]
    try:
        removed = engines.connect().remove_owned(owner)
        assert f"container {made[0].name}" in removed
        assert f"container {made[1].name}" not in removed
        names = {c.name for c in docker_client.containers.list(all=True)}
        assert made[0].name not in names
        assert made[1].name in names
    finally:
        made[1].remove(force=True)

"""Removing what runs left behind, by their labels: one run's objects, the reaper, prune."""

from __future__ import annotations

from collections.abc import Callable

from rpmkit import labels
from rpmkit.engine.containers import Containers
from rpmkit.engine.images import Images
from rpmkit.engine.networks import Networks


class Cleanup(Containers, Networks, Images):
    """Removal of a run's containers, networks and images, found by their labels."""

    def remove_run(self, run_id: str) -> list[str]:
        """Remove the containers, networks and images of one run; what was removed."""
        return self._remove(f"{labels.RUN}={run_id}", lambda _labels: True)

    def remove_owned(self, owner: str) -> list[str]:
        """Remove what the process `owner` (labels.owner()) made, but what it keeps on purpose."""
        return self._remove(f"{labels.OWNER}={owner}", lambda lab: not lab.get(labels.KEEP))

    def reap(self) -> list[str]:
        """Remove what runs whose process is gone left behind (a `kill -9`, a lost terminal).

        Instances kept on purpose (`--keep`) and runs still in progress are left alone.
        """
        return self._remove(
            labels.RUN, lambda lab: not lab.get(labels.KEEP) and not labels.owner_alive(lab)
        )

    def remove_leftovers(self, dry_run: bool = False) -> list[str]:
        """`images prune`: every run's objects but those of runs still in progress."""
        return self._remove(
            labels.RUN,
            lambda lab: bool(lab.get(labels.KEEP)) or not labels.owner_alive(lab),
            dry_run,
        )

    def _remove(
        self, selector: str, doomed: Callable[[dict[str, str]], bool], dry_run: bool = False
    ) -> list[str]:
        removed: list[str] = []
        spared: set[str] = set()
        for container in self.containers(selector):
            lab = container.labels
            if not doomed(lab):
                spared.add(lab.get(labels.RUN, ""))
                continue
            if dry_run or container.remove():
                removed.append(f"container {container.name}")
        for name, lab in self.networks(selector):
            if lab.get(labels.RUN) in spared or not doomed(lab):
                continue
            if dry_run or self.remove_network(name):
                removed.append(f"network {name}")
        for image in self.images(label=selector):
            if image.labels.get(labels.RUN) in spared or not doomed(image.labels):
                continue
            if dry_run or self.remove_image(image.id):
                removed.append(f"image {image.short_id}")
        return removed

"""The engine's networks: a run's private bridge, found and removed by its labels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rpmkit.engine.base import EngineBase
from rpmkit.engine.failures import gone_is_fine, translated

if TYPE_CHECKING:
    from rpmkit.labels import Run


class Networks(EngineBase):
    """The engine's networks."""

    def create_network(self, name: str, run: Run) -> None:
        """A private bridge network carrying the run's labels."""
        with translated(self.host, f"creating network {name}"):
            self._client.networks.create(name, driver="bridge", labels=run.labels())

    def networks(self, label: str) -> list[tuple[str, dict[str, str]]]:
        """(name, labels) of every network carrying `label`."""
        with translated(self.host, "listing networks"):
            found = self._client.networks.list(filters={"label": label})
        return [(str(n.name), dict(n.attrs.get("Labels") or {})) for n in found]

    def remove_network(self, name: str) -> bool:
        """Remove a network; False when it was already gone."""
        return gone_is_fine(self.host, lambda: self._client.networks.get(name).remove(), name)

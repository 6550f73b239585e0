"""Making, finding and listing containers (one container's own calls are in container.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rpmkit.engine.base import EngineBase
from rpmkit.engine.container import Container
from rpmkit.engine.failures import translated

if TYPE_CHECKING:
    from rpmkit.labels import Run


def shell_argv(name: str, tty: bool, term: str | None = None) -> list[str]:
    """`docker exec` of a login shell in a container; with a terminal when there is one.

    The CLI, not the API: it handles the terminal (raw mode, resizes, signals),
    and reads DOCKER_HOST and the TLS variables itself.
    """
    argv = ["docker", "exec", "-it" if tty else "-i"]
    if tty and term:
        argv += ["-e", f"TERM={term}"]
    return [*argv, name, "bash", "-l"]


class Containers(EngineBase):
    """The engine's containers."""

    def create(
        self,
        image: str,
        *,
        name: str,
        run: Run | None = None,
        labels: dict[str, str] | None = None,
        ports: Iterable[int] = (),
        **options: Any,
    ) -> Container:
        """Create (not start) a container; the run's labels are stamped here.

        `ports` are published on 127.0.0.1 (a local engine) or on every address
        of the engine's host (a remote one), each on a port the engine picks.
        """
        stamped = {**(labels or {}), **(run.labels() if run is not None else {})}
        address = "127.0.0.1" if self.is_local else "0.0.0.0"
        with translated(self.host, f"creating container {name}"):
            made = self._client.containers.create(
                image,
                name=name,
                labels=stamped,
                ports={f"{port}/tcp": (address, None) for port in ports},
                detach=True,
                **options,
            )
        return Container(made, self._client.api, self.host)

    def run(self, image: str, *, name: str, run: Run | None = None, **options: Any) -> Container:
        """Create and start a container; it is removed again when the start fails."""
        container = self.create(image, name=name, run=run, **options)
        try:
            container.start()
        except BaseException:
            container.remove()
            raise
        return container

    def container(self, name: str) -> Container | None:
        """The container with this name or id, or None."""
        from docker.errors import NotFound

        try:
            with translated(self.host, f"looking up container {name}"):
                found = self._client.containers.get(name)
                return Container(found, self._client.api, self.host)
        except NotFound:
            return None

    def containers(self, label: str) -> list[Container]:
        """Every container (running or not) that carries `label` (`key` or `key=value`)."""
        from docker.errors import NotFound

        with translated(self.host, "listing containers"):
            ids = [c["Id"] for c in self._client.api.containers(all=True, filters={"label": label})]
        found = []
        for container_id in ids:
            try:  # it may be removed between the listing and this look (another run's clean-up)
                with translated(self.host, "listing containers"):
                    handle = self._client.containers.get(container_id)
            except NotFound:
                continue
            found.append(Container(handle, self._client.api, self.host))
        return found

    def shell_argv(self, name: str, tty: bool, term: str | None = None) -> list[str]:
        """`docker exec` of a login shell in a container (see `shell_argv`)."""
        return shell_argv(name, tty, term)

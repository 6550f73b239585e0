"""Connecting to the engine, and what is not one container: images, networks, listings."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from rpmkit import labels
from rpmkit.engine.container import Container
from rpmkit.engine.failures import gone_is_fine, reason, translated
from rpmkit.errors import BuildError, DockerUnavailable
from rpmkit.values import tail

if TYPE_CHECKING:
    from docker import DockerClient

    from rpmkit.labels import Run

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
START_HINT = (
    "start the engine (`systemctl start docker`, or `make setup` which runs dockerd), "
    "or point DOCKER_HOST at one that runs"
)


def docker_host() -> str:
    """The engine address rpmkit will try, as the docker CLI chooses it.

    DOCKER_HOST; else the Docker context named by DOCKER_CONTEXT (or the CLI's
    current context, `docker context use`); else the default socket.
    """
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    context = _context()
    return context.host if context is not None else DEFAULT_SOCKET


@dataclass(frozen=True)
class Context:
    """A Docker context (`docker context create`): its engine address and TLS files."""

    name: str
    host: str
    tls_dir: Path | None  # ca.pem, cert.pem, key.pem when the context uses TLS


def _context() -> Context | None:
    """The Docker context in use, when it is not the default one.

    As the docker CLI finds it: DOCKER_CONTEXT, else `currentContext` in
    $DOCKER_CONFIG/config.json; its endpoint in contexts/meta/<sha256 of the
    name>/meta.json, TLS files in contexts/tls/<same>/docker/ (docker's
    context store layout).
    """
    config = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    name = os.environ.get("DOCKER_CONTEXT") or ""
    if not name:
        try:
            name = str(json.loads((config / "config.json").read_text()).get("currentContext", ""))
        except (OSError, ValueError, AttributeError):
            name = ""
    if name in ("", "default"):
        return None
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config / "contexts" / "meta" / digest / "meta.json"
    try:
        host = json.loads(meta.read_text())["Endpoints"]["docker"]["Host"]
    except (OSError, ValueError, KeyError, TypeError):
        raise DockerUnavailable(
            f"no Docker context named {name} (no {meta})", hint="see `docker context ls`"
        ) from None
    tls = config / "contexts" / "tls" / digest / "docker"
    return Context(name, str(host), tls if tls.is_dir() else None)


def engine_is_local() -> bool:
    """Whether the engine runs on this machine (a unix socket), so bind mounts see our files."""
    return docker_host().startswith("unix://")


def connect(timeout: int = 120) -> Engine:
    """An `Engine` for a reachable engine, or DockerUnavailable naming its address (exit 2)."""
    import docker
    from docker.errors import DockerException

    host = docker_host()
    try:
        context = None if os.environ.get("DOCKER_HOST") else _context()
        if context is not None:
            tls: Any = False
            if context.tls_dir is not None:
                from docker.tls import TLSConfig

                tls = TLSConfig(
                    client_cert=(
                        str(context.tls_dir / "cert.pem"),
                        str(context.tls_dir / "key.pem"),
                    ),
                    ca_cert=str(context.tls_dir / "ca.pem"),
                    verify=True,
                )
            client = docker.DockerClient(base_url=context.host, tls=tls, timeout=timeout)
        else:
            client = docker.from_env(timeout=timeout)
        client.ping()
    except (DockerException, OSError) as exc:
        raise DockerUnavailable(
            f"Docker engine not reachable at {host} ({reason(exc)})", hint=START_HINT
        ) from exc
    return Engine(client, host)


def shell_argv(name: str, tty: bool, term: str | None = None) -> list[str]:
    """`docker exec` of a login shell in a container; with a terminal when there is one.

    The CLI, not the API: it handles the terminal (raw mode, resizes, signals),
    and reads DOCKER_HOST and the TLS variables itself.
    """
    argv = ["docker", "exec", "-it" if tty else "-i"]
    if tty and term:
        argv += ["-e", f"TERM={term}"]
    return [*argv, name, "bash", "-l"]


@dataclass(frozen=True)
class ImageInfo:
    """An image as a listing shows it."""

    id: str
    short_id: str
    tags: tuple[str, ...]
    labels: dict[str, str]
    size: int  # bytes
    created: str  # ISO 8601, as the engine reports it


class Engine:
    """A connected engine. Made by `connect()`; everything Docker goes through here."""

    def __init__(self, client: DockerClient, host: str) -> None:
        self._client = client
        self.host = host

    # -- the engine ----------------------------------------------------------------

    @property
    def is_local(self) -> bool:
        """Whether the engine shares this machine's filesystem (a unix socket)."""
        return self.host.startswith("unix://")

    @property
    def address(self) -> str:
        """Where this machine reaches the engine's published ports.

        127.0.0.1 for a local engine; the host part of a tcp:// or ssh:// address otherwise.
        """
        if self.is_local:
            return "127.0.0.1"
        host = self.host.split("://", 1)[-1].rsplit("@", 1)[-1]
        return host.rsplit(":", 1)[0].strip("[]") or "127.0.0.1"

    def version(self) -> dict[str, Any]:
        """The engine's version record (Version, ApiVersion, Components, ...)."""
        with translated(self.host, "reading its version"):
            return dict(self._client.version())

    def info(self) -> dict[str, Any]:
        """The engine's `docker info` record."""
        with translated(self.host, "reading its info"):
            return dict(self._client.info())

    def cgroup_version(self) -> int:
        """The cgroup version of the engine's host (1 or 2)."""
        return 2 if str(self.info().get("CgroupVersion", "1")) == "2" else 1

    def ping(self) -> None:
        """DockerUnavailable unless the engine answers now."""
        with translated(self.host, "answering a ping"):
            self._client.ping()

    # -- containers ------------------------------------------------------------------

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

    # -- clean-up (by labels) ---------------------------------------------------------

    def remove_run(self, run_id: str) -> list[str]:
        """Remove the containers, networks and images of one run; what was removed."""
        return self._remove(f"{labels.RUN}={run_id}", lambda _labels: True)

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

    # -- networks --------------------------------------------------------------------

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

    # -- images ----------------------------------------------------------------------

    def image_id(self, ref: str) -> str | None:
        """The id of a local image, or None when it is absent. Never contacts a registry."""
        from docker.errors import ImageNotFound

        try:
            with translated(self.host, f"looking up image {ref}"):
                return str(self._client.images.get(ref).id)
        except ImageNotFound:
            return None

    def images(self, *, label: str | None = None, repository: str | None = None) -> list[ImageInfo]:
        """Local images carrying `label`, or of `repository`."""
        from docker.errors import ImageNotFound

        filters = {"label": label} if label else {}
        found = []
        with translated(self.host, "listing images"):
            for row in self._client.api.images(name=repository, filters=filters):
                try:
                    found.append(self._client.images.get(row["Id"]))
                except ImageNotFound:
                    continue  # removed since the listing (another run's clean-up)
        return [
            ImageInfo(
                str(i.id), str(i.short_id), tuple(i.tags), dict(i.labels or {}),
                int(i.attrs.get("Size") or 0), str(i.attrs.get("Created", "")),
            )
            for i in found
        ]  # fmt: skip

    def remove_image(self, image_id: str) -> bool:
        """Remove an image (forcefully); False when it was already gone."""
        return gone_is_fine(
            self.host, lambda: self._client.images.remove(image_id, force=True), image_id
        )

    def build_image(
        self,
        context: str,
        tag: str,
        labels: dict[str, str],
        on_line: Callable[[str], None],
        *,
        dockerfile: str | None = None,
        buildargs: dict[str, str] | None = None,
    ) -> None:
        """`docker build` of `context` as `tag`; BuildError with the log's tail on failure."""
        log: list[str] = []
        with translated(self.host, f"building {tag}"):
            stream = self._client.api.build(
                path=context, dockerfile=dockerfile, tag=tag, buildargs=buildargs,
                labels=labels, rm=True, forcerm=True, pull=False, decode=True,
            )  # fmt: skip
            for chunk in stream:
                if "stream" in chunk:
                    text = str(chunk["stream"])
                    log.append(text)
                    if text.strip():
                        on_line(text.rstrip())
                if "error" in chunk:
                    raise BuildError(
                        f"image build failed: {str(chunk['error']).strip().splitlines()[0][:200]}",
                        details=tail("".join(log)),
                    )
        if self.image_id(tag) is None:
            raise BuildError(f"building {tag} did not produce an image", details=tail("".join(log)))

    def save_image(self, ref: str, out: BinaryIO) -> None:
        """`docker save ref` into `out`: the image with its tag, as `load_image` takes it."""
        with translated(self.host, f"saving image {ref}"):
            for chunk in self._client.images.get(ref).save(named=True):
                out.write(chunk)

    def load_image(self, data: BinaryIO) -> list[str]:
        """`docker load` of an archive `save_image` wrote; the tags it brought."""
        with translated(self.host, "loading an image archive"):
            loaded = self._client.images.load(data)
        return [str(tag) for image in loaded for tag in image.tags]

    def import_rootfs(self, tarball: str, ref: str, labels: dict[str, str]) -> None:
        """Import a root filesystem tarball as the image `ref`, with these labels."""
        repository, tag = ref.rsplit(":", 1)
        # A Dockerfile LABEL instruction: values quoted as the Dockerfile reference says.
        changes = "LABEL " + " ".join(f"{k}={shlex.quote(v)}" for k, v in labels.items())
        with translated(self.host, f"importing {ref}"):
            self._client.api.import_image_from_file(
                tarball, repository=repository, tag=tag, changes=[changes]
            )

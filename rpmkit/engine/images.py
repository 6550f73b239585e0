"""The engine's images: look-ups, listings, builds, imports and removal. Never a registry."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from rpmkit.engine.base import EngineBase
from rpmkit.engine.failures import gone_is_fine, translated
from rpmkit.errors import BuildError
from rpmkit.values import tail


@dataclass(frozen=True)
class ImageInfo:
    """An image as a listing shows it."""

    id: str
    short_id: str
    tags: tuple[str, ...]
    labels: dict[str, str]
    size: int  # bytes
    created: str  # ISO 8601, as the engine reports it


class Images(EngineBase):
    """The engine's images."""

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

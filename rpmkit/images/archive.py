"""A folder of image archives a CI cache keeps between runs: `rpmkit images save|load DIR`.

A CI runner starts with an empty engine: building the offline images again
takes a minute or more, and a check cache keyed on the runtime image's tag
only hits when the same image is there. rpmkit's image tags are content-
addressed (a hash of every input), so an archive named after its tag never
goes stale: `save` writes one `docker save` archive per tag that is not yet
in DIR, and removes the archives of older tags of the same images; `load`
loads each archive whose tag the engine lacks. A cold cache (no DIR) loads
nothing; an archive the engine cannot load is a warning, never a failed
job: the images are then built as on a new machine.

File names are the tag, percent-encoded (`rpmkit%2Foffline-runtime%3A28b880be731c.tar`),
so the tag is read back from the name without opening the archive.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from rpmkit.errors import ConfigError, DockerUnavailable

if TYPE_CHECKING:
    from rpmkit.engine import Engine

SUFFIX = ".tar"


def file_name(tag: str) -> str:
    """The archive's file name for an image tag."""
    return quote(tag, safe="") + SUFFIX


def tag_of(path: Path) -> str | None:
    """The tag an archive's name holds; None for a file that is not one of ours."""
    if not path.name.endswith(SUFFIX) or path.name.startswith("."):
        return None
    tag = unquote(path.name.removesuffix(SUFFIX))
    repository, colon, version = tag.rpartition(":")
    return tag if colon and repository and version and "/" not in version else None


@dataclass(frozen=True)
class Outcome:
    """What happened to one tag: `saved`, `up to date`, `loaded`, `present` or `failed`."""

    tag: str
    status: str
    path: Path
    detail: str = ""


def save(engine: Engine, tags: Sequence[str], folder: Path) -> tuple[list[Outcome], list[Path]]:
    """Archive each tag into `folder` unless it is there; remove older tags' archives.

    Returns the outcomes and the archives removed. ConfigError when `folder`
    cannot be made or written.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {folder}: {exc.strerror}") from None
    outcomes = []
    for tag in tags:
        target = folder / file_name(tag)
        if target.is_file():
            outcomes.append(Outcome(tag, "up to date", target))
            continue
        partial = folder / f".{target.name}.{os.getpid()}.partial"
        try:
            with partial.open("wb") as out:
                engine.save_image(tag, out)
            partial.replace(target)
        except OSError as exc:
            raise ConfigError(f"cannot write {target}: {exc.strerror}") from None
        finally:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
        outcomes.append(Outcome(tag, "saved", target))
    repositories = {tag.rpartition(":")[0] for tag in tags}
    removed = []
    for path in sorted(folder.iterdir()):
        old = tag_of(path)
        if old and old not in tags and old.rpartition(":")[0] in repositories:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return outcomes, removed


def load(engine: Engine, folder: Path) -> list[Outcome]:
    """Load each archive in `folder` whose tag the engine lacks; [] when there is no folder."""
    if not folder.is_dir():
        return []
    outcomes = []
    for path in sorted(folder.iterdir()):
        tag = tag_of(path)
        if tag is None or not path.is_file():
            continue
        if engine.image_id(tag) is not None:
            outcomes.append(Outcome(tag, "present", path))
            continue
        try:
            with path.open("rb") as data:
                brought = engine.load_image(data)
        except (OSError, DockerUnavailable) as exc:
            reason = exc.message if isinstance(exc, DockerUnavailable) else str(exc.strerror)
            outcomes.append(Outcome(tag, "failed", path, reason))
            continue
        if tag in brought:
            outcomes.append(Outcome(tag, "loaded", path))
        else:
            shown = ", ".join(brought) or "no tag"
            outcomes.append(Outcome(tag, "failed", path, f"the archive held {shown}"))
    return outcomes

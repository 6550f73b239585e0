"""A profile's base image from a root filesystem tarball: Amazon Linux without a registry.

Amazon Linux publishes the root filesystem its container image is built from
(`al2023-container-<version>-<arch>.tar.xz`, and AL2's equivalent) beside its
sha256. A team that mirrors that file but reaches no registry imports it as the
profile's base image (`amazonlinux:2023`), after checking its digest: a file
whose digest is not the expected one is never imported.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rpmkit import labels
from rpmkit.errors import ConfigError
from rpmkit.images.rootfs import import_rootfs
from rpmkit.profiles import Profile
from rpmkit.progress import Reporter

if TYPE_CHECKING:
    from rpmkit.engine import Engine

# Labels of an imported base: what it was made from. Not a cache: `images prune` keeps it.
SHA256 = "rpmkit.import.sha256"
SOURCE = "rpmkit.import.file"


@dataclass(frozen=True)
class Imported:
    """The image made from the tarball."""

    ref: str
    sha256: str
    verified: bool  # the digest was given and matched
    is_target: bool  # its os-release says it is the profile's target system


def sha256_file(path: Path) -> str:
    """The file's sha256, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def import_base(
    engine: Engine,
    profile: Profile,
    tarball: Path,
    reporter: Reporter,
    expected: str | None = None,
    tag: str | None = None,
) -> Imported:
    """Import `tarball` (tar, tar.gz or tar.xz) as the profile's base image, or as `tag`.

    ConfigError (exit 2) when the profile has no base image to import (offline
    makes its own) or the digest is not `expected`; nothing is imported then.
    """
    if profile.base.kind != "image":
        raise ConfigError(
            f"profile {profile.name} makes its base from distribution packages: nothing to import",
            hint="import a base for al2023 or al2",
        )
    with reporter.step(f"hashing {tarball.name}"):
        found = sha256_file(tarball)
    if expected is not None and found != expected.lower():
        raise ConfigError(
            f"{tarball}: sha256 is {found}, not the expected {expected.lower()}: nothing imported"
        )
    ref = tag or profile.base.image
    if ":" not in ref.rsplit("/", 1)[-1]:
        ref += ":latest"
    values = {SHA256: found, SOURCE: tarball.name, labels.PROFILE: profile.name}
    import_rootfs(engine, str(tarball), ref, values, reporter)
    from rpmkit import images

    image = engine.image_id(ref) or ""
    return Imported(ref, found, expected is not None, images.is_target(engine, profile, ref, image))

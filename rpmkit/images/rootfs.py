"""Root filesystems made from distribution packages, and content-addressed tags.

Shared by the profiles' images and the balancer's image.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

from rpmkit.progress import Reporter

if TYPE_CHECKING:
    from rpmkit.engine import Engine

# Bump when the way a root filesystem is made changes, so old bases are not reused.
ROOTFS_RECIPE = 1


def mmdebstrap_command(
    suite: str, variant: str, packages: tuple[str, ...], target: str
) -> list[str]:
    """mmdebstrap of `packages` from Debian's `suite` into the tarball `target`."""
    cmd = [
        "mmdebstrap",
        f"--variant={variant}",
        f"--include={','.join(packages)}",
        "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-exclude=/usr/share/locale/*",
        suite,
        target,
    ]
    mirror = os.environ.get("RPMKIT_DEBIAN_MIRROR")
    if mirror:
        cmd.append(mirror)
    return cmd


def content_digest(*parts: str | bytes) -> str:
    """sha256 over length-prefixed parts: what content-addressed tags are made of."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def import_rootfs(
    engine: Engine, tarball: str, ref: str, label_values: dict[str, str], reporter: Reporter
) -> None:
    """Import a root filesystem tarball as the image `ref`, with these labels."""
    with reporter.step(f"importing {ref}"):
        engine.import_rootfs(tarball, ref, label_values)

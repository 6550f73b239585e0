"""The balancer's image: HAProxy from Debian's packages, content-addressed, kept as a cache.

Made as the offline profile's images are: `mmdebstrap` makes a root
filesystem from `images/balancer/recipe.toml`, `docker import` turns it into
`rpmkit/balancer-rootfs:<hash>`, and `images/balancer/Dockerfile` finishes
`rpmkit/balancer:<hash>`. The hashes cover the recipe and every file in the
folder, so an unchanged recipe is never rebuilt. Both carry `rpmkit.cache`
(`rootfs` and `balancer`) and go only with `rpmkit images prune`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rpmkit import labels, toml
from rpmkit.errors import BuildError
from rpmkit.images import rootfs
from rpmkit.images.rootfs import ROOTFS_RECIPE
from rpmkit.progress import Reporter
from rpmkit.resources import images_dir
from rpmkit.scratch import scratch
from rpmkit.values import tail

if TYPE_CHECKING:
    from rpmkit.engine import Engine

REPOSITORY = "rpmkit/balancer"
KIND = "balancer"


@dataclass(frozen=True)
class Recipe:
    """What the balancer's root filesystem is made of."""

    suite: str
    variant: str
    packages: tuple[str, ...]


@dataclass(frozen=True)
class BalancerPlan:
    """The balancer image's tag and the root filesystem image it builds on."""

    tag: str
    base: str


def directory() -> Path:
    """The bundled `images/balancer/` folder."""
    return images_dir() / "balancer"


def load_recipe(folder: Path | None = None) -> Recipe:
    """Read `recipe.toml`."""
    data = toml.load((folder or directory()) / "recipe.toml")
    return Recipe(data["suite"], data.get("variant", "minbase"), tuple(data["packages"]))


def rootfs_command(recipe: Recipe, target: str) -> list[str]:
    """The mmdebstrap command that makes the balancer's root filesystem tarball."""
    return rootfs.mmdebstrap_command(recipe.suite, recipe.variant, recipe.packages, target)


def plan(folder: Path | None = None) -> BalancerPlan:
    """The image's tag: a hash of the recipe, the Dockerfile and every file beside them."""
    folder = folder or directory()
    recipe = load_recipe(folder)
    key = rootfs.content_digest(str(ROOTFS_RECIPE), json.dumps(rootfs_command(recipe, "-")))[:12]
    base = f"{REPOSITORY}-rootfs:{key}"
    files: list[str | bytes] = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files += [str(path.relative_to(folder)), path.read_bytes()]
    return BalancerPlan(f"{REPOSITORY}:{rootfs.content_digest(base, *files)[:12]}", base)


def ensure(engine: Engine, reporter: Reporter, force: bool = False) -> tuple[str, bool]:
    """The balancer image's tag, built first when missing; and whether it was built now."""
    p = plan()
    if not force and engine.image_id(p.tag) is not None:
        return p.tag, False
    if force or engine.image_id(p.base) is None:
        _make_rootfs(engine, p.base, load_recipe(), reporter)
    with reporter.step(f"building {p.tag}"):
        _build(engine, p, reporter)
    return p.tag, True


def _make_rootfs(engine: Engine, base: str, recipe: Recipe, reporter: Reporter) -> None:
    if shutil.which("mmdebstrap") is None:
        raise BuildError(
            "mmdebstrap is not installed; it makes the balancer's root filesystem",
            hint="install it with `apt-get install mmdebstrap` (or run `make setup`)",
        )
    with scratch("balancer") as tmp:
        target = str(Path(tmp) / "rootfs.tar")
        cmd = rootfs_command(recipe, target)
        with reporter.step(f"making the balancer's root filesystem ({recipe.suite}, mmdebstrap)"):
            reporter.detail(" ".join(cmd))
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise BuildError(
                    f"mmdebstrap failed making the balancer's root filesystem "
                    f"(exit {proc.returncode})",
                    hint="check that Debian's mirror is reachable, or set RPMKIT_DEBIAN_MIRROR",
                    details=tail(proc.stdout + proc.stderr),
                )
        rootfs.import_rootfs(engine, target, base, {labels.CACHE: "rootfs"}, reporter)


def _build(engine: Engine, p: BalancerPlan, reporter: Reporter) -> None:
    engine.build_image(
        str(directory()),
        p.tag,
        {labels.CACHE: KIND, labels.KEY: p.tag},
        reporter.detail,
        buildargs={"BASE": p.base},
    )

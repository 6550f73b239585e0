"""A profile's builder and runtime images: content-addressed, built once, kept as caches."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpmkit import labels
from rpmkit.errors import BuildError, ConfigError, ImageMissing
from rpmkit.profiles import ROLES, Profile
from rpmkit.progress import Reporter

if TYPE_CHECKING:
    from docker import DockerClient

# Bump when the way a root filesystem is made changes, so old bases are not reused.
ROOTFS_RECIPE = 1
# `{{ name }}` in a profile's Dockerfile: filled in from the profile's data.
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class ImagePlan:
    """One image of a profile: its tag (derived from its inputs) and the base it starts from."""

    profile: str
    role: str
    tag: str
    base: str
    base_is_rootfs: bool
    dockerfile: str = field(default="", repr=False)  # the Dockerfile as rendered for `base`


def rootfs_command(profile: Profile, role: str, target: str) -> list[str]:
    """The mmdebstrap command that makes a role's root filesystem tarball."""
    base = profile.base
    return mmdebstrap_command(base.suite, base.variant, base.packages[role], target)


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


def _tree_digest(directory: Path, exclude: tuple[str, ...] = ("profile.toml",)) -> str:
    parts: list[str | bytes] = []
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name not in exclude and "__pycache__" not in path.parts:
            parts += [str(path.relative_to(directory)), path.read_bytes()]
    return content_digest(*parts)


def base_ref(profile: Profile, role: str, base_image: str | None = None) -> tuple[str, bool]:
    """The image a role's Dockerfile builds FROM, and whether rpmkit makes it from a rootfs."""
    if base_image:
        return base_image, False
    if profile.base.kind == "rootfs":
        key = content_digest(
            str(ROOTFS_RECIPE),
            json.dumps(rootfs_command(profile, role, "-")),
        )[:12]
        return f"rpmkit/{profile.name}-rootfs-{role}:{key}", True
    return profile.base.image, False


def render_dockerfile(profile: Profile, role: str, base: str) -> str:
    """A role's Dockerfile with the profile's data filled in.

    `{{ base }}` is the image it builds FROM; `{{ packages }}` what rpmkit
    installs for the role; `{{ install }}` and `{{ clean }}` the package
    manager's shell text for that one layer (see profile.toml).
    """
    pm = profile.package_manager
    values = {
        "base": base,
        "packages": " ".join(profile.packages[role]),
        "install": pm.image_install,
        "clean": pm.image_clean,
    }
    path = profile.directory / profile.dockerfiles[role]

    def fill(match: re.Match[str]) -> str:
        if match[1] not in values:
            raise ConfigError(
                f"{path}: unknown placeholder {match[0]}",
                hint=f"use {', '.join('{{ ' + k + ' }}' for k in values)}",
            )
        return values[match[1]]

    return _PLACEHOLDER.sub(fill, path.read_text(encoding="utf-8"))


def plan(
    profile: Profile, base_image: str | None = None, base_id: str | None = None
) -> list[ImagePlan]:
    """The images a profile needs, tagged by a hash of the Dockerfile, every input and the base."""
    files = _tree_digest(profile.directory)
    plans = []
    for role in ROLES:
        base, from_rootfs = base_ref(profile, role, base_image)
        dockerfile = render_dockerfile(profile, role, base)
        # An existing base image is identified by its id, so a re-pulled base rebuilds.
        key = content_digest(dockerfile, files, base, "" if from_rootfs else base_id or "")
        tag = f"{profile.image_repository(role)}:{key[:12]}"
        plans.append(ImagePlan(profile.name, role, tag, base, from_rootfs, dockerfile))
    return plans


def image_id(client: DockerClient, ref: str) -> str | None:
    """The id of a local image, or None when it is absent. Never contacts a registry."""
    from docker.errors import ImageNotFound

    try:
        return str(client.images.get(ref).id)
    except ImageNotFound:
        return None


def resolve(
    client: DockerClient, profile: Profile, base_image: str | None = None
) -> list[ImagePlan]:
    """Plan the profile's images against what is present locally."""
    base_id = None
    if base_image or profile.base.kind == "image":
        ref = base_image or profile.base.image
        base_id = image_id(client, ref)
        if base_id is None:
            raise ImageMissing(
                f"base image {ref} for profile {profile.name} is not present locally",
                hint=profile.base.pull_hint
                or f"provide it with `docker pull {ref}`, `docker load -i FILE`, "
                "or choose another with --base-image NAME",
            )
    return plan(profile, base_image, base_id)


def missing(client: DockerClient, plans: list[ImagePlan]) -> list[ImagePlan]:
    """The planned images not present locally."""
    return [p for p in plans if image_id(client, p.tag) is None]


def build(
    client: DockerClient,
    profile: Profile,
    reporter: Reporter,
    base_image: str | None = None,
    force: bool = False,
) -> list[tuple[ImagePlan, bool]]:
    """Build what is missing; return each plan and whether it was built now."""
    plans = resolve(client, profile, base_image)
    todo = [p for p in plans if force or image_id(client, p.tag) is None]
    rootfs = [p for p in todo if p.base_is_rootfs and (force or image_id(client, p.base) is None)]
    if rootfs:
        _make_rootfs_images(client, profile, rootfs, reporter)
    for p in todo:
        with reporter.step(f"building {p.tag}"):
            _docker_build(client, profile, p, reporter)
    return [(p, p in todo) for p in plans]


def _make_rootfs_images(
    client: DockerClient, profile: Profile, plans: list[ImagePlan], reporter: Reporter
) -> None:
    """Make the root filesystems the plans need, side by side (mostly download-bound)."""
    if shutil.which("mmdebstrap") is None:
        raise BuildError(
            "mmdebstrap is not installed; it makes the offline profile's root filesystems",
            hint="install it with `apt-get install mmdebstrap` (or run `make setup`)",
        )
    roles = ", ".join(p.role for p in plans)
    with tempfile.TemporaryDirectory(prefix="rpmkit-rootfs-") as tmp:
        running = []
        with reporter.step(f"making {roles} root filesystem ({profile.base.suite}, mmdebstrap)"):
            for p in plans:
                target = str(Path(tmp) / f"{p.role}.tar")
                cmd = rootfs_command(profile, p.role, target)
                reporter.detail(" ".join(cmd))
                log = open(Path(tmp) / f"{p.role}.log", "w+")  # noqa: SIM115 - closed below
                running.append((p, target, log, subprocess.Popen(cmd, stdout=log, stderr=log)))
            try:
                for p, _, log, proc in running:
                    if proc.wait() != 0:
                        log.seek(0)
                        raise BuildError(
                            f"mmdebstrap failed making the {profile.name} {p.role} root "
                            f"filesystem (exit {proc.returncode})",
                            hint="check that Debian's mirror is reachable, "
                            "or set RPMKIT_DEBIAN_MIRROR",
                            details=_tail(log.read()),
                        )
            finally:
                for _, _, log, proc in running:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
                    log.close()
        for p, target, _, _ in running:
            rootfs_labels = {labels.CACHE: "rootfs", labels.PROFILE: profile.name}
            import_rootfs(client, target, p.base, rootfs_labels, reporter)


def _docker_build(client: DockerClient, profile: Profile, p: ImagePlan, reporter: Reporter) -> None:
    with tempfile.TemporaryDirectory(prefix="rpmkit-dockerfile-") as tmp:
        # Outside the build context: docker-py sends it along as the Dockerfile.
        dockerfile = Path(tmp) / profile.dockerfiles[p.role]
        dockerfile.write_text(p.dockerfile, encoding="utf-8")
        stream = client.api.build(
            path=str(profile.directory),
            dockerfile=str(dockerfile),
            tag=p.tag,
            labels={labels.CACHE: "image", labels.PROFILE: profile.name, labels.KEY: p.tag},
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
        )
        follow_build(client, stream, p.tag, reporter)


def follow_build(client: DockerClient, stream: Any, tag: str, reporter: Reporter) -> None:
    """Consume a `docker build` stream; BuildError with the log's tail unless `tag` results."""
    log: list[str] = []
    for chunk in stream:
        if "stream" in chunk:
            text = str(chunk["stream"])
            log.append(text)
            if text.strip():
                reporter.detail(text.rstrip())
        if "error" in chunk:
            raise BuildError(
                f"image build failed: {str(chunk['error']).strip().splitlines()[0][:200]}",
                details=_tail("".join(log)),
            )
    if image_id(client, tag) is None:
        raise BuildError(f"building {tag} did not produce an image", details=_tail("".join(log)))


def import_rootfs(
    client: DockerClient, tarball: str, ref: str, label_values: dict[str, str], reporter: Reporter
) -> None:
    """Import a root filesystem tarball as the image `ref`, with these labels."""
    repository, tag = ref.rsplit(":", 1)
    changes = "LABEL " + " ".join(f'{key}="{value}"' for key, value in label_values.items())
    with reporter.step(f"importing {ref}"):
        client.api.import_image_from_file(
            tarball, repository=repository, tag=tag, changes=[changes]
        )


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def list_images(client: DockerClient) -> list[dict[str, str]]:
    """Every image rpmkit keeps as a cache, newest first."""
    rows = []
    for image in _cached(client):
        lab = image.labels or {}
        rows.append(
            {
                "tags": ", ".join(image.tags) or image.short_id,
                "kind": lab.get(labels.CACHE, ""),
                "profile": lab.get(labels.PROFILE, ""),
                "size_mb": f"{(image.attrs.get('Size') or 0) / 1e6:.0f}",
                "created": str(image.attrs.get("Created", ""))[:19],
            }
        )
    return sorted(rows, key=lambda r: r["created"], reverse=True)


def prune(client: DockerClient, keep_current: bool = False) -> list[str]:
    """Remove rpmkit's leftover run objects and its cached images."""
    removed = labels.remove_run(client)
    current: set[str] = set()
    if keep_current:
        from rpmkit import profiles

        for name in profiles.names():
            try:
                for p in resolve(client, profiles.get(name)):
                    current |= {p.tag, p.base}
            except ImageMissing:
                continue
        from rpmkit import balancer_image

        current |= set(dataclasses.astuple(balancer_image.plan()))
    cached = _cached(client)
    # Images built on a root filesystem go before it, or the engine refuses.
    cached.sort(key=lambda image: (image.labels or {}).get(labels.CACHE) == "rootfs")
    for image in cached:
        if current & set(image.tags):
            continue
        client.images.remove(image.id, force=True)
        removed.append(f"image {', '.join(image.tags) or image.short_id}")
    return removed


def _cached(client: DockerClient) -> list[Any]:
    """The images kept as caches; not a run's images (committed from a container made from
    a cached image, they inherit its `rpmkit.cache` label): those go with their run."""
    found = client.images.list(filters={"label": labels.CACHE})
    return [image for image in found if labels.RUN not in (image.labels or {})]

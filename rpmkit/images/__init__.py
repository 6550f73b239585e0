"""A profile's builder and runtime images: content-addressed, built once, kept as caches."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rpmkit import labels
from rpmkit.errors import BuildError, ConfigError, ImageMissing
from rpmkit.images.mirror import mirror_step
from rpmkit.images.rootfs import ROOTFS_RECIPE, content_digest, import_rootfs, mmdebstrap_command
from rpmkit.profiles import ROLES, Profile
from rpmkit.progress import Reporter
from rpmkit.scratch import scratch
from rpmkit.values import tail

if TYPE_CHECKING:
    from rpmkit.engine import Engine, ImageInfo

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


# The facts are read at check time, not built into an image.
def _tree_digest(directory: Path, exclude: tuple[str, ...] = ("profile.toml", "facts.toml")) -> str:
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
    manager's shell text for that one layer (see profile.toml); `{{ repos }}`
    the step that puts the profile's mirror in place (`mirror_step`).
    """
    pm = profile.package_manager
    values = {
        "base": base,
        "packages": " ".join(profile.packages[role]),
        "install": pm.image_install,
        "clean": pm.image_clean,
        "repos": mirror_step(profile),
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


def image_id(engine: Engine, ref: str) -> str | None:
    """The id of a local image, or None when it is absent. Never contacts a registry."""
    return engine.image_id(ref)


@dataclass(frozen=True)
class RuntimeImage:
    """The image instances start from: its content-addressed tag and its engine id."""

    tag: str
    id: str
    stand_in: bool = False  # built on a base that only stands in for the target (tests)


@dataclass(frozen=True)
class ProfileImages:
    """A profile's images, built and present: what `ensure` returns."""

    builder: str  # tag ("" when not asked for)
    runtime: RuntimeImage
    built: tuple[str, ...] = ()  # tags built by this call


def ensure(
    engine: Engine,
    profile: Profile,
    reporter: Reporter,
    base_image: str | None = None,
    force: bool = False,
    builder: bool = True,
) -> ProfileImages:
    """The profile's runtime image (and builder, unless `builder=False`), built where missing.

    A check needs no builder: on an engine that has only the runtime image
    (loaded from a CI cache), nothing is built.
    """
    roles = ROLES if builder else ("runtime",)
    made = build(engine, profile, reporter, base_image, force, roles)
    tags = {p.role: p.tag for p, _ in made}
    runtime_id = engine.image_id(tags["runtime"]) or ""
    stand_in = bool(profile.base.os_release) and not is_target(
        engine, profile, tags["runtime"], runtime_id
    )
    if stand_in:
        reporter.warn(
            f"{tags['runtime']} is not {profile.name}'s target system (its os-release is not "
            f"{_said(profile.base.os_release)}): its receipts say it stands in, and the gate "
            "refuses them"
        )
    return ProfileImages(
        tags.get("builder", ""),
        RuntimeImage(tags["runtime"], runtime_id, stand_in),
        tuple(p.tag for p, now in made if now),
    )


OS_RELEASE = ("/usr/lib/os-release", "/etc/os-release")  # os-release(5): either may hold it


def is_target(engine: Engine, profile: Profile, tag: str, image: str) -> bool:
    """Whether the image's os-release says it is the profile's target (ID, VERSION_ID...).

    Read from a container created (never started) from the image, once per image id
    (remembered under $XDG_CACHE_HOME/rpmkit/os-release/).
    """
    from rpmkit import nocache
    from rpmkit.labels import Run

    memo = nocache.cache_dir("os-release") / image.replace(":", "-")
    try:
        text = memo.read_text(encoding="utf-8")
    except OSError:
        run = Run.new("os-release")
        container = engine.create(tag, name=run.container_name(), run=run, command=["true"])
        try:
            text = ""
            for path in OS_RELEASE:
                text = container.read_text(path)
                if text:
                    break
        finally:
            container.remove()
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            memo.write_text(text, encoding="utf-8")
        except OSError as exc:
            nocache.warn("os-release records", memo.parent, exc)
    found = dict(
        (k, v.strip().strip('"'))
        for k, _, v in (line.partition("=") for line in text.splitlines())
        if k
    )
    return all(found.get(k) == v for k, v in profile.base.os_release.items())


def _said(fields: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(fields.items()))


def resolve(engine: Engine, profile: Profile, base_image: str | None = None) -> list[ImagePlan]:
    """Plan the profile's images against what is present locally."""
    base_id = None
    if base_image or profile.base.kind == "image":
        ref = base_image or profile.base.image
        base_id = image_id(engine, ref)
        if base_id is None:
            raise ImageMissing(
                f"base image {ref} for profile {profile.name} is not present locally",
                hint=profile.base.pull_hint
                or f"provide it with `docker pull {ref}`, `docker load -i FILE`, "
                "or choose another with --base-image NAME",
            )
    return plan(profile, base_image, base_id)


def missing(engine: Engine, plans: list[ImagePlan]) -> list[ImagePlan]:
    """The planned images not present locally."""
    return [p for p in plans if image_id(engine, p.tag) is None]


def build(
    engine: Engine,
    profile: Profile,
    reporter: Reporter,
    base_image: str | None = None,
    force: bool = False,
    roles: tuple[str, ...] = ROLES,
) -> list[tuple[ImagePlan, bool]]:
    """Build what is missing of `roles`; return each plan and whether it was built now."""
    plans = [p for p in resolve(engine, profile, base_image) if p.role in roles]
    todo = [p for p in plans if force or image_id(engine, p.tag) is None]
    rootfs = [p for p in todo if p.base_is_rootfs and (force or image_id(engine, p.base) is None)]
    if rootfs:
        _make_rootfs_images(engine, profile, rootfs, reporter)
    for p in todo:
        with reporter.step(f"building {p.tag}"):
            _docker_build(engine, profile, p, reporter)
    return [(p, p in todo) for p in plans]


def _make_rootfs_images(
    engine: Engine, profile: Profile, plans: list[ImagePlan], reporter: Reporter
) -> None:
    """Make the root filesystems the plans need, side by side (mostly download-bound)."""
    if shutil.which("mmdebstrap") is None:
        raise BuildError(
            "mmdebstrap is not installed; it makes the offline profile's root filesystems",
            hint="install it with `apt-get install mmdebstrap` (or run `make setup`)",
        )
    roles = ", ".join(p.role for p in plans)
    with scratch("rootfs") as tmp:
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
                            details=tail(log.read()),
                        )
            finally:
                for _, _, log, proc in running:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
                    log.close()
        for p, target, _, _ in running:
            rootfs_labels = {labels.CACHE: "rootfs", labels.PROFILE: profile.name}
            import_rootfs(engine, target, p.base, rootfs_labels, reporter)


def _docker_build(engine: Engine, profile: Profile, p: ImagePlan, reporter: Reporter) -> None:
    with scratch("dockerfile") as tmp:
        # Outside the build context: docker-py sends it along as the Dockerfile.
        dockerfile = Path(tmp) / profile.dockerfiles[p.role]
        dockerfile.write_text(p.dockerfile, encoding="utf-8")
        engine.build_image(
            str(profile.directory),
            p.tag,
            {labels.CACHE: "image", labels.PROFILE: profile.name, labels.KEY: p.tag},
            reporter.detail,
            dockerfile=str(dockerfile),
        )


def list_images(engine: Engine) -> list[dict[str, str]]:
    """Every image rpmkit keeps as a cache, newest first."""
    rows = []
    for image in _cached(engine):
        lab = image.labels
        rows.append(
            {
                "tags": ", ".join(image.tags) or image.short_id,
                "kind": lab.get(labels.CACHE, ""),
                "profile": lab.get(labels.PROFILE, ""),
                "size_mb": f"{image.size / 1e6:.0f}",
                "created": image.created[:19],
            }
        )
    return sorted(rows, key=lambda r: r["created"], reverse=True)


def prune(engine: Engine, keep_current: bool = False, dry_run: bool = False) -> list[str]:
    """Remove rpmkit's leftover run objects and its cached images (`dry_run`: only list them)."""
    from rpmkit.install import spare

    removed = engine.remove_leftovers(dry_run)
    removed += spare.reap(engine, everything=True, dry_run=dry_run)  # before their image
    current: set[str] = set()
    if keep_current:
        from rpmkit import profiles

        for name in profiles.names():
            try:
                for p in resolve(engine, profiles.get(name)):
                    current |= {p.tag, p.base}
            except ImageMissing:
                continue
        from rpmkit.rehearse import balancer_image

        current |= set(dataclasses.astuple(balancer_image.plan()))
    cached = _cached(engine)
    # Images built on a root filesystem go before it, or the engine refuses.
    cached.sort(key=lambda image: image.labels.get(labels.CACHE) == "rootfs")
    for image in cached:
        if current & set(image.tags):
            continue
        if dry_run or engine.remove_image(image.id):
            removed.append(f"image {', '.join(image.tags) or image.short_id}")
    return removed


def _cached(engine: Engine) -> list[ImageInfo]:
    """The images kept as caches; not a run's images (committed from a container made from
    a cached image, they inherit its `rpmkit.cache` label): those go with their run."""
    found = engine.images(label=labels.CACHE)
    return [image for image in found if labels.RUN not in image.labels]

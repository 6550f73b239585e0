"""`rpmkit images build|import|list|prune|save|load`."""

from __future__ import annotations

from pathlib import Path

import click

from rpmkit import engine
from rpmkit import images as imgs
from rpmkit.commands import params
from rpmkit.commands.common import (
    State,
    base_image_option,
    echo_table,
    pass_state,
    profile_option,
    select_profile,
)


@click.group()
def images() -> None:
    """Build, list and remove the images rpmkit keeps as caches.

    Each profile has a builder image (rpmbuild, rpmlint) and a runtime image
    (what a fresh server has). Their tags are a hash of the Dockerfile and
    every input, so an unchanged profile is never rebuilt.
    """


@images.command("build")
@profile_option
@base_image_option
@click.option("--force", is_flag=True, help="Rebuild even when the images are up to date.")
@pass_state
def build(state: State, profile_name: str | None, base_image: str | None, force: bool) -> None:
    """Build the profile's builder and runtime images if their inputs changed.

    The base image must be present locally: rpmkit never pulls it. Exits 2
    with how to provide it when it is not.

    \b
    Examples:
      rpmkit images build --profile offline
      rpmkit images build --profile al2023 --base-image registry.example.com/al2023:hardened
    """
    client = engine.connect()
    profile = select_profile(client, profile_name, None, state.reporter, base_image)
    for plan, built in imgs.build(client, profile, state.reporter, base_image, force):
        status = "built" if built else "up to date"
        click.echo(f"{plan.role:8} {plan.tag}  {status}")


@images.command("import")
@click.argument(
    "tarball", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@profile_option
@click.option(
    "--sha256",
    "expected",
    metavar="HEX",
    callback=params.sha256,
    help="The file's published sha256: anything else is not imported.",
)
@click.option(
    "--tag",
    metavar="NAME",
    callback=params.image,
    help="Import as this image instead of the profile's base (use it with --base-image).",
)
@pass_state
def import_(
    state: State, tarball: Path, profile_name: str | None, expected: str | None, tag: str | None
) -> None:
    """Import an Amazon Linux root filesystem tarball as the profile's base image.

    FILE is the root filesystem the official container image is built from
    (tar, tar.gz or tar.xz), for teams that mirror that file but reach no
    registry. With --sha256 a file whose digest differs exits 2 and nothing is
    imported. Images built on a base whose os-release is not the profile's
    target stand in for it: their receipts say so, and the gate refuses them.

    \b
    Examples:
      rpmkit images import --profile al2023 al2023-container-2023.6-x86_64.tar.xz --sha256 HEX
      rpmkit images import --profile al2 amzn2-container-raw-2.0-x86_64.tar.xz
    """
    from rpmkit import profiles
    from rpmkit.errors import ConfigError
    from rpmkit.images import base_import

    if profile_name is None:
        raise ConfigError(
            "images import needs --profile: which platform is the file?",
            hint="add --profile al2023 or --profile al2",
        )
    profile = profiles.get(profile_name)
    done = base_import.import_base(
        engine.connect(), profile, tarball, state.reporter, expected, tag
    )
    verified = "verified" if done.verified else "not verified: pass --sha256 to check it"
    click.echo(f"imported {tarball.name} as {done.ref} (sha256 {done.sha256}, {verified})")
    if not done.is_target:
        state.reporter.warn(
            f"{done.ref} is not {profile.name}'s target system (its os-release says otherwise): "
            "images built on it stand in, and the gate refuses their receipts"
        )


@images.command("list")
def list_() -> None:
    """List the images rpmkit keeps (label rpmkit.cache).

    \b
    Example:
      rpmkit images list
    """
    rows = imgs.list_images(engine.connect())
    echo_table(rows, ["tags", "kind", "profile", "size_mb", "created"])


@images.command("prune")
@click.option("--keep-current", is_flag=True, help="Keep the images of the current profile inputs.")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@pass_state
def prune(state: State, keep_current: bool, dry_run: bool) -> None:
    """Remove rpmkit's cached images and anything a run left behind (found by label).

    Kept instances (`--keep`) go too; runs still in progress are left alone.

    \b
    Examples:
      rpmkit images prune --dry-run
      rpmkit images prune --keep-current
    """
    removed = imgs.prune(engine.connect(), keep_current, dry_run)
    verb = "would remove" if dry_run else "removed"
    for item in removed:
        click.echo(f"{verb} {item}")
    if not removed:
        click.echo("nothing to remove")


@images.command("save")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), metavar="DIR")
@profile_option
@pass_state
def save(state: State, folder: Path, profile_name: str | None) -> None:
    """Archive the profile's builder and runtime images into DIR, for a CI cache.

    One `docker save` archive per content-addressed tag, written only when DIR
    does not hold it yet; archives of older tags of the same images are
    removed, so the cache does not grow. Missing images are built first.

    \b
    Example:
      rpmkit images save ~/.cache/rpmkit/images --profile offline
    """
    from rpmkit.images import archive as image_archive

    client = engine.connect()
    profile = select_profile(client, profile_name, None, state.reporter)
    made = imgs.ensure(client, profile, state.reporter)
    with state.reporter.step(f"saving {profile.name}'s images into {folder}"):
        outcomes, removed = image_archive.save(client, [made.builder, made.runtime.tag], folder)
    for outcome in outcomes:
        click.echo(f"{outcome.status:10} {outcome.tag}  {outcome.path}")
    for path in removed:
        click.echo(f"{'removed':10} {path}")


@images.command("load")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), metavar="DIR")
@pass_state
def load(state: State, folder: Path) -> None:
    """Load the image archives `rpmkit images save` wrote into DIR.

    Only the tags the engine lacks are loaded. A missing or empty DIR (a cold
    CI cache) loads nothing; an archive that does not load is a warning, and
    `rpmkit images build` then builds what is missing.

    \b
    Example:
      rpmkit images load ~/.cache/rpmkit/images
    """
    from rpmkit.images import archive as image_archive

    client = engine.connect()
    with state.reporter.step(f"loading the image archives in {folder}"):
        outcomes = image_archive.load(client, folder)
    if not outcomes:
        click.echo(f"no image archives in {folder}: nothing to load")
    for outcome in outcomes:
        if outcome.status == "failed":
            state.reporter.warn(f"{outcome.path} did not load: {outcome.detail}")
        else:
            click.echo(f"{outcome.status:10} {outcome.tag}")

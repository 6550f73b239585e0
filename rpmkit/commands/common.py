"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rpmkit import images, profiles
from rpmkit.errors import ConfigError
from rpmkit.progress import Reporter

if TYPE_CHECKING:
    from docker import DockerClient


@dataclass
class State:
    """Global options, shared with every command through click's context."""

    debug: bool = False
    verbosity: int = 0
    reporter: Reporter = field(default_factory=Reporter)


pass_state = click.make_pass_decorator(State, ensure=True)


def echo_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Print rows as an aligned plain-text table on stdout."""
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        click.echo("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns).rstrip())


def profile_option(func: Any) -> Any:
    """`--profile NAME`: which target platform to build and check for."""
    return click.option(
        "--profile",
        "profile_name",
        metavar="NAME",
        help="Target platform: offline, al2023 or al2. Default: the app's config, else al2023 "
        "when its base image is present locally, else offline.",
    )(func)


def base_image_option(func: Any) -> Any:
    """`--base-image NAME`: build the profile's images on this local image instead."""
    return click.option(
        "--base-image",
        metavar="NAME",
        help="Build the profile's images on this local image (e.g. a hardened one) instead of "
        "the profile's base; never pulled. Needs --profile (or the app's profile).",
    )(func)


def build_options(func: Any) -> Any:
    """APP, --profile and the options that decide what is built and from which wheels."""
    options: list[Callable[[Any], Any]] = [
        click.argument("app_dir", metavar="APP", type=click.Path(file_okay=False, path_type=Path)),
        profile_option,
        click.option(
            "--version", "version", metavar="V", help="Build this version, not the config's."
        ),
        click.option("--release", metavar="R", help="Build this release instead of the config's."),
        click.option(
            "--dist",
            type=click.Path(file_okay=False, path_type=Path),
            help="Write the RPM, SRPM, build log (and receipt) here. Default: APP/dist.",
        ),
        click.option(
            "--wheelhouse",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="Take the requirements' wheels from this directory; no index is contacted.",
        ),
        click.option("--index-url", metavar="URL", help="The package index pip downloads from."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def select_profile(
    client: DockerClient,
    explicit: str | None,
    configured: str | None,
    reporter: Reporter,
    base_image: str | None = None,
) -> profiles.Profile:
    """Choose the profile by the documented rule, saying so when it falls back."""
    if base_image and not (explicit or configured):
        # The image says nothing of its platform: the fallback would build the
        # offline profile's Debian steps on it.
        raise ConfigError(
            f"--base-image {base_image} needs --profile: which platform is it?",
            hint=f"add --profile al2023, al2 or offline (e.g. --profile al2023 --base-image "
            f"{base_image})",
        )
    name, note = profiles.choose(
        explicit, configured, lambda ref: images.image_id(client, ref) is not None
    )
    if note:
        reporter.info(note)
    return profiles.get(name)

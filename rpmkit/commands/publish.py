"""`rpmkit publish APP | RPM...`: put RPMs where the bake machine's yum repositories see them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from rpmkit.commands import params
from rpmkit.commands.common import State, pass_state

if TYPE_CHECKING:
    from rpmkit.targets import Target


def repo_option(func: click.decorators.FC) -> click.decorators.FC:
    """`--repo DIR|URL`: the repository, instead of the app config's publish.repo."""
    return click.option(
        "--repo",
        metavar="DIR|URL",
        callback=params.repository,
        help="A directory repository or an http(s) repository URL. Default: publish.repo.",
    )(func)


def publish_target(
    state: State,
    target: Target,
    repo_value: str | None,
    dry_run: bool,
    expect_sha256: str | None = None,
    skip_hint: str = "",
) -> None:
    """Publish one target's RPM, or print what publishing would do."""
    from rpmkit.errors import ConfigError, GateRefused
    from rpmkit.handoff import config as handoff_config
    from rpmkit.handoff import publish

    settings = target.app.app.publish if target.app else handoff_config.Publish()
    base = target.app.app_dir if target.app else None
    if repo_value is None and settings.repo is None:
        raise ConfigError(
            "no repository to publish to",
            hint=f"set publish.repo in the app config, or pass --repo DIR|URL{skip_hint}",
        )
    repo = (
        publish.repository(repo_value)
        if repo_value is not None
        else publish.repository(str(settings.repo), base)
    )
    item = publish.artifact(target.rpm)
    if expect_sha256 is not None and item.sha256 != expect_sha256:
        raise GateRefused(
            f"{target.rpm.name} changed while it was being handed off",
            hint=f"run `rpmkit check {target.given}`",
        )
    auth = publish.Auth("none")
    if repo.is_http:
        netrc_file = Path(settings.netrc).expanduser() if settings.netrc else None
        if netrc_file is not None and base is not None and not netrc_file.is_absolute():
            netrc_file = base / netrc_file
        auth = publish.resolve_auth(
            repo.location, settings.username_env, settings.password_env, netrc_file
        )
    if dry_run:
        for line in publish.plan(item, repo, auth):
            click.echo(f"dry run: {line}")
        return
    with state.reporter.step(f"publishing {item.name} to {repo.location}"):
        done = publish.publish(item, repo, auth, settings.timeout, state.reporter.detail)
    if done.uploaded:
        click.echo(f"published: {done.location}")
    else:
        click.echo(f"already published (same sha256): {done.location}")


@click.command()
@click.argument("targets", nargs=-1, required=True, type=click.Path(path_type=Path))
@repo_option
@click.option("--dist", type=click.Path(path_type=Path), help="Where the app's RPMs are.")
@click.option("--dry-run", is_flag=True, help="Print the commands and requests; make none.")
@pass_state
def publish(
    state: State,
    targets: tuple[Path, ...],
    repo: str | None,
    dist: Path | None,
    dry_run: bool,
) -> None:
    """Put RPMs where the bake machine's yum repositories see them.

    TARGETS is an app directory (its RPMs from `rpmkit build`) or RPM files.
    A directory repository gets a copy of each RPM, then `createrepo_c
    --update`. An HTTP repository (Artifactory, Nexus, WebDAV) gets a PUT
    with X-Checksum-Sha256 and X-Checksum-Sha1 headers; credentials come from
    the environment variables named by publish.username_env/password_env
    (default RPMKIT_PUBLISH_USERNAME/RPMKIT_PUBLISH_PASSWORD), else from the
    netrc entry for the host, and are never printed. An RPM already there
    with the same sha256 is left as it is; a different RPM under the same file
    name is never overwritten (exit 1: bump the release).

    \b
    Examples:
      rpmkit publish examples/hello-world --repo /srv/yum/rpmkit
      rpmkit publish dist/myapp-1.2-1.x86_64.rpm \\
          --repo https://artifactory.example.com/artifactory/rpm-local/myapp
      rpmkit publish . --dry-run
    """
    from rpmkit.targets import each as resolve

    for target in resolve(targets, dist):
        publish_target(state, target, repo, dry_run)

"""`rpmkit publish APP | RPM...`: put RPMs where the bake machine's yum repositories see them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from rpmkit.commands.common import State, pass_state
from rpmkit.commands.handoff_shared import publish_target, repo_option

if TYPE_CHECKING:
    pass


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

"""`rpmkit build`."""

from __future__ import annotations

from pathlib import Path

import click

from rpmkit import build as stage
from rpmkit import config, engine, spec
from rpmkit.commands.common import State, pass_state, profile_option, select_profile


@click.command()
@click.argument("app_dir", metavar="APP", type=click.Path(file_okay=False, path_type=Path))
@profile_option
@click.option(
    "--version", "version", metavar="V", help="Build this version instead of the config's."
)
@click.option("--release", metavar="R", help="Build this release instead of the config's.")
@click.option(
    "--dist",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the RPM, SRPM and build log here. Default: APP/dist.",
)
@click.option(
    "--wheelhouse",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Take the requirements' wheels from this directory; no index is contacted.",
)
@click.option("--index-url", metavar="URL", help="The package index pip downloads wheels from.")
@click.option("--keep", is_flag=True, help="Keep the builder container for `docker exec`.")
@pass_state
def build(
    state: State,
    app_dir: Path,
    profile_name: str | None,
    version: str | None,
    release: str | None,
    dist: Path | None,
    wheelhouse: Path | None,
    index_url: str | None,
    keep: bool,
) -> None:
    """Build APP's RPM and SRPM in the profile's builder container, then rpmlint them.

    The spec comes from the app's template (or its own spec file). The source
    tarball is made from APP, honouring .gitignore and the config's `exclude`;
    the requirements' wheels are downloaded on this machine for the target's
    Python (cached under ~/.cache/rpmkit/wheels) and installed in the RPM's
    venv without network. Building the same inputs twice gives the same
    payload. Exits 1 when rpmbuild fails or rpmlint finds errors.

    \b
    Examples:
      rpmkit build examples/hello-world --profile offline
      rpmkit build . --version 1.2.0 --release 3 --dist /tmp/out
      rpmkit build . --wheelhouse ./wheels      # air-gapped: wheels you provide
    """
    overrides = {key: value for key, value in (("version", version), ("release", release)) if value}
    loaded = config.load(app_dir, overrides)
    rendered = spec.render(loaded)
    client = engine.connect()
    profile = select_profile(client, profile_name, loaded.app.profile, state.reporter)
    options = stage.BuildOptions(dist=dist, wheelhouse=wheelhouse, index_url=index_url, keep=keep)
    rpm = stage.build(client, loaded, rendered, profile, state.reporter, options)
    for path in (*rpm.paths, rpm.srpm, rpm.log):
        click.echo(str(path))

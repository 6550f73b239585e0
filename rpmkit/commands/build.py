"""`rpmkit build`."""

from __future__ import annotations

from pathlib import Path

import click

from rpmkit import config, engine
from rpmkit.build import spec, stage
from rpmkit.commands.common import (
    BuildInputs,
    State,
    base_image_option,
    build_options,
    pass_state,
    select_profile,
)


@click.command()
@build_options
@base_image_option
@click.option("--keep", is_flag=True, help="Keep the builder container for `docker exec`.")
@pass_state
def build(
    state: State,
    app_dir: Path,
    profile_name: str | None,
    inputs: BuildInputs,
    base_image: str | None,
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
      rpmkit build . --define 'with_tests 1'    # a macro a hand-written spec reads
    """
    loaded = config.load(app_dir, inputs.overrides())
    rendered = spec.render(loaded)
    client = engine.connect()
    profile = select_profile(client, profile_name, loaded.app.profile, state.reporter, base_image)
    options = stage.BuildOptions(
        dist=inputs.dist,
        wheelhouse=inputs.wheelhouse,
        index_url=inputs.index_url,
        keep=keep,
        base_image=base_image,
        defines=inputs.defines,
    )
    rpm = stage.build(client, loaded, rendered, profile, state.reporter, options)
    for path in (*rpm.paths, rpm.srpm, rpm.log):
        click.echo(str(path))

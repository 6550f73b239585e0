"""`rpmkit spec`."""

from __future__ import annotations

from pathlib import Path

import click

from rpmkit import config
from rpmkit import spec as specs
from rpmkit.commands.common import State, pass_state


@click.command("spec")
@click.argument("app_dir", metavar="APP", type=click.Path(file_okay=False, path_type=Path))
@click.option("--version", "version", metavar="V", help="Override the config's version.")
@click.option("--release", "release", metavar="R", help="Override the config's release.")
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the spec to FILE instead of stdout.",
)
@pass_state
def spec(
    state: State, app_dir: Path, version: str | None, release: str | None, output: Path | None
) -> None:
    """Print the RPM spec rpmkit makes for the app in APP.

    The spec comes from the app's template (python-web, python-worker,
    static-site), or is the app's own hand-written spec, unchanged. It is what
    `rpmkit build` builds; nothing is built or run here.

    \b
    Examples:
      rpmkit spec examples/hello-world
      rpmkit spec examples/hello-world --release 2 -o hello-world.spec
    """
    overrides = {k: v for k, v in (("version", version), ("release", release)) if v is not None}
    rendered = specs.render(config.load(app_dir, overrides))
    if output is None:
        click.echo(rendered.text, nl=False)
        return
    output.write_text(rendered.text, encoding="utf-8")
    state.reporter.info(f"wrote {output} ({rendered.name}-{rendered.version}-{rendered.release})")

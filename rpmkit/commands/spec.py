"""`rpmkit spec`."""

from __future__ import annotations

from pathlib import Path

import click

from rpmkit import config
from rpmkit.build import spec as specs
from rpmkit.commands import params
from rpmkit.commands.common import State, overrides, pass_state, profile_option
from rpmkit.progress import Reporter
from rpmkit.scratch import scratch


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
@profile_option
@click.option(
    "--wheelhouse",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Take the requirements' wheels from this directory; no index is contacted.",
)
@click.option(
    "--index-url",
    metavar="URL",
    callback=params.index_url,
    help="The package index pip downloads from (credentials: in the URL, or a netrc).",
)
@pass_state
def spec(
    state: State,
    app_dir: Path,
    version: str | None,
    release: str | None,
    output: Path | None,
    profile_name: str | None,
    wheelhouse: Path | None,
    index_url: str | None,
) -> None:
    """Print the RPM spec rpmkit makes for the app in APP.

    The spec comes from the app's template (python-web, python-worker,
    static-site), or is the app's own hand-written spec, unchanged. It is what
    `rpmkit build` builds; nothing is built or run here. A template's
    BuildArch comes from its payload, as in `rpmkit build`: noarch unless a
    wheel or an app file holds compiled code, so the requirements' wheels
    are resolved (from the cache, --wheelhouse or the index) for the
    profile's Python.

    \b
    Examples:
      rpmkit spec examples/hello-world
      rpmkit spec examples/hello-world --release 2 -o hello-world.spec
    """
    changes = overrides(version, release)
    loaded = config.load(app_dir, changes)
    rendered = specs.render(loaded)
    if rendered.template is not None:
        arch = payload_arch(loaded, profile_name, wheelhouse, index_url, state.reporter)
        rendered = specs.render(loaded, arch)
    if output is None:
        click.echo(rendered.text, nl=False)
        return
    output.write_text(rendered.text, encoding="utf-8")
    state.reporter.info(f"wrote {output} ({rendered.name}-{rendered.version}-{rendered.release})")


def payload_arch(
    loaded: config.LoadedConfig,
    profile_name: str | None,
    wheelhouse: Path | None,
    index_url: str | None,
    reporter: Reporter,
) -> str:
    """The template's architecture, decided from its payload as `rpmkit build` decides it.

    The wheels are those of the profile's Python: --profile, else the
    config's, else the offline profile's (deciding as `rpmkit build` does
    would need the Docker engine).
    """
    from rpmkit import profiles
    from rpmkit.build import preflight, sources

    preflight.check(loaded)
    name = profile_name or loaded.app.profile or profiles.FALLBACK
    with scratch("spec") as tmp:
        stager = sources.Stager(
            loaded, profiles.get(name).python, Path(tmp), 0, [loaded.app_dir / "dist"],
            reporter, index_url, wheelhouse,
        )  # fmt: skip
        decision = stager.arch()
    reporter.info(f"architecture {decision.describe()}")
    return decision.arch

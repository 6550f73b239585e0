"""`rpmkit run APP`: spec, build and check in one go."""

from __future__ import annotations

from pathlib import Path

import click

from rpmkit.commands.common import State, build_options, pass_state, select_profile


@click.command()
@build_options
@click.option("--no-health", is_flag=True, help="Skip the HTTP health check.")
@click.option(
    "--json", "json_path", type=click.Path(path_type=Path), help="Write the report as JSON."
)
@click.option("--junit-xml", type=click.Path(path_type=Path), help="Write the report as JUnit XML.")
@click.option("--keep", is_flag=True, help="Keep the instance and print how to enter it.")
@pass_state
def run(
    state: State,
    app_dir: Path,
    profile_name: str | None,
    version: str | None,
    release: str | None,
    dist: Path | None,
    wheelhouse: Path | None,
    index_url: str | None,
    no_health: bool,
    json_path: Path | None,
    junit_xml: Path | None,
    keep: bool,
) -> None:
    """The main job: render APP's spec, build its RPM, then check it.

    Equivalent to `rpmkit build APP` followed by `rpmkit check APP`: the RPM is
    built in the profile's builder container, installed into a fresh runtime
    container as the bake would, booted with systemd and checked. On pass, a
    receipt bound to the RPM's sha256 is written next to it. Exits 1 when the
    build or a check fails.

    \b
    Examples:
      rpmkit run examples/hello-world
      rpmkit run . --profile offline --junit-xml report.xml
    """
    from rpmkit import build as stage
    from rpmkit import config, engine, pipeline, spec
    from rpmkit.commands.check import execute

    overrides = {k: v for k, v in (("version", version), ("release", release)) if v}
    loaded = config.load(app_dir, overrides)
    rendered = spec.render(loaded)
    client = engine.connect()
    profile = select_profile(client, profile_name, loaded.app.profile, state.reporter)
    options = stage.BuildOptions(dist=dist, wheelhouse=wheelhouse, index_url=index_url)
    rpm = stage.build(client, loaded, rendered, profile, state.reporter, options)
    for path in (*rpm.paths, rpm.srpm, rpm.log):
        click.echo(f"built: {path}")
    plan = pipeline.adjust(
        pipeline.app_plan(loaded, list(rpm.paths), health=not no_health), keep=keep
    )
    execute(state, client, profile, plan, json_path, junit_xml)

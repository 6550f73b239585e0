"""`rpmkit scaffold APP --env ENV`: create the application in the deploy tool, once."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from rpmkit.commands.common import State, pass_state
from rpmkit.commands.handoff_shared import env_option, streamer


@click.command()
@click.argument("app_dir", metavar="APP", type=click.Path(file_okay=False, path_type=Path))
@env_option
@click.option("--dry-run", is_flag=True, help="Print the command; run nothing.")
@pass_state
def scaffold(state: State, app_dir: Path, env: str, dry_run: bool) -> None:
    """Create APP in the deploy tool for an environment: run once, before the first deploy.

    The load balancer's health check is the one `rpmkit check` used: the
    path and port of [health_check], with the timings of
    [health_check.load_balancer]. The command is scaffold.command, by default:

    \b
      sfapp create_application {name} --health-check-url {health_path}
          --port {port} --protocol {protocol} --env {env}

    Its output is streamed; exits 1 with its last lines when it fails.

    \b
    Examples:
      rpmkit scaffold examples/hello-world --env test
      rpmkit scaffold . --env prod --dry-run
    """
    from rpmkit import config
    from rpmkit.handoff import tools as handoff

    app = config.load(app_dir).app
    handoff.environment(app, env)
    argv = handoff.render(
        app.scaffold.command, handoff.scaffold_values(app, env), "scaffold.command"
    )
    if dry_run:
        click.echo(f"dry run: {shlex.join(argv)}")
        return
    state.reporter.info(f"scaffolding: {shlex.join(argv)}")
    handoff.call(argv, streamer(state))
    click.echo(f"scaffolded: {app.name} in {env}")

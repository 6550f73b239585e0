"""`rpmkit deploy APP --env ENV`: hand the baked AMI to the deploy tool."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from rpmkit.commands.common import State, pass_state
from rpmkit.commands.handoff_shared import ami_option, env_option, streamer

MIN_SAFE_INSTANCES = 2


@click.command()
@click.argument("app_dir", metavar="APP", type=click.Path(file_okay=False, path_type=Path))
@env_option
@click.option(
    "--ami", metavar="AMI", callback=ami_option, help="Deploy this AMI, not the bake record's."
)
@click.option("--dist", type=click.Path(path_type=Path), help="Where the app's RPMs are.")
@click.option("--dry-run", is_flag=True, help="Print the command; run nothing.")
@pass_state
def deploy(
    state: State,
    app_dir: Path,
    env: str,
    ami: str | None,
    dist: Path | None,
    dry_run: bool,
) -> None:
    """Deploy APP's baked AMI to an environment with the team's deploy tool.

    The AMI comes from the bake record `rpmkit bake` wrote next to the RPM
    (refused if the RPM changed since it was baked), or from --ami. The
    instance type and the minimum and maximum instance counts come from
    [deploy.environments.ENV] in the app config; a minimum below 2 is allowed
    with a warning (losing the one instance is an outage). The command is
    deploy.command, by default:

    \b
      sfapp deploy {name} --env {env} --ami {ami} --instance-type {instance_type}
          --min-instances {min} --max-instances {max}

    Its output is streamed; exits 1 with its last lines when it fails.

    \b
    Examples:
      rpmkit deploy examples/hello-world --env test
      rpmkit deploy . --env prod --ami ami-0123456789abcdef0 --dry-run
    """
    from rpmkit import config
    from rpmkit.check.plan import find_rpms
    from rpmkit.errors import ConfigError, GateRefused
    from rpmkit.handoff import tools as handoff
    from rpmkit.rpm import sha256_file

    loaded = config.load(app_dir)
    app = loaded.app
    sizing = handoff.environment(app, env)
    if ami is None:
        rpms = find_rpms(loaded, dist)
        if len(rpms) > 1:
            names = ", ".join(p.name for p in rpms)
            raise ConfigError(f"{app_dir} has several RPMs ({names})", hint="pass --ami")
        record = handoff.read_record(rpms[0])
        if record is None:
            raise ConfigError(
                f"{rpms[0].name} has no bake record ({handoff.record_path(rpms[0])})",
                hint=f"bake it first with `rpmkit bake {shlex.quote(str(app_dir))}`, or pass --ami",
            )
        if record.rpm_sha256 != sha256_file(rpms[0]):
            quoted = shlex.quote(str(app_dir))
            raise GateRefused(
                f"{rpms[0].name} changed after it was baked into {record.ami}",
                hint=f"run `rpmkit check {quoted}` and `rpmkit bake {quoted}` again, or pass --ami",
            )
        ami = record.ami
    if sizing.min < MIN_SAFE_INSTANCES:
        state.reporter.warn(
            f"{env}: min {sizing.min} instance: losing it means an outage "
            f"(set deploy.environments.{env}.min to {MIN_SAFE_INSTANCES} or more)"
        )
    argv = handoff.render(
        app.deploy.command, handoff.deploy_values(app, env, ami, sizing), "deploy.command"
    )
    if dry_run:
        click.echo(f"dry run: {shlex.join(argv)}")
        return
    state.reporter.info(f"deploying: {shlex.join(argv)}")
    handoff.call(argv, streamer(state))
    click.echo(f"deployed: {app.name} {ami} to {env}")

"""`rpmkit instances` and `rpmkit instances rm`: kept and leftover instances."""

from __future__ import annotations

import click

from rpmkit.commands import params
from rpmkit.commands.common import State, echo_table, pass_state


@click.group(invoke_without_command=True)
@click.pass_context
def instances(ctx: click.Context) -> None:
    """List the instances rpmkit made that are still there.

    `--keep` keeps an instance whatever the verdict (after a failed install, in
    its post-install state); a run that was killed leaves its instance until the
    next rpmkit run reaps it. Enter one with `rpmkit shell --instance NAME`.

    \b
    Examples:
      rpmkit instances
      rpmkit instances rm rpmkit-hello-world-0123456789ab
      rpmkit instances rm --all
    """
    if ctx.invoked_subcommand is None:
        from rpmkit import engine
        from rpmkit import instances as kept

        found = kept.find(engine.connect())
        if not found:
            click.echo("no instances")
            return
        echo_table([k.row() for k in found], kept.COLUMNS)


@instances.command("rm")
@click.argument("names", nargs=-1, callback=params.container_names)
@click.option("--all", "every", is_flag=True, help="Every kept and leftover instance.")
@click.option(
    "--force", is_flag=True, help="Remove a named instance even while its run is in progress."
)
@pass_state
def rm(state: State, names: tuple[str, ...], every: bool, force: bool) -> None:
    """Remove kept or leftover instances by name (or --all).

    An instance whose run is still in progress is refused (exit 2) unless
    --force; --all leaves those alone.

    \b
    Examples:
      rpmkit instances rm rpmkit-hello-world-0123456789ab
      rpmkit instances rm --all
    """
    from rpmkit import engine
    from rpmkit import instances as kept
    from rpmkit.errors import ConfigError

    if bool(names) == every:
        raise ConfigError("name the instances to remove, or give --all")
    removed = kept.remove(engine.connect(), list(names), every, force)
    for name in removed:
        click.echo(f"removed {name}")
    if not removed:
        click.echo("nothing to remove")

"""`rpmkit shell APP | RPM...`: a shell inside a freshly installed and booted instance."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click

from rpmkit.commands import params
from rpmkit.commands.common import State, pass_state, profile_option, select_profile
from rpmkit.errors import ConfigError


@click.command()
@click.argument("targets", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--instance",
    metavar="NAME",
    callback=params.container_names,
    help="Enter this instance (one `--keep` kept, see `rpmkit instances`) instead of a fresh "
    "one; leaving does not remove it.",
)
@profile_option
@click.option(
    "--dist", type=click.Path(file_okay=False, path_type=Path), help="Where the app's RPMs are."
)
@click.option("--build", "rebuild", is_flag=True, help="Build the app's RPM first, even if built.")
@pass_state
def shell(
    state: State, targets: tuple[Path, ...], instance: str | None, profile_name: str | None,
    dist: Path | None, rebuild: bool,
) -> None:  # fmt: skip
    """Open a shell in a fresh instance with the RPMs installed and booted; exit removes it.

    The instance is made as `rpmkit check` makes it: a fresh runtime
    container, the RPMs installed as the bake would, systemd booted. Look
    around (`systemctl status`, `journalctl -u NAME`, `rpm -ql NAME`),
    then leave with `exit` or Ctrl-D: the instance and everything it made are
    removed.

    TARGETS is an app directory (its RPM for the configured version from
    --dist, default APP/dist; built first when there is none, or with
    --build) or one or more RPM files. The app's ports are published on
    127.0.0.1 and printed.

    Exit status: with a terminal, 0 once the instance is removed. Without
    one (commands from stdin), the shell's own exit status, after the
    instance is removed: `echo 'systemctl is-active myapp' | rpmkit shell .`
    fails when the unit is not active.

    \b
    Examples:
      rpmkit shell examples/hello-world
      rpmkit shell dist/myapp-1.2-1.x86_64.rpm --profile offline
      echo 'rpm -q myapp' | rpmkit shell .      # no terminal: commands from stdin
      rpmkit shell --instance rpmkit-myapp-0123456789ab   # one `check --keep` kept
    """
    from rpmkit import engine
    from rpmkit import targets as resolve
    from rpmkit.check import booted

    if bool(targets) == bool(instance):
        raise ConfigError("give an app directory or RPM files, or --instance NAME")
    if shutil.which("docker") is None:
        raise ConfigError(
            "the docker CLI is not installed; `rpmkit shell` runs `docker exec`",
            hint="install it (Debian: apt-get install docker.io) or use `rpmkit check --keep`",
        )
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    if instance is not None:
        client = engine.connect()
        if client.container(instance) is None:
            raise ConfigError(f"no instance {instance}", hint="see `rpmkit instances`")
        _exit_as(subprocess.call(client.shell_argv(instance, tty, os.environ.get("TERM"))))
        return
    found = resolve.resolve(targets, dist, must_exist=False)
    client = engine.connect()
    reporter = state.reporter
    loaded = found.app
    if loaded is not None:
        profile = select_profile(client, profile_name, loaded.app.profile, reporter)
        paths = tuple(booted.app_rpms(client, loaded, profile, reporter, dist, rebuild))
    else:
        profile = select_profile(client, profile_name, None, reporter)
        paths = found.rpms
    with resolve.staged(paths) as rpms:
        with booted.booted(
            client, profile, rpms, found.name, reporter, booted.publish_ports(loaded)
        ) as fresh:
            click.echo(f"shell: {fresh.nevras} on {profile.name} in {fresh.name}", err=True)
            for port, host_port in sorted(fresh.ports.items()):
                click.echo(f"  port {port}: http://{fresh.address}:{host_port}/", err=True)
            click.echo("  `exit` or Ctrl-D leaves and removes the instance", err=True)
            argv = client.shell_argv(fresh.name, tty, os.environ.get("TERM"))
            status = subprocess.call(argv)
        reporter.info(f"removed {fresh.name}")
    _exit_as(status)


def _exit_as(status: int) -> None:
    """Leave with the shell's exit status when commands came from stdin (a script's verdict).

    At a terminal the status is that of the last command typed, the user's
    business: rpmkit exits 0. A shell killed by signal N gives 128+N, as sh does.
    """
    if sys.stdin.isatty():
        return
    code = 128 - status if status < 0 else status
    if code:
        raise SystemExit(code)  # as `rpmkit doctor` does: click would swallow its Exit here

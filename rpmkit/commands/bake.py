"""`rpmkit bake APP | RPM`: gate, publish, then hand the RPM to aminate."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from rpmkit.commands.common import State, pass_state
from rpmkit.commands.handoff_shared import (
    ami_option,
    check_and_report,
    gate_options,
    publish_target,
    repo_option,
    streamer,
)


@click.command()
@click.argument("target", metavar="APP|RPM", type=click.Path(path_type=Path))
@gate_options
@click.option(
    "--base-ami",
    metavar="AMI",
    envvar="RPMKIT_BASE_AMI",
    show_envvar=True,
    callback=ami_option,
    help="The AMI to bake on. Default: bake.base_ami.",
)
@repo_option
@click.option(
    "--no-publish",
    is_flag=True,
    help="The RPM is already in the bake's repository: publish nothing, but verify that "
    "the repository holds these very bytes.",
)
@click.option("--dist", type=click.Path(path_type=Path), help="Where the app's RPMs are.")
@click.option("--dry-run", is_flag=True, help="Print the commands and requests; make none.")
@pass_state
def bake(
    state: State,
    target: Path,
    profile_name: str | None,
    accept_profile: str | None,
    max_age: float | None,
    base_ami: str | None,
    repo: str | None,
    no_publish: bool,
    dist: Path | None,
    dry_run: bool,
) -> None:
    """Bake the RPM into an AMI with aminate, if and only if it passed the check.

    First the gate (as `rpmkit gate`): the RPM's receipt must show that this
    very RPM passed `rpmkit check` on the bake's target profile, recently.
    Then the RPM is published where the bake machine's yum repositories see
    it (as `rpmkit publish`; with --no-publish, the repository must already hold
    these very bytes under the RPM's name, and no other file of its NEVRA when it is
    a directory), and the aminate command
    from bake.command runs, by default:

    \b
      sudo /usr/local/bin/aminate -B {base_ami} --vm-type hvm {nevra} --partition 1

    Its output is streamed and saved to aminate.out next to the RPM; the AMI
    id from aminator's `AMI registered:` line goes into the bake record
    `<rpm>.bake.json`, which `rpmkit deploy` reads. Exits 1 when the gate
    refuses, publishing fails, or aminate fails or names no AMI.

    \b
    Examples:
      rpmkit bake examples/hello-world --base-ami ami-0123456789abcdef0
      RPMKIT_BASE_AMI=ami-0123456789abcdef0 rpmkit bake dist/myapp-1.2-1.x86_64.rpm --no-publish
      rpmkit bake . --accept-profile offline --dry-run
    """
    from rpmkit.errors import ConfigError
    from rpmkit.gate import policy_for
    from rpmkit.handoff import config as handoff_config
    from rpmkit.handoff import tools as handoff
    from rpmkit.targets import each as resolve

    targets = resolve((target,), dist)
    if len(targets) > 1:
        names = ", ".join(t.rpm.name for t in targets)
        raise ConfigError(f"{target} has several RPMs ({names})", hint="pass the RPM file to bake")
    chosen = targets[0]
    settings = chosen.app.app.bake if chosen.app else handoff_config.Bake()
    passed = check_and_report(
        state, chosen, policy_for(chosen, profile_name, accept_profile, max_age)
    )
    base_ami = base_ami or settings.base_ami
    if handoff.uses(settings.command, "base_ami") and not base_ami:
        raise ConfigError(
            "no base AMI to bake on",
            hint="pass --base-ami, set RPMKIT_BASE_AMI, or set bake.base_ami in the app config",
        )
    argv = handoff.render(
        settings.command,
        handoff.bake_values(chosen.rpm, base_ami, passed.nevra, passed.sha256),
        "bake.command",
    )
    if not any(p in " ".join(settings.command) for p in ("{nevra}", "{rpm}", "{release}")):
        state.reporter.warn(
            "bake.command names the package without its version and release: the bake "
            "machine's yum may install another build than the one the gate passed "
            "(use {nevra})"
        )
    publish_target(
        state,
        chosen,
        repo,
        dry_run,
        expect_sha256=passed.sha256,
        skip_hint="" if no_publish else ", or --no-publish when it is already there",
        verify_only=no_publish,
    )
    if dry_run:
        click.echo(f"dry run: {shlex.join(argv)}")
        return
    state.reporter.info(f"baking: {shlex.join(argv)}")
    record = handoff.bake(argv, chosen.rpm, passed.sha256, streamer(state), passed.nevra)
    click.echo(f"ami: {record.ami}")
    click.echo(f"bake record: {record.path}")

"""`rpmkit check APP | RPM...`."""

from __future__ import annotations

from pathlib import Path

import click

from rpmkit.commands import params
from rpmkit.commands.common import (
    State,
    base_image_option,
    cache_option,
    execute,
    not_at_boot_option,
    pass_state,
    profile_option,
    repo_options,
    select_profile,
    settle_option,
    with_repos,
)
from rpmkit.commands.reporting import Progress, Reports, report_options
from rpmkit.errors import ConfigError


@click.command()
@click.argument(
    "targets_", metavar="TARGETS", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@profile_option
@click.option("--no-boot", is_flag=True, help="Install and check statically only (fastest tier).")
@click.option("--no-health", is_flag=True, help="Skip the HTTP health check (no HTTP served).")
@click.option(
    "--health-path",
    metavar="PATH",
    callback=params.url_path,
    help="Health check path [default: the app's, or /health_check].",
)
@click.option(
    "--health-port",
    type=params.PORT,
    metavar="PORT",
    help="Health check port [default: the app's, or 80].",
)
@click.option(
    "--expect-status", type=params.STATUS, metavar="CODE", help="Healthy status [default: 200]."
)
@click.option("--dist", type=click.Path(path_type=Path), help="Where the app's RPMs are.")
@report_options
@click.option("--keep", is_flag=True, help="Keep the instance and print how to enter it.")
@click.option(
    "--upgrade-from",
    "upgrade_from",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Install this (older) RPM first, boot it, then upgrade to the one checked. Repeatable.",
)
@click.option("--erase", is_flag=True, help="Erase at the end and report anything left behind.")
@click.option(
    "--spare/--no-spare",
    default=None,
    envvar="RPMKIT_SPARE",
    help="Take the waiting instance the last check left, and leave one for the next "
    "[default: on, off in CI; env RPMKIT_SPARE=0/1].",
)
@settle_option
@not_at_boot_option
@cache_option
@repo_options
@base_image_option
@pass_state
def check(
    state: State,
    targets_: tuple[Path, ...],
    profile_name: str | None,
    no_boot: bool,
    no_health: bool,
    health_path: str | None,
    health_port: int | None,
    expect_status: int | None,
    dist: Path | None,
    json_path: Path | None,
    junit_xml: Path | None,
    keep: bool,
    upgrade_from: tuple[Path, ...],
    erase: bool,
    spare: bool | None,
    settle: float | None,
    not_at_boot: tuple[str, ...],
    no_cache: bool,
    base_image: str | None,
    repo_files: tuple[Path, ...],
    network: str | None,
) -> None:
    """Install RPMs into a fresh container as the bake would, boot and check them.

    TARGETS is an app directory (its RPM from `rpmkit build`, checked with
    what its config declares) or one or more RPM files (checked together).

    Stages: install (dependencies resolved, every scriptlet run, services not
    running), boot (systemd as PID 1), verify (testinfra: package, files,
    users, units enabled and active, ports), health (HTTP, with the load
    balancer's semantics), app tests (`tests/infra/test_*.py` in the app).
    On pass, a receipt bound to the RPM's sha256 is written next to it.
    Exits 1 when a check fails.

    \b
    Examples:
      rpmkit check examples/hello-world
      rpmkit check dist/myapp-1.2-1.x86_64.rpm --health-path /status
      rpmkit check worker.rpm --no-health --junit-xml report.xml
      rpmkit check --upgrade-from dist/myapp-1.1-1.x86_64.rpm dist/myapp-1.2-1.x86_64.rpm
    """
    from rpmkit import engine, targets
    from rpmkit.check.plan import adjust, app_plan, rpm_plan

    reports = Reports("check", json_path, junit_xml)
    first = targets_[0]
    progress = Progress(first.resolve().name if first.is_dir() else _rpm_name(first))
    with reports.on_failure(progress):
        if upgrade_from and no_boot:
            raise ConfigError("--upgrade-from needs a booted instance; drop --no-boot")
        if settle and no_boot:
            raise ConfigError(
                "--settle needs a booted instance (the settle window watches its services); "
                "drop --no-boot or --settle"
            )
        found = targets.resolve(tuple(targets_), dist)
        progress.name = found.name
        progress.rpms = tuple(p.name for p in found.rpms)
        progress.subject = ", ".join(progress.rpms)
        with targets.staged(found.rpms) as rpms, targets.staged(upgrade_from) as old:
            if found.app is not None:
                plan = app_plan(found.app, rpms, health=not no_health)
            else:
                plan = rpm_plan(rpms, health=not no_health)
            plan = adjust(
                plan,
                path=health_path,
                port=health_port,
                expected_status=expect_status,
                boot=not no_boot,
                keep=keep,
                upgrade_from=old,
                erase=erase,
                spare=spare,
                settle=settle,
                not_at_boot=not_at_boot,
            )
            plan = with_repos(plan, repo_files, network)
            progress.enter("setup")
            client = engine.connect()
            configured = found.app.app.profile if found.app is not None else None
            profile = select_profile(client, profile_name, configured, state.reporter, base_image)
            progress.profile = profile.name
            execute(
                state, client, profile, plan, reports, progress, base_image,
                use_cache=not no_cache,
            )  # fmt: skip


def _rpm_name(rpm: Path) -> str:
    # NAME-VERSION-RELEASE.ARCH.rpm: the report names the app after NAME.
    return rpm.name.rsplit("-", 2)[0] or rpm.name

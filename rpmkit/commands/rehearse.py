"""`rpmkit rehearse APP --from OLD.rpm [--to NEW.rpm]`."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rpmkit.commands import params
from rpmkit.commands.common import State, pass_state, profile_option, select_profile
from rpmkit.commands.reporting import Progress, Reports, report_options
from rpmkit.errors import CheckFailed, ConfigError
from rpmkit.rehearse.config import ERROR_BUDGET_MAX

if TYPE_CHECKING:
    from rpmkit.config import AppConfig, LoadedConfig
    from rpmkit.rehearse.run import RehearsePlan
    from rpmkit.rpm import RpmFile

RPM = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.argument("app_dir", metavar="APP", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--from",
    "old",
    multiple=True,
    type=RPM,
    required=True,
    help="The RPM the running group has now. Repeatable (one per package).",
)
@click.option(
    "--to",
    "new",
    multiple=True,
    type=RPM,
    help="The RPM to roll out. Repeatable. Default: the app's RPM in --dist.",
)
@profile_option
@click.option("--dist", type=click.Path(path_type=Path), help="Where the app's RPMs are.")
@click.option(
    "--instances", type=click.IntRange(1, 8), metavar="N", help="Instances per group [config: 2]."
)
@click.option(
    "--rate",
    type=click.IntRange(1, 1000),
    metavar="N",
    help="Requests per second through the balancer [config: 50].",
)
@click.option(
    "--clients", type=click.IntRange(1, 64), metavar="N", help="Concurrent clients [config: 4]."
)
@click.option(
    "--steady-seconds",
    type=params.Seconds(0.5, 3600),
    metavar="S",
    help="Load on the old group before the swap [config: 10].",
)
@click.option(
    "--after-seconds",
    type=params.Seconds(0.5, 3600),
    metavar="S",
    help="Load on the new group after the swap [config: 5].",
)
@click.option(
    "--error-budget",
    type=click.IntRange(0, ERROR_BUDGET_MAX),
    metavar="N",
    help="Failed requests allowed, kills on purpose excepted [config: 0].",
)
@click.option(
    "--chaos", is_flag=True, help="Kill a random instance at a random moment of the steady phase."
)
@click.option(
    "--chaos-swap",
    is_flag=True,
    help="Kill a random old instance while the new group comes up.",
)
@click.option("--seed", type=int, help="Seed for the random choices (printed with the verdict).")
@report_options
@pass_state
def rehearse(
    state: State,
    app_dir: Path,
    old: tuple[Path, ...],
    new: tuple[Path, ...],
    profile_name: str | None,
    dist: Path | None,
    json_path: Path | None,
    junit_xml: Path | None,
    seed: int | None,
    chaos: bool,
    chaos_swap: bool,
    instances: int | None,
    rate: int | None,
    clients: int | None,
    steady_seconds: float | None,
    after_seconds: float | None,
    error_budget: int | None,
) -> None:
    """Rehearse the rollout locally: a group behind a real load balancer, a red-black swap.

    Bakes OLD and NEW into images (installed as the bake does, committed before
    boot), starts a group of the old image behind HAProxy on a private network,
    and sends a steady stream of requests through it. Then the red-black swap:
    the new group starts; when every new instance passes rpmkit's probe and the
    balancer's own health check, the balancer switches to it, and the old group
    is drained and removed. Failed requests are counted at the client, with
    their times and the instance that handled them.

    With --chaos a random instance is killed under load; once the balancer's
    health check has marked it down, a replacement starts, as the scaling
    group would. Requests the killed instance had (or got before the health
    check took it out) are listed, not counted.

    At the end, each instance's filesystem diff against its image shows what it
    wrote outside the disposable paths (/tmp, /var/log, caches...): state a
    daily termination would lose fails the rehearsal. Exits 1 when failed
    requests exceed the error budget or an instance keeps state.

    \b
    Examples:
      rpmkit rehearse examples/hello-world --from dist/hello-world-1.0.0-1.x86_64.rpm
      rpmkit rehearse . --from old.rpm --to new.rpm --chaos --json rehearsal.json
    """
    from rpmkit import config, engine, images, profiles, targets
    from rpmkit.check.plan import find_rpms
    from rpmkit.rehearse import balancer_image
    from rpmkit.rehearse import report as reports_text
    from rpmkit.rehearse import run as stage
    from rpmkit.report import document as report_doc

    reports = Reports("rehearse", json_path, junit_xml)
    progress = Progress(app_dir.resolve().name)
    with reports.on_failure(progress):
        loaded = config.load(app_dir)
        progress.name = loaded.app.name
        new = new or tuple(find_rpms(loaded, dist))
        for path in (*old, *new):
            targets.validate(path)
        progress.rpms = tuple(p.name for p in (*old, *new))
        progress.subject = f"{', '.join(p.name for p in old)} -> {', '.join(p.name for p in new)}"
        overrides = {
            "instances": instances,
            "requests_per_second": rate,
            "clients": clients,
            "steady_seconds": steady_seconds,
            "after_seconds": after_seconds,
            "error_budget": error_budget,
        }
        _note_unchecked(state, (*old, *new))
        progress.enter("setup")
        client = engine.connect()
        profile = select_profile(client, profile_name, loaded.app.profile, state.reporter)
        progress.profile = profile.name
        limit = profiles.boot_limit(profile, None if client.is_local else client.cgroup_version())
        if limit:
            raise ConfigError(f"profile {profile.name} cannot boot here: {limit}")
        runtime = images.ensure(client, profile, state.reporter, builder=False).runtime.tag
        lb_image, _ = balancer_image.ensure(client, state.reporter)
        progress.enter("rehearse")
        with targets.staged(old) as old_rpms, targets.staged(new) as new_rpms:
            plan = make_plan(loaded, old_rpms, new_rpms, seed, chaos, chaos_swap, overrides)
            rehearsal = stage.rehearse(client, profile, runtime, lb_image, plan, state.reporter)
        result = reports_text.build(rehearsal, plan.settings.error_budget)
        entry = report_doc.app_entry(
            result.report, plan.app, reports.began, time.monotonic(), rpms=progress.rpms,
            failed_stage=result.failed_stage,
        )  # fmt: skip
        entry["rehearsal"] = reports_text.rehearsal_dict(result)
        reports.echo(reports_text.render(result, verbose=state.verbosity > 0))
        doc = reports.write([entry])
    reports.summarize(doc)
    if not result.ok:
        raise CheckFailed(f"rehearsal failed at the {result.failed_stage} stage")


def make_plan(
    loaded: LoadedConfig,
    old: tuple[RpmFile, ...],
    new: tuple[RpmFile, ...],
    seed: int | None,
    chaos: bool,
    chaos_swap: bool,
    overrides: dict[str, Any],
) -> RehearsePlan:
    """The rehearsal an app's config and the command line ask for."""
    from rpmkit.rehearse import balancer
    from rpmkit.rehearse.run import RehearsePlan
    from rpmkit.verify.health import Probe

    app = loaded.app
    if app.kind is not None and not app.kind.serves_http:
        raise ConfigError(
            f"{app.name} is a {app.template}: it serves no HTTP, so there is nothing to put "
            "behind a load balancer"
        )
    changes = {k: v for k, v in overrides.items() if v is not None}
    settings = app.rehearse.model_copy(update=changes)
    hc, lb = app.health_check, app.health_check.load_balancer
    probe = Probe(
        hc.path, hc.port, hc.expected_status, hc.interval, hc.timeout,
        hc.healthy_threshold, hc.deadline,
    )  # fmt: skip
    health = balancer.local_health(
        hc.path, hc.port, hc.expected_status, lb.interval, lb.timeout,
        lb.healthy_threshold, lb.unhealthy_threshold, settings.check_interval,
    )  # fmt: skip
    return RehearsePlan(
        app=app.name,
        old=old,
        new=new,
        probe=probe,
        health=health,
        traffic_port=traffic_port(app),
        settings=settings,
        chaos=chaos,
        chaos_swap=chaos_swap,
        seed=secrets.randbelow(1_000_000) if seed is None else seed,
    )


def traffic_port(app: AppConfig) -> int:
    """Where the balancer sends requests: nginx's port for the templates that run it."""
    if app.kind is not None and app.kind.nginx:
        return app.nginx.port if app.nginx is not None else 80
    return app.health_check.port


def _note_unchecked(state: State, rpms: tuple[Path, ...]) -> None:
    from rpmkit import receipt

    for rpm in rpms:
        if not receipt.path_for(rpm).is_file():
            state.reporter.info(
                f"note: {rpm.name} has no receipt: `rpmkit check` has not passed it"
            )

"""`rpmkit run APP`: spec, build and check in one go; `rpmkit run --all [DIR]`: every app."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from rpmkit.commands.common import (
    BuildInputs,
    State,
    base_image_option,
    build_options,
    cache_option,
    echo_table,
    not_at_boot_option,
    pass_state,
    repo_options,
    select_profile,
    settle_option,
)
from rpmkit.commands.reporting import Progress, Reports, report_options
from rpmkit.errors import CheckFailed, ConfigError
from rpmkit.scratch import scratch


@click.command()
@build_options
@repo_options
@base_image_option
@click.option("--no-health", is_flag=True, help="Skip the HTTP health check.")
@report_options
@click.option("--keep", is_flag=True, help="Keep the instance and print how to enter it.")
@settle_option
@not_at_boot_option
@cache_option
@click.option(
    "--all",
    "all_apps",
    is_flag=True,
    help="Run every app found below APP (default: the current folder), side by side.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --all: how many apps run at once [default: the number of CPUs].",
)
@click.option(
    "--shard",
    metavar="I/N",
    callback=lambda ctx, param, value: _shard(value),
    help="With --all: check only shard I of N (from 1, like CI_NODE_INDEX); `rpmkit matrix` "
    "lists the shards.",
)
@pass_state
def run(
    state: State,
    app_dir: Path | None,
    profile_name: str | None,
    inputs: BuildInputs,
    base_image: str | None,
    no_health: bool,
    json_path: Path | None,
    junit_xml: Path | None,
    keep: bool,
    settle: float | None,
    not_at_boot: tuple[str, ...],
    no_cache: bool,
    all_apps: bool,
    jobs: int | None,
    shard: str | None,
    repo_files: tuple[Path, ...],
    network: str | None,
) -> None:
    """The main job: render APP's spec, build its RPM, then check it.

    Equivalent to `rpmkit build APP` followed by `rpmkit check APP`: the RPM is
    built in the profile's builder container, installed into a fresh runtime
    container as the bake would, booted with systemd and checked. On pass, a
    receipt bound to the RPM's sha256 is written next to it. Exits 1 when the
    build or a check fails.

    With --all, APP is a folder to search: every app below it (a folder with
    rpmkit.toml, or [tool.rpmkit] in pyproject.toml) is run as its own
    `rpmkit run`, up to -j at once, and one table sums them up: app, result,
    failed stage, time, RPM. --json and --junit-xml then cover every app.
    Exits 1 when any app fails.

    \b
    Examples:
      rpmkit run examples/hello-world
      rpmkit run . --profile offline --junit-xml report.xml
      rpmkit run --all examples/monorepo -j 2 --junit-xml report.xml
      rpmkit run --all . --shard "$CI_NODE_INDEX/$CI_NODE_TOTAL" --json shard.json
    """
    if shard is not None and not all_apps:
        raise ConfigError("--shard goes with --all")
    if all_apps:
        if base_image:
            raise ConfigError("--base-image is for one app's run: not with --all")
        if inputs.version is not None or inputs.release is not None or keep:
            raise ConfigError("--version, --release and --keep name one app: not with --all")
        passed = {
            "--dist": inputs.dist, "--wheelhouse": inputs.wheelhouse,
            "--index-url": inputs.index_url,
        }  # fmt: skip
        extra = [x for k, v in passed.items() if v is not None for x in (k, str(v))]
        extra += ["--no-health"] if no_health else []
        extra += ["--settle", str(settle)] if settle is not None else []
        extra += [x for unit in not_at_boot for x in ("--not-at-boot", unit)]
        extra += ["--no-cache"] if no_cache else []
        extra += [x for path in repo_files for x in ("--repo-file", str(path.resolve()))]
        extra += ["--network", network] if network else []
        extra += [
            x for name, value in inputs.defines.items() for x in ("--define", f"{name}={value}")
        ]
        reports = Reports("run --all", json_path, junit_xml)
        run_many(state, app_dir or Path("."), profile_name, extra, jobs, reports, shard)
        return
    if app_dir is None:
        raise ConfigError("give the app's directory (APP), or --all to run every app below one")
    if jobs is not None:
        raise ConfigError("-j/--jobs goes with --all")
    from rpmkit import config, engine, targets
    from rpmkit.build import spec, stage
    from rpmkit.check.plan import adjust, app_plan
    from rpmkit.checks import Check
    from rpmkit.commands.common import execute, with_repos

    reports = Reports("run", json_path, junit_xml)
    progress = Progress(app_dir.resolve().name)
    with reports.on_failure(progress):
        loaded = config.load(app_dir, inputs.overrides())
        app = loaded.app
        progress.name = app.name
        progress.subject = f"{app.name}-{app.version}-{app.release}"
        rendered = spec.render(loaded)
        progress.enter("setup")
        client = engine.connect()
        profile = select_profile(client, profile_name, app.profile, state.reporter, base_image)
        progress.profile = profile.name
        options = stage.BuildOptions(
            dist=inputs.dist, wheelhouse=inputs.wheelhouse, index_url=inputs.index_url,
            base_image=base_image, defines=inputs.defines, reuse=not no_cache,
        )  # fmt: skip
        progress.enter("build")
        rpm = stage.build(client, loaded, rendered, profile, state.reporter, options)
        accepted = rpm.lint.accepted if rpm.lint else ()
        built = Check(
            "build", f"{rpm.name} {rpm.version}-{rpm.release} built", True,
            "; ".join([rpm.arch]
                      + ([f"{len(accepted)} rpmlint finding(s) accepted"] if accepted else [])
                      + (["sources unchanged: the RPM of their last build"] if rpm.reused else [])),
            "\n".join(str(a) for a in accepted), id="build.rpm",
        ).timed(progress.since, time.monotonic())  # fmt: skip
        for path in (*rpm.paths, rpm.srpm, rpm.log):
            reports.echo(f"built: {path}")
        progress.rpms = tuple(p.name for p in rpm.paths)
        progress.subject = ", ".join(progress.rpms)
        with targets.staged(tuple(rpm.paths)) as rpms:
            plan = adjust(
                app_plan(loaded, rpms, health=not no_health),
                keep=keep,
                settle=settle,
                not_at_boot=not_at_boot,
            )
            plan = with_repos(plan, repo_files, network)
            execute(
                state, client, profile, plan, reports, progress, base_image,
                before=(built,), use_cache=not no_cache,
            )  # fmt: skip


def _shard(value: str | None) -> str | None:
    """`I/N` checked while parsing (exit 2 before anything runs), normalised."""
    if value is None:
        return None
    from rpmkit.apps import shards

    try:
        index, total = shards.parse(value)
    except ConfigError as exc:
        raise click.BadParameter(exc.message.removeprefix(f"--shard {value!r}: ")) from None
    return f"{index}/{total}"


# APP is optional with --all (the folder to search), required otherwise: checked above.
next(p for p in run.params if p.name == "app_dir").required = False


def run_many(
    state: State,
    root: Path,
    profile_name: str | None,
    options: list[str],
    jobs: int | None,
    reports: Reports,
    shard: str | None = None,
) -> None:
    """`rpmkit run` of every app below `root` (or of one shard of them), side by side, then
    one summary table."""
    from rpmkit import engine, images
    from rpmkit.apps import discover, shards
    from rpmkit.apps import run_all as runall

    where = shards.parse(shard) if shard is not None else None
    reports.shard = None if where is None else f"{where[0]}/{where[1]}"
    progress = Progress(root.resolve().name)
    with reports.on_failure(progress):
        apps = discover.find_apps(root, state.reporter)
        if where is not None:
            found = len(apps)
            apps = list(shards.pick(apps, *where).apps)
            names = ", ".join(a.name for a in apps) or "none"
            state.reporter.info(f"shard {reports.shard}: {len(apps)} of {found} apps ({names})")
            if not apps:
                doc = reports.write([])
                reports.summarize(doc)
                reports.echo(
                    f"PASS: shard {reports.shard} has no app ({found} apps, fewer than shards)"
                )
                return
        progress.enter("setup")
        client = engine.connect()
        # Each app's profile is chosen here, once, and its images made before the apps
        # start: parallel runs must not each build the same missing image.
        per_app: dict[str, list[str]] = {}
        chosen: dict[str | None, str] = {}
        for app in apps:
            configured = _configured_profile(app.path)
            if configured not in chosen:
                profile = select_profile(client, profile_name, configured, state.reporter)
                images.ensure(client, profile, state.reporter)
                chosen[configured] = profile.name
            per_app[app.name] = ["--profile", chosen[configured], *options]
        jobs = jobs or os.cpu_count() or 1
        names = ", ".join(a.name for a in apps)
        step = f"running {len(apps)} apps ({names}), {jobs} at a time"
        with scratch("all") as tmp, state.reporter.step(step):
            runs = runall.run_all(apps, per_app, jobs, Path(tmp), state.reporter)
        echo_table(runall.summary_rows(runs), runall.COLUMNS, err=reports.human_err)
        for line in runall.failure_details(runs):
            click.echo(line, err=True)
        doc = reports.write([run.entry for run in runs])
    reports.summarize(doc)
    failed = [run.app.name for run in runs if not run.ok]
    if failed:
        raise CheckFailed(f"{len(failed)} of {len(runs)} apps failed: {', '.join(failed)}")
    reports.echo(f"PASS: {len(runs)} apps")


def _configured_profile(app_dir: Path) -> str | None:
    from rpmkit import config

    try:
        return config.load(app_dir).app.profile
    except ConfigError:
        return None  # its own run reports the problem

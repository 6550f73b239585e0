"""Options and helpers shared by several commands."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rpmkit import images, profiles
from rpmkit.commands import params
from rpmkit.errors import CheckFailed, ConfigError
from rpmkit.progress import Reporter

if TYPE_CHECKING:
    from rpmkit.check.plan import CheckPlan
    from rpmkit.checks import Check
    from rpmkit.commands.reporting import Progress, Reports
    from rpmkit.engine import Engine
    from rpmkit.profiles import Profile
    from rpmkit.report.text import Report


@dataclass
class State:
    """Global options, shared with every command through click's context."""

    debug: bool = False
    verbosity: int = 0
    reporter: Reporter = field(default_factory=Reporter)


pass_state = click.make_pass_decorator(State, ensure=True)


def echo_table(rows: list[dict[str, Any]], columns: list[str], err: bool = False) -> None:
    """Print rows as an aligned plain-text table on stdout (stderr with `err`)."""
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip(), err=err)
    for row in rows:
        line = "  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns).rstrip()
        click.echo(line, err=err)


def profile_option(func: Any) -> Any:
    """`--profile NAME`: which target platform to build and check for."""
    return click.option(
        "--profile",
        "profile_name",
        metavar="NAME",
        callback=params.profile,
        help="Target platform: offline, al2023 or al2. Default: the app's config, else al2023 "
        "when its base image is present locally, else offline.",
    )(func)


def base_image_option(func: Any) -> Any:
    """`--base-image NAME`: build the profile's images on this local image instead."""
    return click.option(
        "--base-image",
        metavar="NAME",
        callback=params.image,
        help="Build the profile's images on this local image (e.g. a hardened one) instead of "
        "the profile's base; never pulled. Needs --profile (or the app's profile).",
    )(func)


def settle_option(func: Any) -> Any:
    """`--settle SECONDS`: watch the services after health first passed."""
    return click.option(
        "--settle",
        type=params.Seconds(0, 600),
        metavar="SECONDS",
        help="After health first passes, the services must stay up without restarts, and "
        "health keep passing, this long. The gate requires at least 5 (bake.min_settle): "
        "use it in the CI check that feeds the gate. Default: [check] settle, else 0.",
    )(func)


def not_at_boot_option(func: Any) -> Any:
    """`--not-at-boot UNIT`: a shipped unit nothing starts at boot, on purpose."""
    return click.option(
        "--not-at-boot",
        "not_at_boot",
        multiple=True,
        metavar="UNIT",
        callback=params.unit_names,
        help="A unit the RPM ships that nothing starts at boot on purpose (a bare name is a "
        "service). Repeatable; adds to [check] not_at_boot. Otherwise a unit nothing starts "
        "fails the check: it never runs on a new instance.",
    )(func)


def overrides(version: str | None, release: str | None) -> dict[str, str]:
    """--version and --release as config overrides; an empty one is kept, so the config's
    validation refuses it (exit 2) rather than it being ignored."""
    return {k: v for k, v in (("version", version), ("release", release)) if v is not None}


def repo_options(func: Any) -> Any:
    """`--repo-file FILE` and `--network NAME`: the repositories the install sees."""
    func = click.option(
        "--network",
        metavar="NAME",
        callback=params.network,
        help="Attach the instance to this engine network (where a repository is reachable).",
    )(func)
    return click.option(
        "--repo-file",
        "repo_files",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        metavar="FILE",
        help="A .repo file whose enabled repositories the instance sees during the install, "
        "as the bake machine's /etc/yum.repos.d (adds to [install]; the package manager then "
        "installs). Repeatable.",
    )(func)


def with_repos(plan: CheckPlan, repo_files: tuple[Path, ...], network: str | None) -> CheckPlan:
    """The plan with the repositories of `--repo-file`s added and `--network` set."""
    import dataclasses

    from rpmkit.install import repos

    added = tuple(r for path in repo_files for r in repos.from_file(path))
    return dataclasses.replace(
        plan, repos=repos.combine(plan.repos, added), network=network or plan.network
    )


def build_options(func: Any) -> Any:
    """APP, --profile and the options that decide what is built and from which wheels.

    The command gets `app_dir`, `profile_name` and `inputs` (a BuildInputs).
    """
    options: list[Callable[[Any], Any]] = [
        click.argument("app_dir", metavar="APP", type=click.Path(file_okay=False, path_type=Path)),
        profile_option,
        click.option(
            "--version",
            "version",
            metavar="V",
            help="Build this version, not the config's.",
        ),
        click.option(
            "--release",
            metavar="R",
            help="Build this release instead of the config's.",
        ),
        click.option(
            "--dist",
            type=click.Path(file_okay=False, path_type=Path),
            help="Write the RPM, SRPM, build log (and receipt) here. Default: APP/dist.",
        ),
        click.option(
            "--wheelhouse",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="Take the requirements' wheels from this directory; no index is contacted.",
        ),
        click.option(
            "--index-url",
            metavar="URL",
            callback=params.index_url,
            help="The package index pip downloads from (credentials: in the URL, or a netrc).",
        ),
        click.option(
            "--define",
            "defines",
            metavar="NAME=VALUE",
            multiple=True,
            callback=_defines,
            help="Define an rpm macro for rpmbuild (as the config's `defines`). Repeatable.",
        ),
    ]

    @functools.wraps(func)
    def collected(*args: Any, **kwargs: Any) -> Any:
        kwargs["inputs"] = BuildInputs(**{name: kwargs.pop(name) for name in BUILD_INPUTS})
        return func(*args, **kwargs)

    made: Any = collected
    for option in reversed(options):
        made = option(made)
    return made


BUILD_INPUTS = ("version", "release", "dist", "wheelhouse", "index_url", "defines")


@dataclass(frozen=True)
class BuildInputs:
    """What `build_options` collected, handed to the command as `inputs`."""

    version: str | None
    release: str | None
    dist: Path | None
    wheelhouse: Path | None
    index_url: str | None
    defines: dict[str, str]

    def overrides(self) -> dict[str, str]:
        """--version and --release as config overrides (see `overrides`)."""
        return overrides(self.version, self.release)


def select_profile(
    engine: Engine,
    explicit: str | None,
    configured: str | None,
    reporter: Reporter,
    base_image: str | None = None,
) -> profiles.Profile:
    """Choose the profile by the documented rule, saying so when it falls back."""
    if base_image and not (explicit or configured):
        # The image says nothing of its platform: the fallback would build the
        # offline profile's Debian steps on it.
        raise ConfigError(
            f"--base-image {base_image} needs --profile: which platform is it?",
            hint=f"add --profile al2023, al2 or offline (e.g. --profile al2023 --base-image "
            f"{base_image})",
        )
    name, note = profiles.choose(
        explicit, configured, lambda ref: images.image_id(engine, ref) is not None
    )
    if note:
        reporter.info(note)
    return profiles.get(name)


def cache_option(func: Any) -> Any:
    """`--no-cache`: check again even when an identical check of the same bytes passed."""
    return click.option(
        "--no-cache",
        is_flag=True,
        help="Check again even if this exact check of these exact bytes already passed "
        "(by default such a check answers `cached` from its receipt).",
    )(func)


def execute(
    state: State,
    engine: Engine,
    profile: Profile,
    plan: CheckPlan,
    reports: Reports,
    progress: Progress,
    base_image: str | None = None,
    before: tuple[Check, ...] = (),
    use_cache: bool = True,
) -> None:
    """Run the check (or answer from the cache), print it, receipts on pass, write the reports.

    `before` holds checks of earlier stages (the build of `rpmkit run`): they lead
    the report, and their stage times join the check's.
    """
    import dataclasses

    from rpmkit import images, receipt
    from rpmkit.check import cache
    from rpmkit.check.receipts import issue_receipts
    from rpmkit.check.run import check as run_check

    receipt.signing_key()  # set but empty: refused before anything runs
    for rpm in (*plan.rpms, *plan.upgrade_from):
        if rpm.nevra.arch not in ("noarch", profile.arch):
            raise ConfigError(
                f"{rpm.path}: built for {rpm.nevra.arch}; profile {profile.name} checks "
                f"{profile.arch} (and noarch) packages"
            )
    runtime = images.ensure(engine, profile, state.reporter, base_image, builder=False).runtime
    cache_key = cache.key(plan, profile, runtime)
    max_age = cache.MAX_AGE
    if plan.config_app and plan.bake_max_age:
        max_age = plan.bake_max_age
    cached = cache.lookup(plan, cache_key, max_age) if use_cache and not plan.keep else None
    if cached is not None:
        engine.reap()  # a cached answer still removes what killed runs left
    progress.enter("check")
    if cached is not None:
        # Its checks ran in another process: their clock means nothing here.
        checks = tuple(dataclasses.replace(c, started=None) for c in cached.checks)
        report = _with_before(dataclasses.replace(cached, checks=checks), before)
        _show(state, reports, plan, report)
        for rpm in plan.rpms:
            reports.echo(
                f"cached: {rpm.path.name} passed this exact check before "
                f"(receipt {receipt.path_for(rpm.path)}; --no-cache checks again)"
            )
        _finish(reports, plan, progress, report, cached=True)
        return
    outcome = run_check(engine, profile, runtime, plan, state.reporter)
    report = _with_before(outcome.report, before)
    _show(state, reports, plan, report)
    if outcome.kept is not None:
        from rpmkit import instances

        verdict = "PASS" if report.ok else f"FAIL at {report.failed_stage}"
        instances.record(outcome.kept, verdict)
        reports.echo(
            f"kept: {outcome.kept}   (enter: rpmkit shell --instance {outcome.kept}; "
            f"remove: rpmkit instances rm {outcome.kept})"
        )
    written: list[Path] = []
    refused: list[str] = []
    if outcome.report.ok:
        written, refused = issue_receipts(outcome, plan, profile, runtime, cache_key)
        if not refused:
            cache.store(cache_key, outcome.report)
    else:
        for rpm in plan.rpms:
            if receipt.discard(rpm.path):
                reports.echo(f"removed the earlier receipt of {rpm.path.name}: it no longer passes")
    for path in written:
        reports.echo(f"receipt: {path}")
    _finish(reports, plan, progress, report, refused=refused)


def _with_before(report: Report, before: tuple[Check, ...]) -> Report:
    """The report with earlier stages' checks (a build) first, their times among its own."""
    import dataclasses

    if not before:
        return report
    timings = {c.stage: c.seconds or 0.0 for c in before} | report.timings
    return dataclasses.replace(report, checks=before + report.checks, timings=timings)


def _show(state: State, reports: Reports, plan: CheckPlan, report: Report) -> None:
    """The human report, in a collapsible section on GitLab CI (folded when it passed)."""
    import os

    from rpmkit.report import annotate
    from rpmkit.report import text as reports_text

    opened, closed = annotate.section(
        f"rpmkit_{plan.app}", f"rpmkit {reports.command}: {plan.app}", report.ok, os.environ
    )
    for text in (opened, reports_text.render(report, verbose=state.verbosity > 0), closed):
        if text:
            reports.echo(text)


def _finish(
    reports: Reports,
    plan: CheckPlan,
    progress: Progress,
    report: Report,
    refused: list[str] | None = None,
    cached: bool = False,
) -> None:
    """Write the reports, print the summary line; CheckFailed when the check failed."""
    import time

    from rpmkit.report import document as report_doc

    error = "; ".join(refused or []) or None
    entry = report_doc.app_entry(
        report, plan.app, reports.began, time.monotonic(), rpms=progress.rpms, error=error,
        failed_stage="receipt" if error else None, cached=cached,
    )  # fmt: skip
    reports.summarize(reports.write([entry]))
    if not report.ok:
        raise CheckFailed(f"check failed at the {report.failed_stage} stage")
    if error:
        raise CheckFailed(error)


def _defines(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """`--define NAME=VALUE` pairs, validated as the config's `defines` are."""
    from pydantic import TypeAdapter, ValidationError

    from rpmkit.fields import MacroName, MacroValue

    checked: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        try:
            if not sep:
                raise ValueError("expected NAME=VALUE")
            checked[TypeAdapter(MacroName).validate_python(name)] = TypeAdapter(
                MacroValue
            ).validate_python(text)
        except (ValidationError, ValueError) as exc:
            reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise click.BadParameter(
                f"{value!r}: {reason.removeprefix('Value error, ')}", ctx, param
            ) from None
    return checked

"""Options and printing shared by the hand-off commands (gate, publish, bake, deploy, scaffold).

Commands never import each other: what several of them share lives here.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rpmkit.commands import params
from rpmkit.commands.common import State
from rpmkit.values import shown

if TYPE_CHECKING:
    from rpmkit.gate import Passed, Policy
    from rpmkit.targets import Target


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    from rpmkit.handoff.config import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def gate_options(func: Any) -> Any:
    """`--profile`, `--accept-profile` and `--max-age`: the gate's policy."""
    func = click.option(
        "--max-age",
        metavar="AGE",
        callback=_duration,
        help="Refuse receipts older than this (24h, 30m, 7d or seconds). "
        "Default: bake.max_receipt_age, else 24h.",
    )(func)
    func = click.option(
        "--accept-profile",
        metavar="NAME",
        callback=params.profile,
        help="Also accept a receipt from this profile (printed as a warning).",
    )(func)
    return click.option(
        "--profile",
        "profile_name",
        metavar="NAME",
        callback=params.profile,
        help="The bake's target profile a receipt must come from. "
        "Default: bake.target_profile, else al2023.",
    )(func)


def check_and_report(state: State, target: Target, policy: Policy) -> Passed:
    """Verify one target's receipt; print its warnings and a one-line verdict."""
    from rpmkit.gate import describe_age, verify

    passed = verify(target.rpm, target.given, policy)
    for warning in passed.warnings:
        state.reporter.warn(warning)
    click.echo(
        f"gate passed: {passed.rpm} (checked on {passed.profile} "
        f"{describe_age(passed.age)} ago; receipt {passed.receipt})"
    )
    return passed


def repo_option(func: click.decorators.FC) -> click.decorators.FC:
    """`--repo DIR|URL`: the repository, instead of the app config's publish.repo."""
    return click.option(
        "--repo",
        metavar="DIR|URL",
        callback=params.repository,
        help="A directory repository or an http(s) repository URL. Default: publish.repo.",
    )(func)


def publish_target(
    state: State,
    target: Target,
    repo_value: str | None,
    dry_run: bool,
    expect_sha256: str | None = None,
    skip_hint: str = "",
    verify_only: bool = False,
) -> None:
    """Publish one target's RPM, or print what publishing would do.

    `verify_only` (`bake --no-publish`): publish nothing, but the repository must
    already hold these very bytes under the RPM's name (`publish.verify`).
    """
    from rpmkit.errors import ConfigError, GateRefused
    from rpmkit.handoff import config as handoff_config
    from rpmkit.handoff import publish

    settings = target.app.app.publish if target.app else handoff_config.Publish()
    base = target.app.app_dir if target.app else None
    if repo_value is None and settings.repo is None:
        raise ConfigError(
            "no repository to publish to",
            hint=f"set publish.repo in the app config, or pass --repo DIR|URL{skip_hint}",
        )
    repo = (
        publish.repository(repo_value)
        if repo_value is not None
        else publish.repository(str(settings.repo), base)
    )
    item = publish.artifact(target.rpm)
    if expect_sha256 is not None and item.sha256 != expect_sha256:
        raise GateRefused(
            f"{target.rpm.name} changed while it was being handed off",
            hint=f"run `rpmkit check {shlex.quote(target.given)}`",
        )
    auth = publish.Auth("none")
    if repo.is_http:
        netrc_file = Path(settings.netrc).expanduser() if settings.netrc else None
        if netrc_file is not None and base is not None and not netrc_file.is_absolute():
            netrc_file = base / netrc_file
        auth = publish.resolve_auth(
            repo.location, settings.username_env, settings.password_env, netrc_file
        )
    if verify_only:
        if dry_run:
            click.echo(f"dry run: verify that {repo.location} holds {item.name} ({item.sha256})")
            return
        with state.reporter.step(f"verifying {item.name} in {repo.location}"):
            where = publish.verify(item, repo, auth, settings.timeout)
        click.echo(f"in the repository (same sha256): {where}")
        return
    if dry_run:
        for line in publish.plan(item, repo, auth):
            click.echo(f"dry run: {line}")
        return
    with state.reporter.step(f"publishing {item.name} to {repo.location}"):
        done = publish.publish(item, repo, auth, settings.timeout, state.reporter.detail)
    if done.uploaded:
        click.echo(f"published: {done.location}")
    else:
        click.echo(f"already published (same sha256): {done.location}")


def ami_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Validate an AMI id given on the command line or in the environment."""
    from rpmkit.handoff.config import AMI_ID

    if value is not None and not AMI_ID.fullmatch(value):
        raise click.BadParameter(f"{shown(value)} is not an AMI id (ami- and 8 or 17 hex digits)")
    return value


def streamer(state: State) -> Callable[[str], None]:
    """Where a hand-off tool's output goes: the terminal's stderr, unless -q."""
    if state.verbosity < 0:
        return lambda _line: None
    return lambda line: click.echo(line, err=True)


def env_option(func: Any) -> Any:
    """`--env ENV` (required): a [deploy.environments] name."""
    return click.option(
        "--env",
        "env",
        required=True,
        metavar="ENV",
        callback=params.environment,
        help="A [deploy.environments] name.",
    )(func)

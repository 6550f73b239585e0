"""`rpmkit gate APP | RPM...`: verify receipts only, for pipelines that bake elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rpmkit.commands import params
from rpmkit.commands.common import State, pass_state

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


def policy_for(
    target: Target, profile_name: str | None, accept_profile: str | None, max_age: float | None
) -> Policy:
    """The gate's policy for one target: options first, then its app config, then defaults."""
    from rpmkit import profiles
    from rpmkit.gate import Policy
    from rpmkit.handoff import config as handoff_config

    for name in (profile_name, accept_profile):
        if name is not None:
            profiles.get(name)  # ConfigError naming the known profiles
    settings = target.app.app.bake if target.app else handoff_config.Bake()
    return Policy(
        target_profile=profile_name or settings.target_profile,
        max_age=max_age or settings.max_receipt_age,
        accept_profile=accept_profile,
        target_arch=settings.target_arch or "",
        min_settle=settings.min_settle,
    )


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


@click.command()
@click.argument("targets", nargs=-1, required=True, type=click.Path(path_type=Path))
@gate_options
@click.option("--dist", type=click.Path(path_type=Path), help="Where the app's RPMs are.")
@pass_state
def gate(
    state: State,
    targets: tuple[Path, ...],
    profile_name: str | None,
    accept_profile: str | None,
    max_age: float | None,
    dist: Path | None,
) -> None:
    """Verify that RPMs passed `rpmkit check`, and nothing else.

    TARGETS is an app directory (its RPMs, found as `rpmkit check APP` finds
    them) or RPM files. Each RPM's receipt must exist, record a pass, carry the
    RPM's sha256 as it is now, come from the bake's target profile, be younger
    than the maximum age, be in a format this rpmkit reads, and match its own
    digest (an HMAC when RPMKIT_RECEIPT_KEY is set). `rpmkit bake` runs this
    gate itself; use `rpmkit gate` in pipelines that bake elsewhere. Exits 1
    with the reason and what to run when a receipt does not let an RPM through.

    \b
    Examples:
      rpmkit gate dist/myapp-1.2-1.x86_64.rpm
      rpmkit gate examples/hello-world --max-age 2h
      rpmkit gate dist/myapp-1.2-1.x86_64.rpm --accept-profile offline
    """
    from rpmkit.targets import each as resolve

    for target in resolve(targets, dist):
        check_and_report(state, target, policy_for(target, profile_name, accept_profile, max_age))

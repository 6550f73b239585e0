"""`rpmkit gate APP | RPM...`: verify receipts only, for pipelines that bake elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from rpmkit.commands.common import State, pass_state
from rpmkit.commands.handoff_shared import check_and_report, gate_options

if TYPE_CHECKING:
    pass


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
    from rpmkit.gate import policy_for
    from rpmkit.targets import each as resolve

    for target in resolve(targets, dist):
        check_and_report(state, target, policy_for(target, profile_name, accept_profile, max_age))

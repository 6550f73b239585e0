"""`[rehearse]`: how `rpmkit rehearse` rolls the app out locally.

The group size, the load sent through the balancer, how long each phase
lasts, how many failed requests are allowed, and which extra paths an
instance may write to because they are meant to be thrown away.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from rpmkit.fields import Model, Seconds, UrlPath, shown

# An absolute path; `*` matches within one path component, `**` any number of them.
_PATTERN = re.compile(r"^/[A-Za-z0-9._/+@=:,*-]*$")


def _disposable(value: str) -> str:
    if not _PATTERN.fullmatch(value):
        raise ValueError(
            f"{shown(value)} must be an absolute path of letters, digits and ._/+@=:,- "
            "(with * for one path component, ** for any number)"
        )
    parts = value.strip("/").split("/")
    if ".." in parts or "." in parts:
        raise ValueError(f"{shown(value)} must not contain '.' or '..' components")
    if any("**" in part and part != "**" for part in parts):
        raise ValueError(f"{shown(value)}: ** must be a whole path component")
    if value.strip("/*") == "":
        raise ValueError(f"{shown(value)} would make every path disposable")
    return value


DisposablePath = Annotated[str, Field(max_length=1024), AfterValidator(_disposable)]
ERROR_BUDGET_MAX = 1_000_000


class Rehearse(Model):
    """`rpmkit rehearse`: the local rollout's group size, load, phases and budgets."""

    instances: Annotated[int, Field(ge=1, le=8)] = 2
    """Instances per group, as the scaling group's size."""
    requests_per_second: Annotated[int, Field(ge=1, le=1000)] = 50
    """Load sent through the balancer."""
    clients: Annotated[int, Field(ge=1, le=64)] = 4
    """Concurrent clients sending it."""
    path: UrlPath = "/"
    """What the clients request."""
    steady_seconds: Seconds = 10.0
    """Load on the old group before the swap (when `--chaos` strikes)."""
    after_seconds: Seconds = 5.0
    """Load on the new group after the swap."""
    error_budget: Annotated[int, Field(ge=0, le=ERROR_BUDGET_MAX)] = 0
    """Failed requests allowed; those of an instance killed on purpose are not counted."""
    check_interval: Seconds = 0.2
    """The balancer's health check interval, locally: `[health_check.load_balancer]`'s
    interval and timeout are scaled by `check_interval / interval`, thresholds kept."""
    disposable: list[DisposablePath] = []
    """More paths an instance may write and lose; `*` matches within one path component,
    `**` any number of them."""

"""One line of a report: what was checked, whether it held, and the evidence."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    stage: str  # install, boot, verify, health, app-tests
    name: str
    ok: bool
    detail: str = ""
    evidence: str = ""
    warning: bool = False  # reported, but does not fail the check
    # What CI servers know the check by: "<stage>.<kind>[:<subject>]", the same across
    # versions, runs, pass and fail (no version, no path of a build).
    id: str = ""
    started: float | None = None  # time.monotonic() when it began; None when not timed
    seconds: float | None = None  # its own duration (not its stage's)

    def timed(self, began: float, finished: float) -> Check:
        """The check with its own start and duration (monotonic seconds)."""
        return dataclasses.replace(self, started=began, seconds=max(0.0, finished - began))

"""One line of a report: what was checked, whether it held, and the evidence."""

from __future__ import annotations

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

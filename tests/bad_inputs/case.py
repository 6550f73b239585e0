"""A case of the catalogue, and what makes its outcome clean."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rpmkit.values import control_character

Expect = Literal["refuse", "accept"]
HUGE = 100_000
LONG = 3_000  # under the command line's limit, over any single value's


@dataclass(frozen=True)
class Case:
    """One bad (or odd but valid) input and what must happen."""

    id: str
    argv: tuple[str, ...]  # {app}, {repo}, {outside} are replaced by the case's folders
    names: tuple[str, ...]  # the error line names one of these
    config: dict[str, Any] | None = None  # rpmkit.toml, when a config field is the input
    link: str | None = None  # make APP/<link> a symlink to a file outside the repository
    expect: Expect = "refuse"


@dataclass
class Outcome:
    """What one case did."""

    code: int
    out: str
    err: str
    left: list[str] = field(default_factory=list)

    def problems(self, case: Case) -> list[str]:
        """Why the case is not clean (empty when it is)."""
        lines = self.err.splitlines()
        if case.expect == "accept":
            return [] if self.code == 0 and not self.left else [f"exit {self.code}: {self.err}"]
        found = []
        if self.code not in (1, 2):
            found.append(f"exit {self.code}")
        if len(lines) != 1 or not lines[0].startswith("error: "):
            found.append(f"{len(lines)} stderr lines")
        if "Traceback" in self.err or "internal error" in self.err:
            found.append("traceback or internal error")
        if any(control_character(line) for line in lines):
            found.append("a control character in the message")
        if lines and len(lines[0]) > 1000:
            found.append(f"a {len(lines[0])}-character line")
        if not any(name in self.err for name in case.names):
            found.append(f"names none of {case.names}")
        if self.left:
            found.append(f"left behind: {self.left}")
        return [f"{p}; stderr: {self.err[:300]!r}" for p in found]

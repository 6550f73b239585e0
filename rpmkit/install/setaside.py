"""Config files the package manager set aside: `.rpmnew`, `.rpmsave`, `.rpmorig`.

rpm keeps a file it finds already there rather than overwrite it, and says so
on its own output (lib/fsm.c): `warning: PATH created as PATH.rpmnew` (the
package's version went beside it, `%config(noreplace)`) or `warning: PATH
saved as PATH.rpmsave|.rpmorig` (the file found was moved aside). The service
then runs with a config nobody meant it to.

On an upgrade these are expected when an admin edited a config: listed as
evidence. On a fresh install nothing can have edited anything: the package
collided with a file that was already there (another package's, or one its
own scriptlets wrote), so the install fails naming both files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rpmkit.checks import Check

_CREATED = re.compile(r"^warning: (/\S*) created as (/\S*\.rpmnew)\s*$", re.M)
_SAVED = re.compile(r"^warning: (/\S*) saved as (/\S*\.rpm(?:save|orig))\s*$", re.M)


@dataclass(frozen=True)
class SetAside:
    """One file rpm set aside: `path` is what is in place now, `aside` the other copy."""

    path: str
    aside: str  # PATH.rpmnew, PATH.rpmsave or PATH.rpmorig

    @property
    def kind(self) -> str:
        """rpmnew, rpmsave or rpmorig."""
        return self.aside.rsplit(".", 1)[1]

    def explain(self, fresh: bool) -> str:
        """What happened, in one line, naming both files."""
        if self.kind == "rpmnew":
            said = (
                f"{self.path} was already there, so the package's version went to "
                f"{self.aside} and the service reads the file that was there"
            )
        else:
            said = (
                f"{self.path} was already there and was moved to {self.aside}; "
                f"the package's version replaced it"
            )
        if fresh:
            said += " (on a fresh instance: the package collided with a file already there)"
        return said


def found(output: str) -> list[SetAside]:
    """Every file rpm's output says it set aside, in order, without repeats."""
    pairs = [(m.start(), m[1], m[2]) for m in _CREATED.finditer(output)]
    pairs += [(m.start(), m[1], m[2]) for m in _SAVED.finditer(output)]
    seen = dict.fromkeys(SetAside(path, aside) for _, path, aside in sorted(pairs))
    return list(seen)


def checks(output: str, fresh: bool) -> list[Check]:
    """The set-aside files as checks: failures on a fresh install, warnings on an upgrade."""
    stage = "install" if fresh else "upgrade"
    listed = found(output)
    if not listed:
        return []
    evidence = "\n".join(f"{s.path} -> {s.aside}" for s in listed)
    if fresh:
        return [
            Check(
                stage,
                f"no config file set aside: {s.path} and {s.aside}",
                False,
                s.explain(fresh=True),
                evidence,
                id=f"install.no-config-set-aside:{s.path}",
            )
            for s in listed
        ]
    return [
        Check(
            stage,
            f"config files set aside by the {stage}",
            False,
            "; ".join(s.explain(fresh=False) for s in listed),
            evidence,
            warning=True,
            id="upgrade.configs-set-aside",
        )
    ]

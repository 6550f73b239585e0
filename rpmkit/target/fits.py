"""Does the RPM fit its target? Its header judged against the target's facts, before install.

Two things the stand-in cannot show by installing, because its own system is
not the target's (the offline profile's glibc is Debian's 2.36, and Debian,
not rpm, owns its nginx.conf):

- a requirement the target cannot satisfy: a symbol version its libraries do
  not define (`libc.so.6(GLIBC_2.36)(64bit)` on glibc 2.34): dnf refuses the
  package there with "nothing provides";
- a path another target package owns (`/etc/nginx/nginx.conf` belongs to
  nginx-core): rpm refuses the transaction there with a file conflict.

Both are failures at install, naming the fact and its source. Files that only
a tool the AMI lacks would read (a cron job where no cron runs) are warnings:
a dependency of the package may bring the tool, which the header alone cannot
show.
"""

from __future__ import annotations

import re
import stat
import time

from rpmkit.checks import Check
from rpmkit.errors import InstallError
from rpmkit.profiles import Profile
from rpmkit.rpm import RpmFile
from rpmkit.target.facts import Facts, Package, load

FIT_ID = "install.fits-target"
# rpm's automatic library dependencies: soname(version node)(64bit).
_SONAME_REQUIREMENT = re.compile(
    r"^(?P<soname>[^()\s]+\.so[^()\s]*)\((?P<node>[^()]*)\)(\(64bit\))?$"
)


class Unfit(InstallError):
    """The RPM would not install on the target; `check` is the failed check to report."""

    def __init__(self, check: Check, details: str) -> None:
        super().__init__(check.detail, details=details)
        self.check = check


def unsatisfiable(rpm: RpmFile, facts: Facts) -> list[str]:
    """Each requirement of `rpm` the target's libraries cannot satisfy, with the fact's source."""
    found = []
    for req in rpm.requires:
        match = _SONAME_REQUIREMENT.match(req.name)
        if match is None or not match["node"]:
            continue
        soname, node = match["soname"], match["node"]
        fact = facts.symbols_for(soname, node)
        if fact is not None and not fact.defines(node):
            found.append(
                f"{rpm.nevra} requires {req.name}, but {facts.target}'s {fact.what} "
                f"defines {fact.prefix} versions up to {fact.prefix}{fact.max}"
                + (f" and {', '.join(fact.named)}" if fact.named else "")
                + f" (source: {fact.source})"
            )
    return found


def conflicts(rpm: RpmFile, facts: Facts) -> list[str]:
    """Each file of `rpm` that a target package owns: a file conflict on the target.

    Directories are shared between packages by rpm's rules; only other files conflict.
    """
    found = []
    for f in rpm.files:
        if stat.S_ISDIR(f.mode):
            continue
        owner = facts.owner(f.path)
        if owner is not None and owner.package != rpm.name:
            found.append(
                f"{rpm.nevra} ships {f.path}, which {facts.target}'s {owner.package} package "
                f"owns: rpm refuses the install there with a file conflict "
                f"(source: {owner.source})"
            )
    return found


def unread(rpm: RpmFile, facts: Facts, rpms: tuple[RpmFile, ...]) -> list[str]:
    """Files `rpm` ships for a tool the AMI lacks, when no checked RPM requires that tool."""
    required = {r.name for p in rpms for r in p.requires} | {p.name for p in rpms}
    found = []
    for package in facts.packages:
        if package.on_ami or _brought(package, required):
            continue
        for f in rpm.files:
            if not stat.S_ISDIR(f.mode) and f.path.startswith(package.reads):
                found.append(
                    f"{rpm.nevra} ships {f.path} for {package.name}, which {facts.target}'s "
                    f"AMI does not have, and does not require it: nothing reads it there "
                    f"unless another package brings {package.name} (source: {package.source})"
                )
    return found


def _brought(package: Package, required: set[str]) -> bool:
    return package.name in required or any(
        name.startswith(f"{package.name} ") or name.startswith(f"{package.name}(")
        for name in required
    )


def check(profile: Profile, rpms: tuple[RpmFile, ...]) -> list[Check]:
    """The checks of the RPMs against the profile's target facts (none when it has no facts).

    Raises Unfit (an InstallError: the check's install stage fails) naming
    every requirement the target cannot satisfy and every file a target
    package owns.
    """
    began = time.monotonic()
    facts = load(profile.name)
    if not (facts.symbols or facts.owned or facts.packages):
        return []
    on = f"{facts.target}" + (f" ({profile.name} stands in for it)" if facts.stand_in else "")
    name = f"requirements and files fit {on}"
    problems = [p for rpm in rpms for p in unsatisfiable(rpm, facts) + conflicts(rpm, facts)]
    if problems:
        kinds = []
        if any(" requires " in p for p in problems):
            kinds.append("a requirement the target cannot satisfy")
        if any(" ships " in p for p in problems):
            kinds.append("a file another target package owns")
        said = (
            problems[0]
            if len(problems) == 1
            else f"{' and '.join(kinds)} ({len(problems)} found; the first: {problems[0]})"
        )
        details = "\n".join(problems)
        said = f"would not install on {facts.target}: {said}"
        failed = Check("install", name, False, said, details, id=FIT_ID)
        raise Unfit(failed.timed(began, time.monotonic()), details)
    checks = [
        Check(
            "install", name, True,
            "no requirement beyond its libraries' symbol versions, no file its packages own",
            id=FIT_ID,
        )
    ]  # fmt: skip
    for rpm in rpms:
        for finding in unread(rpm, facts, rpms):
            checks.append(
                Check("install", f"{rpm.name}: what it ships has a reader on the AMI", False,
                      finding, warning=True, id=f"install.files-have-readers:{rpm.name}")
            )  # fmt: skip
    return [c.timed(began, time.monotonic()) for c in checks]

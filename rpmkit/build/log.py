"""Reading rpmbuild's output: the cause of a failure in one line, and the evidence around it.

rpmbuild reports with lines starting `error:` (rpm's rpmlog, RPMLOG_ERR),
some followed by indented lines that belong to them (the missing build
dependencies, the unpackaged files), and repeats them all under `RPM build
errors:` at the end. A failed section (`%install`) reports only "Bad exit
status"; its cause is the output of the command that failed, just above, in
the shell trace (`sh -x`: commands start with `+ `).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EVIDENCE_LIMIT = 200  # lines; more are counted, never cut silently
CONTEXT_BEFORE = 12
# The one-line cause stays short enough to read (and for the CLI's line limit); the
# evidence below it lists everything.
CAUSE_BUDGET = 160
TAIL = 25
_ERROR = re.compile(r"^error: (?P<text>.*)$")
_BAD_EXIT = re.compile(r"^Bad exit status from \S+ \((?P<section>%\w+)\)")
# rpmspec's summary of the error it just printed.
_ECHO = re.compile(r"^error: query of specfile \S+ failed, can't parse$")
_LINE_NO = re.compile(r"^line \d+: ")
_SPEC_PATH = re.compile(r"^\S+\.spec: ")
_NEEDED = re.compile(r"^\s+(?P<dep>\S.*?) is needed by \S+$")
# rpm's macro expansion trace after "Too many levels of recursion": ` 12<    (%name)`.
_TRACE = re.compile(r"^\s*-?\d+[<>=]")
_BUILDROOT = re.compile(r"/\S*?/BUILDROOT/[^/\s]+")
# sh names the section's script and line before a command's own error.
_SCRIPT = re.compile(r"^/var/tmp/rpm-tmp\.\w+: (?:line )?\d+: ")


@dataclass(frozen=True)
class Failure:
    """What went wrong: the section (if one failed), the cause in one line, the evidence."""

    cause: str
    evidence: str
    section: str | None = None


def diagnose(output: str) -> Failure:
    """The cause of an rpmbuild failure from its combined output."""
    lines = output.rstrip("\n").splitlines()
    end = next((i for i, line in enumerate(lines) if line.strip() == "RPM build errors:"), None)
    body = lines if end is None else lines[:end]
    errors = [i for i, line in enumerate(body) if _ERROR.match(line) and not _ECHO.match(line)]
    if not errors and end is not None:
        # rpm repeats every error, indented, under "RPM build errors:": when the first
        # report is missing from the output above, use those.
        summary = [line for line in lines[end + 1 :] if line.startswith("    ")]
        body = body + [f"error: {line.strip()}" for line in summary]
        errors = [i for i, line in enumerate(body) if _ERROR.match(line)]
    if not errors:
        tail = lines[-TAIL:]
        hidden = len(lines) - len(tail)
        shown = ([f"... {hidden} earlier line(s): see the log"] if hidden else []) + tail
        return Failure("no error line in its output", "\n".join(shown))
    first = errors[0]
    texts = {i: _SPEC_PATH.sub("", _ERROR.match(body[i])["text"]) for i in errors}  # type: ignore[index]
    # rpm reports some errors twice, once with the spec's line number: one error, that line.
    text = texts[first]
    twins = [texts[i] for i in errors if _LINE_NO.sub("", texts[i]) == _LINE_NO.sub("", text)]
    text = next((t for t in twins if _LINE_NO.match(t)), text)
    following = _continuation(body, first)
    needed = [m["dep"] for m in map(_NEEDED.match, following) if m]
    bad_exit = _BAD_EXIT.match(text)
    section = bad_exit["section"] if bad_exit else None
    if (
        section is None
        and "Processing files:" in "\n".join(body[:first]).rsplit("Executing(", 1)[-1]
    ):
        section = "%files"
    if needed:
        cause = f"{len(needed)} build dependencies missing: {listed(needed)}"
    elif bad_exit:
        cause = _section_cause(body, first)
    else:
        items = [line.strip() for line in following if not _TRACE.match(line)]
        cause = text.rstrip(":") + (f" ({len(items)}): {listed(items)}" if items else "")
    others = len({_LINE_NO.sub("", t) for t in texts.values()}) - 1
    if others and not needed:
        cause += f" (and {others} more error line(s))"
    return Failure(_unroot(cause), evidence(body, errors), section)


def listed(items: list[str], budget: int = CAUSE_BUDGET) -> str:
    """`a, b, c`; past `budget` characters, those that fit and how many more."""
    shown: list[str] = []
    for i, item in enumerate(items):
        if shown and len(", ".join([*shown, item])) > budget:
            return f"{', '.join(shown)} and {len(items) - i} more (all below)"
        shown.append(item)
    return ", ".join(shown)


def _section_cause(body: list[str], error: int) -> str:
    """The failing command's last words: the last output line above the error, else the command."""
    start = max(
        (i for i in range(error) if body[i].startswith("Executing(%")), default=0
    )  # the section's first line
    for line in reversed(body[start + 1 : error]):
        if not line.strip():
            continue
        if line.startswith("+ "):
            return f"`{line[2:].strip()}` failed"
        return _SCRIPT.sub("", line.strip())
    return _ERROR.match(body[error])["text"]  # type: ignore[index]


def _continuation(lines: list[str], index: int) -> list[str]:
    """The indented lines that belong to the `error:` line at `index`."""
    out = []
    for line in lines[index + 1 :]:
        if not line[:1].isspace() or not line.strip():
            break
        out.append(line)
    return out


def evidence(body: list[str], errors: list[int]) -> str:
    """Each error line with the lines above it and its own continuation, gaps marked."""
    keep: set[int] = set()
    for index in errors:
        keep.update(range(max(0, index - CONTEXT_BEFORE), index + 1))
        keep.update(range(index + 1, index + 1 + len(_continuation(body, index))))
    shown: list[str] = []
    traced = 0
    last = -1
    for i in sorted(keep):
        if _TRACE.match(body[i]) and i > errors[0]:
            traced += 1
            continue
        if last >= 0 and i != last + 1:
            shown.append("...")
        shown.append(body[i])
        last = i
    if traced:
        shown.append(f"({traced} lines of rpm's macro expansion trace: see the log)")
    return _counted(shown[:EVIDENCE_LIMIT], len(shown) - EVIDENCE_LIMIT)


def _counted(lines: list[str], hidden: int) -> str:
    if hidden > 0:
        lines = [*lines, f"... {hidden} more line(s): see the log"]
    return "\n".join(lines)


def _unroot(text: str) -> str:
    """Paths inside rpmbuild's buildroot as the package will have them."""
    return _BUILDROOT.sub("", text)

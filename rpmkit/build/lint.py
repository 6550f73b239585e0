"""rpmlint on the spec and the built RPMs: errors fail the build, warnings are reported.

A finding is accepted only by a rule naming its check, a pattern matching the
file it names and a reason (`rpmkit.build.lint_policy`: rpmkit's rules for the
vendored venv, what the config declares, the app's `[rpmlint] accept`).
Accepted findings are printed and recorded in the build log, never hidden.
rpmkit's layout (`/opt/<name>`, the venv's interpreter) is passed to rpmlint
as its own configuration (LAYOUT_FILTERS).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rpmkit.build.lint_policy import Rule
from rpmkit.errors import BuildError

# `hello.noarch: W: check detail`, `hello.spec:12: E: check detail`, `(none): E: ...`
_LINE = re.compile(r"^(?P<where>\S+?): (?P<level>[EWI]): (?P<check>[^\s:]+)(?: (?P<detail>.*))?$")
# 0: no errors; 64: errors found; 66: badness over the threshold. Anything else: it crashed.
_EXIT_RAN = (0, 64, 66)

# rpmkit's own layout, judged the same on every profile. rpmlint's defaults are
# written for a distribution's packages; an app RPM is add-on software, which
# FHS 3.0 (3.13) puts in /opt/<package>. Each filter accepts only that: the
# package's own directory and its venv's scripts, nothing in another's.
LAYOUT_FILTERS = (
    # E: rpmlint forbids /opt outright; a package may own /opt/<its name>/.
    r"^(?P<pkg>\S+)\.[^.\s]+: E: dir-or-file-in-opt /opt/(?P=pkg)(/.*)?$",
    # E: rpmlint accepts only system interpreters; a venv's scripts must run its own Python.
    r"^(?P<pkg>\S+)\.[^.\s]+: E: wrong-script-interpreter /opt/(?P=pkg)/venv/bin/\S+ "
    r"/opt/(?P=pkg)/venv/bin/python[0-9.]*( .*)?$",
    # W: Source0 and Source1 are made by rpmkit from the app directory: they have no URL.
    r"^(?P<pkg>\S+)\.spec: W: invalid-url Source[01]: (?P=pkg)-\S+(\.tar\.gz|-wheels\.tar)$",
    # E: Fedora's configuration (Amazon Linux 2023's) rejects every SysV init script,
    # a distribution's rule for its own packages; an app chose them (init = "sysv").
    r"^(?P<pkg>\S+)\.[^.\s]+: E: deprecated-init-script [A-Za-z0-9_-]+$",
    # E: rpmlint's I18NCheck takes a package named `<x>-<ISO 639 code>` (`shop-app`:
    # "app" is Apatani's code, `-api`, `-web` alike) for a translation subpackage that
    # must require `locales-<code>`; an application's name is not a language.
    r"^\S+-(?P<lang>[A-Za-z_@]+)\.[^.\s]+: E: no-dependency-on locales-(?P=lang)$",
)
# The same as an rpmlint configuration file, given to rpmlint with --config.
POLICY = (
    "# rpmkit's layout for application RPMs: see LAYOUT_FILTERS in rpmkit/lint.py.\n"
    "Filters = [\n" + "".join(f"    '{f}',\n" for f in LAYOUT_FILTERS) + "]\n"
)
MAX_SHOWN = 20
MAX_WIDTH = 200

Execute = Callable[[list[str]], tuple[int, str]]  # argv -> (exit code, combined output)


@dataclass(frozen=True)
class Message:
    """One finding: where (package or `file.spec:line`), level E/W/I, check name, detail."""

    where: str
    level: str
    check: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.check}" + (
            f" {self.detail}" if self.detail else ""
        )


def command(spec: str, rpms: Sequence[str], config: str | None = None) -> list[str]:
    """The rpmlint argument list for a spec and its built RPMs (paths inside the builder)."""
    return ["rpmlint", *(["--config", config] if config else []), spec, *rpms]


def parse(output: str) -> list[Message]:
    """The findings in rpmlint's output; summary and explanation lines are skipped."""
    found = []
    for line in output.splitlines():
        match = _LINE.match(line.strip())
        if match:
            found.append(
                Message(match["where"], match["level"], match["check"], match["detail"] or "")
            )
    return found


@dataclass(frozen=True)
class Accepted:
    """A finding and the rule that accepted it."""

    message: Message
    rule: Rule

    def __str__(self) -> str:
        return f"{self.message}  [accepted ({self.rule.origin}): {self.rule.reason}]"


@dataclass(frozen=True)
class LintResult:
    """rpmlint's findings: the errors and warnings left, and those the rules accepted."""

    errors: tuple[Message, ...]
    warnings: tuple[Message, ...]
    accepted: tuple[Accepted, ...]
    output: str


def file_of(message: Message) -> tuple[str, str]:
    """The file a finding names (the first word of its detail, when absolute) and the rest."""
    first, _, rest = message.detail.partition(" ")
    return (first, rest) if first.startswith("/") else ("", message.detail)


def evaluate(output: str, rules: Sequence[Rule]) -> LintResult:
    """Sort rpmlint's findings: the errors and warnings left, and the accepted ones.

    A finding is accepted by the first rule whose check is its check and whose
    path pattern matches the file it names; one naming no file is never accepted.
    """
    errors: list[Message] = []
    warnings: list[Message] = []
    accepted: list[Accepted] = []
    for message in parse(output):
        if message.level not in ("E", "W"):
            continue
        path, rest = file_of(message)
        rule = next((r for r in rules if r.matches(message.check, path, rest)), None)
        if rule is not None:
            accepted.append(Accepted(message, rule))
        elif message.level == "E":
            errors.append(message)
        else:
            warnings.append(message)
    return LintResult(tuple(errors), tuple(warnings), tuple(accepted), output)


def run(
    execute: Execute,
    spec: str,
    rpms: Sequence[str],
    rules: Sequence[Rule],
    config: str | None = None,
) -> LintResult:
    """Run rpmlint through `execute` (inside the builder) and evaluate its output."""
    code, output = execute(command(spec, rpms, config))
    if code not in _EXIT_RAN:
        raise BuildError(
            f"rpmlint did not run (exit {code})",
            hint="the builder image's rpmlint is broken; rebuild it with "
            "`rpmkit images build --force`",
            details="\n".join(output.rstrip().splitlines()[-15:]),
        )
    return evaluate(output, rules)


def check(result: LintResult, package: str) -> None:
    """Raise BuildError naming rpmlint's first error and listing them all, if it found any."""
    if result.errors:
        first = result.errors[0]
        path, _ = file_of(first)
        where = f" on {path}" if path else ""
        raise BuildError(
            f"rpmlint found {len(result.errors)} error(s) in {package}, first {first.check}{where}",
            hint="fix them in the app, or accept one that is right there with [rpmlint] accept "
            "(check, path, reason)",
            details=summary(result.errors),
        )


def accepted_summary(accepted: Sequence[Accepted]) -> list[str]:
    """One line per rule that accepted findings: how many, the first, the rule's reason."""
    groups: dict[Rule, list[Accepted]] = {}
    for item in accepted:
        groups.setdefault(item.rule, []).append(item)
    lines = []
    for rule, items in groups.items():
        first = items[0].message
        more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
        lines.append(f"{first.level}: {first.check} {file_of(first)[0]}{more}: {rule.reason} "
                     f"(accepted by {rule.origin})")  # fmt: skip
    return lines


def record(accepted: Sequence[Accepted]) -> str:
    """The build log's section listing every accepted finding with its rule."""
    if not accepted:
        return "# rpmlint: no finding accepted\n"
    lines = [f"# rpmlint: {len(accepted)} finding(s) accepted, each with its rule"]
    lines += [str(item) for item in accepted]
    return "\n".join(lines) + "\n"


def summary(messages: Sequence[Message], limit: int = MAX_SHOWN) -> str:
    """One line per check: its first finding and how many more it has; at most `limit` lines."""
    first: dict[str, Message] = {}
    counts = Counter(m.check for m in messages)
    for message in messages:
        first.setdefault(message.check, message)
    lines = []
    for check, message in list(first.items())[:limit]:
        text = str(message)
        if len(text) > MAX_WIDTH:
            text = text[: MAX_WIDTH - 3] + "..."
        more = counts[check] - 1
        lines.append(text + (f"  (and {more} more {check})" if more else ""))
    hidden = len(first) - limit
    if hidden > 0:
        lines.append(f"... and {hidden} more check(s); the build log has every line")
    return "\n".join(lines)

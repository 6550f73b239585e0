"""rpmlint on the spec and the built RPMs: errors fail the build, warnings are reported.

An app accepts warnings with `rpmlint.filters` in its config. A filter that
looks like a check name (`no-manual-page-for-binary`) matches that check
exactly; anything else is a regular expression searched in the whole line
(`hello.noarch: W: check-name detail`). Filters never apply to errors: an
error is a packaging mistake to fix in the spec, not to hide.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rpmkit.errors import BuildError, ConfigError

# `hello.noarch: W: check detail`, `hello.spec:12: E: check detail`, `(none): E: ...`
_LINE = re.compile(r"^(?P<where>\S+?): (?P<level>[EWI]): (?P<check>[^\s:]+)(?: (?P<detail>.*))?$")
_CHECK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
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


@dataclass(frozen=True)
class LintResult:
    """rpmlint's findings, with the warnings the app's filters accepted set apart."""

    errors: tuple[Message, ...]
    warnings: tuple[Message, ...]
    filtered: tuple[Message, ...]
    output: str


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


def compile_filters(filters: Sequence[str]) -> list[Callable[[Message], bool]]:
    """Turn `rpmlint.filters` into predicates; a bad regular expression is a ConfigError."""
    predicates = []
    for i, text in enumerate(filters):
        if _CHECK_NAME.match(text):
            predicates.append(_check_is(text))
            continue
        try:
            predicates.append(_line_matches(re.compile(text)))
        except re.error as exc:
            raise ConfigError(
                f"rpmlint.filters[{i}]: {text!r} is not a valid regular expression ({exc})"
            ) from None
    return predicates


def _check_is(name: str) -> Callable[[Message], bool]:
    return lambda message: message.check == name


def _line_matches(pattern: re.Pattern[str]) -> Callable[[Message], bool]:
    return lambda message: pattern.search(str(message)) is not None


def evaluate(output: str, filters: Sequence[str]) -> LintResult:
    """Sort rpmlint's findings: every error, the unfiltered warnings, the filtered ones."""
    accept = compile_filters(filters)
    messages = parse(output)
    errors = tuple(m for m in messages if m.level == "E")
    warnings = [m for m in messages if m.level == "W"]
    filtered = tuple(m for m in warnings if any(p(m) for p in accept))
    kept = tuple(m for m in warnings if m not in filtered)
    return LintResult(errors, kept, filtered, output)


def run(
    execute: Execute,
    spec: str,
    rpms: Sequence[str],
    filters: Sequence[str],
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
    return evaluate(output, filters)


def check(result: LintResult, package: str) -> None:
    """Raise BuildError listing rpmlint's errors, if it found any."""
    if result.errors:
        raise BuildError(
            f"rpmlint found {len(result.errors)} error(s) in {package}",
            hint="fix them in the spec (`rpmlint -e CHECK` explains one); errors cannot be "
            "filtered, only warnings (rpmlint.filters)",
            details=summary(result.errors),
        )


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

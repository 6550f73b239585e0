"""The bad-input catalogue, generated from the code.

Every option and argument of every command (walked from the click commands in
`rpmkit.cli`) and every field of the app config (walked from the pydantic
models) is crossed with the kinds of bad value that apply to its type: wrong
type, out of range, path escape, symlink escape, NUL, trailing newline,
trailing backslash, `%` and `%(...)`, non-ASCII, huge. A handful of values
that look odd but are valid (non-ASCII in a summary) are generated too, and
must be accepted.

A case is clean when rpmkit exits 1 or 2 with exactly one line on stderr,
`error: ...`, naming the option or field, holding no control character, no
traceback and no internal error; and when nothing is left behind (no file
outside the case's own folder, no new file inside it, no engine contacted:
every case must stop before Docker). `run_case` runs one in-process through
`rpmkit.cli.main`, the console entry point.
"""

from __future__ import annotations

from tests.bad_inputs.case import Case, Outcome
from tests.bad_inputs.config import config_cases
from tests.bad_inputs.options import commands, kinds_for, option_cases
from tests.bad_inputs.run import ReachedTheEngine, run_case, workspace

__all__ = [
    "Case",
    "Outcome",
    "ReachedTheEngine",
    "all_cases",
    "commands",
    "config_cases",
    "kinds_for",
    "option_cases",
    "run_case",
    "workspace",
]


def all_cases() -> list[Case]:
    """The whole catalogue."""
    return option_cases() + config_cases()

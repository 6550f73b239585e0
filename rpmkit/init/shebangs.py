"""App files whose `#!` line rpmlint calls an error, and what `rpmkit init` does about each.

rpmlint fails a package on a shipped file that starts with `#!` but is not
executable (`non-executable-script`), and on an executable one whose
interpreter is `/usr/bin/env ...` (`env-script-interpreter`). In an app's
folder these are usually harmless: a module run as `venv/bin/python FILE`
(Django's `manage.py`), or a script that is never executed. Those get an
`[[rpmlint.accept]]` rule with the reason written out, so the build shows
them. One that would run the system's Python through `/usr/bin/env python`
when executed (a non-`.py` executable) is a problem: the server's Python has
none of the venv's packages.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from rpmkit.build import tarball
from rpmkit.errors import RpmkitError

NON_EXECUTABLE = "non-executable-script"
_UNSAFE = re.compile(r"[^A-Za-z0-9._/+@=:,~-]")
ENV_INTERPRETER = "env-script-interpreter"


@dataclass(frozen=True)
class Accept:
    """One `[[rpmlint.accept]]` entry: the check, the file (as installed) and why."""

    check: str
    path: str
    reason: str


def findings(app_dir: Path, name: str, exclude: tuple[str, ...]) -> tuple[list[Accept], list[str]]:
    """(accept rules to write, problems that make the build fail) for the app's shipped files."""
    try:
        entries = tarball.listing(app_dir, exclude, (), [app_dir / "dist"]).entries
    except RpmkitError:
        return [], []  # the build says what is wrong with the folder
    accepts: list[Accept] = []
    problems: list[str] = []
    venv_python = f"/opt/{name}/venv/bin/python"
    for entry in entries:
        path = app_dir / entry
        line = _shebang(path)
        if line is None:
            continue
        # Characters a path pattern cannot hold match as `?` (any one character).
        installed = _UNSAFE.sub("?", f"/opt/{name}/app/{entry}")
        executable = os.stat(path).st_mode & 0o111 != 0
        interpreter = line[2:].strip()
        if not executable:
            accepts.append(
                Accept(
                    NON_EXECUTABLE,
                    installed,
                    f"{entry} starts with `{line}` but ships 0644: "
                    + (
                        f"it is run as `{venv_python} {entry}` or imported, never executed"
                        if entry.suffix == ".py"
                        else "nothing executes it"
                    ),
                )
            )
        elif interpreter.startswith("/usr/bin/env"):
            runs_python = "python" in interpreter
            if runs_python and entry.suffix != ".py":
                problems.append(
                    f"{entry}: `{line}` would run the system's Python, which has none of the "
                    f"venv's packages, and rpmlint fails the build on it "
                    f"({ENV_INTERPRETER}): start it with `#!{venv_python}3`, or exclude it"
                )
                continue
            reason = (
                f"{entry} is run as `{venv_python} {entry}`, not through its `{line}` line"
                if runs_python
                else f"`{line}` finds the system's {interpreter.split()[-1]} on PATH"
            )
            accepts.append(Accept(ENV_INTERPRETER, installed, reason))
    return accepts, problems


def _shebang(path: Path) -> str | None:
    if path.is_symlink() or not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            head = fh.readline(200)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    return head.decode("utf-8", "replace").strip()

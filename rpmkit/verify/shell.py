"""Commands on the instance, testinfra-style: each argument quoted, never interpolated."""

from __future__ import annotations

import shlex

from rpmkit.engine import Result
from rpmkit.install.stage import Instance


class Shell:
    """Commands on the instance: `run("rpm -q %s", name)` quotes each argument."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance

    def run(self, command: str, *args: str) -> Result:
        """Run `command % quoted(args)` with /bin/sh inside the instance."""
        return self.instance.sh(command % tuple(shlex.quote(a) for a in args))

"""Progress output: a spinner with elapsed time on a terminal, timestamped lines elsewhere."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class Reporter:
    """Prints what rpmkit is doing to stderr; results go to stdout from the CLI."""

    def __init__(self, verbosity: int = 0, stream: TextIO | None = None) -> None:
        self.verbosity = verbosity
        self.stream = stream or sys.stderr
        self.fancy = (
            self.stream.isatty() and not os.environ.get("NO_COLOR") and not os.environ.get("CI")
        )
        self._console: Any = None
        self._status: Any = None
        self._status_text = ""

    def info(self, message: str) -> None:
        """A line the user wants by default (suppressed by -q)."""
        if self.verbosity >= 0:
            self._line(message)

    def detail(self, message: str) -> None:
        """A line shown only with -v (build logs, commands)."""
        if self.verbosity >= 1:
            if self._status is not None:
                self._status.update(self._status_text + f" [dim]{_escape(message[-80:])}[/]")
            else:
                self._line("  " + message)

    def warn(self, message: str) -> None:
        """A warning, shown even with -q."""
        self._line(f"warning: {message}")

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Show `label` while the block runs, then how long it took."""
        start = time.monotonic()
        if self.fancy and self.verbosity >= 0:
            console = self._get_console()
            self._status_text = label
            with console.status(label) as status:
                self._status = status
                try:
                    yield
                finally:
                    self._status = None
            console.print(f"[green]✓[/] {_escape(label)} ({time.monotonic() - start:.1f}s)")
            return
        self.info(f"{label} ...")
        yield
        self.info(f"{label}: done in {time.monotonic() - start:.1f}s")

    def _line(self, message: str) -> None:
        if self.fancy:
            self._get_console().print(_escape(message), highlight=False)
        else:
            stamp = time.strftime("%H:%M:%S")
            print(f"[{stamp}] {message}", file=self.stream, flush=True)

    def _get_console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stream)
        return self._console


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)

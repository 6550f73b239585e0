"""Progress output on stderr: a live line per step with its elapsed time on a terminal,
timestamped lines elsewhere; every line says how long the command has been running.

A step ends with "done" only when its block finished; one that raised ends
with "failed" (or "interrupted" on Ctrl-C), and the error follows.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rpmkit.redact import redact


class Reporter:
    """Prints what rpmkit is doing to stderr; results go to stdout from the CLI."""

    def __init__(self, verbosity: int = 0, stream: TextIO | None = None) -> None:
        self.verbosity = verbosity
        self.stream = stream or sys.stderr
        self.fancy = (
            self.stream.isatty() and not os.environ.get("NO_COLOR") and not os.environ.get("CI")
        )
        self.began = time.monotonic()
        self._console: Any = None
        self._live: Any = None  # the rich Progress showing the running steps
        self._labels: dict[Any, str] = {}  # its tasks, oldest first
        self._lock = threading.Lock()

    def info(self, message: str) -> None:
        """A line the user wants by default (suppressed by -q)."""
        if self.verbosity >= 0:
            self._line(message)

    def detail(self, message: str) -> None:
        """A line shown only with -v (build logs, commands): on a terminal, in the step's line."""
        if self.verbosity < 1:
            return
        message = redact(message)
        with self._lock:
            if self._live is not None and self._labels:
                task, label = next(reversed(self._labels.items()))
                tail = _escape(message[-80:])
                self._live.update(task, description=f"{_escape(label)} [dim]{tail}[/]")
                return
        self._line("  " + message)

    def warn(self, message: str) -> None:
        """A warning, shown even with -q."""
        self._line(f"warning: {message}")

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Show `label` while the block runs, then how long it took, or that it failed."""
        start = time.monotonic()
        task = self._start(label)
        try:
            yield
        except BaseException as exc:
            outcome = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            self._end(task, label, f"{outcome} after {time.monotonic() - start:.1f}s", ok=False)
            raise
        self._end(task, label, f"done in {time.monotonic() - start:.1f}s", ok=True)

    def _start(self, label: str) -> Any:
        if self.verbosity < 0:
            return None
        if not self.fancy:
            self._line(f"{label} ...")
            return None
        from rich.progress import Progress, SpinnerColumn, TextColumn

        with self._lock:
            if self._live is None:
                self._live = Progress(
                    SpinnerColumn(),
                    TextColumn("{task.description}"),
                    _Elapsed(),
                    console=self._get_console(),
                    transient=True,
                )
                self._live.start()
            task = self._live.add_task(_escape(label), total=None)
            self._labels[task] = label
            self._live.refresh()  # shown now, not at the next tick
            return task

    def _end(self, task: Any, label: str, outcome: str, ok: bool) -> None:
        if self.verbosity < 0:
            return
        if not self.fancy:
            self._line(f"{label}: {outcome}")
            return
        with self._lock:
            if self._live is not None and task is not None:
                self._live.remove_task(task)
                self._labels.pop(task, None)
                if not self._labels:
                    self._live.stop()
                    self._live = None
        mark = "[green]✓[/]" if ok else "[red]✗[/]"
        line = f"{self._clock()} {mark} {_escape(label)}: {outcome}"
        self._get_console().print(line, highlight=False)

    def _line(self, message: str) -> None:
        message = redact(message)
        if self.fancy:
            self._get_console().print(f"{self._clock()} {_escape(message)}", highlight=False)
        else:
            stamp = time.strftime("%H:%M:%S")
            elapsed = time.monotonic() - self.began
            print(f"[{stamp} +{elapsed:.1f}s] {message}", file=self.stream, flush=True)

    def _clock(self) -> str:
        return f"[dim]+{time.monotonic() - self.began:5.1f}s[/]"

    def _get_console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stream)
        return self._console


def _Elapsed() -> Any:  # noqa: N802 - a rich column, made when rich is imported
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Elapsed(ProgressColumn):
        """The step's elapsed time in seconds, as the finished line will say it."""

        def render(self, task: Any) -> Text:
            return Text(f"{task.elapsed or 0.0:.1f}s", style="dim")

    return Elapsed()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)

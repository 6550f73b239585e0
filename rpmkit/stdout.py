"""stdout that a closed pipe does not break: `rpmkit check ... | head` is no error.

Nor does a closed descriptor: `rpmkit check APP >&-` (or `2>&-`) runs as it
would with /dev/null there, its exit status unchanged.
"""

from __future__ import annotations

import os
import sys
from typing import Any

_STANDARD: tuple[tuple[int, int, str, str], ...] = (
    (0, os.O_RDONLY, "stdin", "r"),
    (1, os.O_WRONLY, "stdout", "w"),
    (2, os.O_WRONLY, "stderr", "w"),
)


def reopen_closed() -> None:
    """Point each closed standard descriptor (0, 1, 2) at /dev/null and give Python a stream.

    A closed descriptor would be the next one open(2) returns, so a file
    rpmkit opens could receive a child process's output; Python itself sets
    sys.stdout to None when descriptor 1 was closed at start-up.
    """
    for fd, flags, name, mode in _STANDARD:
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, flags)  # the lowest free descriptor: `fd` itself
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        if getattr(sys, name) is None:
            # Open for the life of the process, as Python's own sys.stdout is.
            stream = open(fd, mode, encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
            setattr(sys, name, stream)


class ClosedPipeGuard:
    """stdout that drops what it cannot write once its reader has gone (`rpmkit ... | head`).

    The command goes on and exits as it would have (a check still writes its
    receipt and its report files); no BrokenPipeError, no traceback.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return int(self._stream.write(text))
            except BrokenPipeError:
                self._went()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._went()

    @property
    def buffer(self) -> Any:
        return _BufferGuard(self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _went(self) -> None:
        self.gone = True
        # What is still buffered would fail again at exit: send the descriptor nowhere.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass


class _BufferGuard:
    """The binary side of ClosedPipeGuard, for bytes written with click.echo."""

    def __init__(self, guard: ClosedPipeGuard) -> None:
        self._guard = guard

    def write(self, data: bytes) -> int:
        if not self._guard.gone:
            try:
                return int(self._guard._stream.buffer.write(data))
            except BrokenPipeError:
                self._guard._went()
        return len(data)

    def flush(self) -> None:
        if not self._guard.gone:
            try:
                self._guard._stream.buffer.flush()
            except BrokenPipeError:
                self._guard._went()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._guard._stream.buffer, name)

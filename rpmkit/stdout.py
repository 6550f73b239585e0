"""stdout that a closed pipe does not break: `rpmkit check ... | head` is no error."""

from __future__ import annotations

import os
from typing import Any


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

"""The teardown after the verdict: the user does not wait for the engine to remove things.

Removing a systemd container costs the engine 0.2-0.3 s, and making the next
check's warm spare about as much again: neither changes the verdict. Within
`deferred()` (the command line's whole run), a check starts a watcher when it
starts: a process forked and detached from the terminal's session (neither
Ctrl-C nor a `kill -9` of rpmkit reaches it), which learns through a pipe what
the check made and, when the pipe closes, removes it. The pipe closes when
the command is done (its verdict, reports and receipts out) or when rpmkit
ends, however it ends: at once after a `kill -9`. So the command returns as soon as it is
done, and nothing it made outlives it by more than the engine's own time to
remove it.

A run stopped by a signal still cleans up itself before it exits (the watcher
then finds nothing left). Where forking is unsafe (other threads running) or
outside `deferred()` (rpmkit used as a library, the pytest plugin), there is
no watcher: the check cleans up inline, as before. And should the watcher
itself be killed, everything carries its run's labels and owner: the reaper
of the next run removes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

Message = dict[str, Any]
Handler = Callable[[list[Message]], None]

_deferring = False
_open: list[Watcher] = []


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within: checks may hand their teardown to a detached watcher (`watch`).

    When the block ends, every watcher started within is told to go ahead.
    """
    global _deferring
    _deferring = True
    try:
        yield
    finally:
        _deferring = False
        while _open:
            _open.pop().close()


class Watcher:
    """The parent's end of the pipe to a detached watcher."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def send(self, message: Message) -> None:
        """Tell the watcher one thing (a JSON line); it acts on all of them at the end."""
        with contextlib.suppress(OSError):
            os.write(self._fd, (json.dumps(message) + "\n").encode())

    def close(self) -> None:
        """The end: the watcher acts now (as it does when this process ends)."""
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


def watch(handler: Handler) -> Watcher | None:
    """A detached watcher that calls `handler(messages)` once this process has ended.

    None (the caller cleans up inline) outside `deferred()`, without `fork`, or
    with other threads running.
    """
    if not _deferring or not hasattr(os, "fork") or threading.active_count() != 1:
        return None
    read, write = os.pipe()  # both close-on-exec: no program rpmkit runs holds them
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    pid = os.fork()
    if pid == 0:  # the watcher: never returns
        _watcher(read, handler)
    os.close(read)
    watcher = Watcher(write)
    _open.append(watcher)
    return watcher


def _watcher(read: int, handler: Handler) -> None:
    try:
        os.setsid()  # out of the terminal's process group: Ctrl-C there is not for it
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # whoever reads rpmkit's output sees it end with rpmkit
            os.dup2(devnull, fd)
        keep = sorted({read, 0, 1, 2})
        for low, high in zip(keep, [*keep[1:], 65536], strict=True):
            os.closerange(low + 1, high)  # the engine's socket too: the handler connects anew
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        data = b""
        while chunk := os.read(read, 65536):  # until every copy of the write end is closed
            data += chunk
        messages = []
        for line in data.decode(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                messages.append(json.loads(line))
        handler(messages)
    except BaseException:  # noqa: BLE001, S110 - nobody to tell; the next run's reaper
        pass
    finally:
        os._exit(0)

"""The teardown after the verdict: the user does not wait for the engine to remove things.

Removing a systemd container costs the engine 0.2-0.3 s, and making the next
check's warm spare about as much again: neither changes the verdict. Within
`deferred()` (the command line's whole run), clean-ups asked for with `later`
wait until the command is done: its verdict printed, its reports and receipts
written. Then one process, forked and detached from the terminal's session
(so neither Ctrl-C nor a `kill -9` of rpmkit stops it), does them and exits;
the command returns at once.

Nothing can be left behind by that: everything a run makes carries its
labels, with its owner (host, pid, start time), and the reaper of the next
run removes what a killed clean-up left. A run stopped by a signal, or a
process with other threads running (where `fork` is unsafe), cleans up inline
before it exits, as without deferral. Outside `deferred()` (rpmkit used as a
library, the pytest plugin) `later` runs the clean-up at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator

Cleanup = Callable[[], None]

_pending: list[Cleanup] | None = None  # None: not deferring
_afterwards: list[Cleanup] = []  # only in the detached process (a spare for the next check)


def later(cleanup: Cleanup) -> None:
    """Run `cleanup` after the command (in `deferred()`), else now."""
    if _pending is None:
        cleanup()
    else:
        _pending.append(cleanup)


def afterwards(work: Cleanup) -> bool:
    """Run `work` in the detached process after the clean-ups; False when there will be none."""
    if _pending is None:
        return False
    _afterwards.append(work)
    return True


def deferring() -> bool:
    """Whether clean-ups wait for the end of the command."""
    return _pending is not None


@contextlib.contextmanager
def deferred(detach: Callable[[], bool]) -> Iterator[None]:
    """Clean-ups asked for within wait until the block ends; then run detached if `detach()`.

    `detach` is asked at the end (False after a stop signal: clean up before exiting).
    """
    global _pending
    _pending = []
    try:
        yield
    finally:
        work, _pending = _pending, None
        extra = list(_afterwards)
        _afterwards.clear()
        finish(work, extra, detach())


def finish(work: list[Cleanup], extra: list[Cleanup], detach: bool) -> None:
    """Run the clean-ups (and the extra work) in a detached process, or inline without it."""
    if not work and not extra:
        return
    if detach and hasattr(os, "fork") and threading.active_count() == 1:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        if os.fork() == 0:  # the child: never returns
            _detached(work + extra)
        return
    _run(work)


def _detached(work: list[Cleanup]) -> None:
    try:
        os.setsid()  # out of the terminal's process group: Ctrl-C there is not for it
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # whoever reads rpmkit's output sees it end now
            os.dup2(devnull, fd)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        _run(work)
    finally:
        os._exit(0)


def _run(work: list[Cleanup]) -> None:
    for cleanup in work:
        with contextlib.suppress(Exception):
            cleanup()

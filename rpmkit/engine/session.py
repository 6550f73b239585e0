"""One shell kept open in a container: commands without an exec each.

Every `docker exec` costs the engine about 45 ms on a 2-core machine (exec
create, runc's set-up of the namespaces, the exit status read back), and
execs started side by side queue in the engine rather than overlap: the
commands a check runs after the install (`systemctl show`, `rpm -V`,
`nginx -t`, ...) take 5-30 ms themselves. A session starts one `sh` with one
attached exec and sends it each command; the shell runs it in a subshell
(`exec` of the argv, standard input /dev/null) and writes, after its output,
a marker line with the exit status on standard output and a marker line on
standard error. The marker holds a random token sent on the session's
standard input, never on a command line or in the environment, so a
command's output cannot end another command early.

The shell reads one command per line: each argument single-quoted, a
newline inside one written as `"$nl"` (a variable holding a newline), so no
tool beyond `sh` is needed. One command at a time; `Container.exec` falls
back to its own exec when the session is busy for longer than `WAIT`
seconds, when a command needs a user, environment, working folder or its
lines as they come, and when the session's shell is gone or does not
finish a command within QUERY_LIMIT seconds (its timeout and MARGIN, when it
has one): the command is then run again on its own exec (only queries are
sent here, see `Container.session`).
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import struct
import threading
import time
from collections.abc import Sequence
from typing import Any

from rpmkit.engine.output import TIMED_OUT, Bounded, Result, WholeLines

# The shell: the token first, then one command per line.
AGENT = (
    # The shell's own messages ("Killed" when `timeout -s KILL` ends a command) go nowhere;
    # the commands write to its standard error through fd 3.
    "exec 3>&2 2>/dev/null; nl='\n'; IFS= read -r m || exit 0; "
    "while IFS= read -r c; do "
    '(eval "exec $c </dev/null 2>&3 3>&-"); r=$?; '
    'printf \'\\n%s %s\\n\' "$m" "$r"; printf \'\\n%s\\n\' "$m" >&3; '
    "done"
)
WAIT = 0.25  # seconds a command waits for a busy session before taking its own exec
OPEN_WAIT = 10.0  # seconds a new session's shell has to answer its first no-op
# Seconds a command without a timeout may take in the session (one with a timeout: that
# and MARGIN) before the session is given up and the command runs on an exec of its own.
QUERY_LIMIT = 10.0
MARGIN = 5.0
HEADER = struct.Struct(">BxxxL")  # the engine's stream frame: stream, 3 zero bytes, length


class SessionGone(Exception):
    """The session's shell or its connection ended; the command may not have run."""


def quoted(argv: Sequence[str]) -> str:
    """`argv` as one line of sh words: single-quoted, newlines as "$nl"."""
    out = []
    for arg in argv:
        if "\0" in arg:
            raise ValueError("an argument with a NUL byte")
        body = arg.replace("'", "'\"'\"'").replace("\n", "'\"$nl\"'")
        out.append(f"'{body}'")
    return " ".join(out)


class _Stream:
    """One stream of one command: its bytes up to the marker, then what follows it."""

    def __init__(self, mark: bytes, status: bool) -> None:
        self._mark = b"\n" + mark
        self._status = status  # stdout's marker line carries the exit status
        self._pending = b""
        self.data = Bounded()
        self.lines = WholeLines()
        self.trailer: bytes | None = None

    @property
    def done(self) -> bool:
        return self.trailer is not None and (not self._status or b"\n" in self.trailer)

    def feed(self, chunk: bytes) -> bytes:
        """Take a chunk; what of it is the command's output (whole lines for the merge)."""
        if self.trailer is not None:
            self.trailer += chunk
            return b""
        data = self._pending + chunk
        at = data.find(self._mark)
        if at >= 0:
            body, self.trailer, self._pending = data[:at], data[at + len(self._mark) :], b""
        else:
            keep = len(self._mark) - 1  # a marker cut between two chunks
            body, self._pending = data[: max(len(data) - keep, 0)], data[max(len(data) - keep, 0) :]
        self.data.add(body)
        merged = self.lines.feed(body)
        return merged + (self.lines.rest() if self.trailer is not None else b"")

    def status(self) -> int:
        assert self.trailer is not None
        return int(self.trailer.split(b"\n", 1)[0].strip() or b"-1")


class Session:
    """A shell in the container, started on first use; see the module."""

    def __init__(self, start: Any) -> None:
        self._start = start  # () -> the attached exec's socket
        self._sock: socket.socket | None = None
        self._mark = secrets.token_hex(16).encode()
        self._buffer = b""
        self._lock = threading.Lock()
        self._gone = False

    def run(self, argv: Sequence[str], timeout: float | None = None) -> Result | None:
        """The command's result; None when the session is busy past WAIT seconds.

        SessionGone when the shell or its connection ended (the command may
        or may not have run). `timeout` (seconds): as `Container.exec`.
        """
        argv = list(argv)
        if timeout is not None:
            argv = ["timeout", "-s", "KILL", f"{max(timeout, 0.1):.1f}", *argv]
        line = quoted(argv).encode() + b"\n"
        if not self._lock.acquire(timeout=WAIT):
            return None
        try:
            if self._gone:
                raise SessionGone("the session's shell ended")
            start = time.monotonic()
            try:
                sock = self._open()
                # The shell, not only the command, must answer in time: a shell that
                # something stopped (SIGSTOP) would otherwise hold the check for ever.
                limit = QUERY_LIMIT if timeout is None else timeout + MARGIN
                watchdog = threading.Timer(limit, lambda: _abort(sock))
                watchdog.daemon = True
                watchdog.start()
                try:
                    sock.sendall(line)
                    return self._read(sock, start, timeout is not None)
                finally:
                    watchdog.cancel()
            except (OSError, ValueError, SessionGone) as exc:
                self._gone = True
                raise SessionGone(str(exc)) from exc
            except BaseException:
                # Stopped mid-command (Ctrl-C): the rest of its output is still on the
                # way, and would be read as the next command's. Nothing more is sent.
                self._gone = True
                raise
        finally:
            self._lock.release()

    def warm(self) -> None:
        """Start the shell now, in a thread of its own; a failure there ends the session."""

        def start() -> None:
            with self._lock:
                if self._gone:
                    return
                try:
                    self._open()
                except (OSError, ValueError, SessionGone):
                    self._gone = True

        threading.Thread(target=start, name="rpmkit-session", daemon=True).start()

    def close(self) -> None:
        """End the shell (its input closes) and the connection."""
        with self._lock:
            self._gone = True
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.shutdown(socket.SHUT_WR)
                self._sock.close()
                self._sock = None

    def _open(self) -> socket.socket:
        """The shell's connection; a new one answers a first no-op within OPEN_WAIT seconds.

        A transport that does not carry the stream as this module reads it would
        otherwise hang the first command: the watchdog closes it, SessionGone.
        """
        if self._sock is None:
            sock = self._sock = self._start()
            watchdog = threading.Timer(OPEN_WAIT, lambda: _abort(sock))
            watchdog.daemon = True
            watchdog.start()
            try:
                sock.sendall(self._mark + b"\n" + quoted(["true"]).encode() + b"\n")
                answer = self._read(sock, time.monotonic(), timed=False)
            finally:
                watchdog.cancel()
            if answer.rc != 0:
                raise SessionGone(f"the session's shell answered {answer.rc} to a no-op")
        return self._sock

    def _read(self, sock: socket.socket, start: float, timed: bool) -> Result:
        out, err = _Stream(self._mark, status=True), _Stream(self._mark, status=False)
        both = Bounded()
        while not (out.done and err.done):
            kind, payload = self._frame(sock)
            stream = out if kind == 1 else err
            both.add(stream.feed(payload))
        rc = out.status()
        return Result(
            rc, out.data.text(), err.data.text(), both.text(), time.monotonic() - start,
            timed_out=timed and rc in TIMED_OUT,
        )  # fmt: skip

    def _frame(self, sock: socket.socket) -> tuple[int, bytes]:
        while len(self._buffer) < HEADER.size:
            self._fill(sock)
        kind, size = HEADER.unpack_from(self._buffer)
        while len(self._buffer) < HEADER.size + size:
            self._fill(sock)
        payload = self._buffer[HEADER.size : HEADER.size + size]
        self._buffer = self._buffer[HEADER.size + size :]
        return kind, payload

    def _fill(self, sock: socket.socket) -> None:
        proc = getattr(sock, "proc", None)  # docker-py's SSHSocket: the `ssh` command's pipes,
        # whose recv() waits for all the bytes asked for: read what has come instead.
        chunk = proc.stdout.read1(65536) if proc is not None else sock.recv(65536)
        if not chunk:
            raise SessionGone("the session's shell ended")
        self._buffer += chunk


def _abort(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()

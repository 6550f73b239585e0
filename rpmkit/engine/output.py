"""What a command run in a container gave back: its exit status and its bounded output."""

from __future__ import annotations

from dataclasses import dataclass

# What one exec keeps of each stream: the head and the tail, the middle counted.
# A `%post` printing 100 MB must not make rpmkit hold 100 MB.
HEAD_BYTES = 64 * 1024
TAIL_BYTES = 192 * 1024
# A partial line held back so the streams merge line by line; a longer one goes on in pieces.
LINE_BYTES = 16 * 1024
# `timeout`'s exit status when it had to kill (coreutils: 124, or 128+9 with -s KILL).
TIMED_OUT = frozenset({124, 137})


class Bounded:
    """Text kept as head and tail; what fell in between is counted, not kept."""

    def __init__(self, head: int = HEAD_BYTES, tail: int = TAIL_BYTES) -> None:
        self._head_max, self._tail_max = head, tail
        self._head = bytearray()
        self._tail = bytearray()
        self.cut = 0  # bytes dropped from the middle

    def add(self, data: bytes) -> None:
        """Append bytes."""
        room = self._head_max - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if not data:
            return
        self._tail += data
        excess = len(self._tail) - self._tail_max
        if excess > 0:
            del self._tail[:excess]
            self.cut += excess

    def text(self) -> str:
        """The kept text; a line in the middle says how much was cut."""
        head = self._head.decode(errors="replace")
        tail = self._tail.decode(errors="replace")
        if not self.cut:
            return head + tail
        return f"{head}\n[... {self.cut} bytes of output cut ...]\n{tail}"


@dataclass(frozen=True)
class Result:
    """A finished command: its exit status as the engine reports it, and its output.

    `stdout`/`stderr` are the two streams, `output` both as they came (for logs
    and evidence). Each is bounded (see HEAD_BYTES, TAIL_BYTES).
    """

    rc: int
    stdout: str
    stderr: str
    output: str
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """Exit status 0."""
        return self.rc == 0


class WholeLines:
    """One stream's bytes handed on in whole lines (a line longer than LINE_BYTES in pieces)."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        data = self._pending + chunk
        cut = data.rfind(b"\n") + 1
        if len(data) - cut > LINE_BYTES:
            cut = len(data)
        self._pending = data[cut:]
        return data[:cut]

    def rest(self) -> bytes:
        rest, self._pending = self._pending, b""
        return rest

"""Evidence that names the cause: journals made readable, what listens, rpm's own warnings.

Evidence explains a verdict; it never makes one (the verdicts come from exit
statuses and systemd's properties). Logs are shortened the way a reader
would: a Python traceback printed on every request is shown once with its
count, and runs of lines that differ only in numbers (timestamps, pids,
connection counters) collapse to the first one, "(x20)".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rpmkit.verify.shell import Shell

TRACEBACK = "Traceback (most recent call last):"
_NUMBERS = re.compile(r"\d+")
# What `ss -Hltnp` prints per listener: State Recv-Q Send-Q Local:Port Peer:Port Process.
_PROCESS = re.compile(r'users:\(\("([^"]+)"')
LOOPBACK = ("127.", "[::1]", "::1")


def _shape(line: str) -> str:
    return _NUMBERS.sub("#", line.strip())


def collapse(lines: Sequence[str]) -> list[str]:
    """Consecutive lines that differ only in numbers as the first one and "(xN)"."""
    out: list[str] = []
    count = 0
    for i, line in enumerate(lines):
        count += 1
        last = i + 1 == len(lines) or _shape(lines[i + 1]) != _shape(line)
        if last:
            first = lines[i - count + 1]
            out.append(f"{first} (x{count})" if count > 1 else first)
            count = 0
    return out


def dedupe_tracebacks(lines: Sequence[str]) -> list[str]:
    """Each distinct Python traceback once, its first copy marked with how often it came."""
    blocks: list[list[str]] = []
    i = 0
    while i < len(lines):
        if lines[i].strip().startswith(TRACEBACK):
            end = i + 1
            # A traceback ends with its first unindented line after the header: the exception.
            while end < len(lines) and (lines[end][:1].isspace() or not lines[end].strip()):
                end += 1
            blocks.append(list(lines[i : end + 1]))
            i = end + 1
        else:
            blocks.append([lines[i]])
            i += 1
    seen: dict[str, int] = {}
    counts: dict[str, int] = {}
    for block in blocks:
        if len(block) > 1:
            key = "\n".join(_shape(b) for b in block)
            counts[key] = counts.get(key, 0) + 1
    out: list[str] = []
    for block in blocks:
        if len(block) == 1:
            out.append(block[0])
            continue
        key = "\n".join(_shape(b) for b in block)
        if key in seen:
            continue
        seen[key] = 1
        times = counts[key]
        out.append(block[0] + (f" (this traceback x{times})" if times > 1 else ""))
        out += block[1:]
    return out


def readable(text: str, keep: int = 40) -> list[str]:
    """A log made short: tracebacks once each, repeats collapsed, the last `keep` lines."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return collapse(dedupe_tracebacks(lines))[-keep:]


def journal(host: Shell, unit: str, keep: int = 40) -> str:
    """The unit's journal since boot, made readable, under the command that shows it."""
    out = host.run("journalctl -b -u %s --no-pager -o cat -n 2000", unit).stdout
    lines = readable(out, keep)
    return "\n".join([f"$ journalctl -b -u {unit}", *(lines or ["(no entries)"])])


def first_lines(text: str, marker: str) -> list[str]:
    """The lines holding `marker` (e.g. nginx's `[emerg]`), each once."""
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if marker in line))


@dataclass(frozen=True)
class Listener:
    """A listening TCP socket: its address, port and the process holding it."""

    address: str
    port: int
    process: str

    @property
    def loopback(self) -> bool:
        """Reachable from the instance itself only."""
        return self.address.startswith(LOOPBACK)

    def __str__(self) -> str:
        return f"{self.address}:{self.port}" + (f" ({self.process})" if self.process else "")


def listeners(ss_output: str) -> list[Listener]:
    """The listeners in `ss -Hltn[p]` output."""
    found = []
    for line in ss_output.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        address, _, port = fields[3].rpartition(":")
        if not port.isdigit():
            continue
        process = _PROCESS.search(line)
        found.append(Listener(address, int(port), process.group(1) if process else ""))
    return found


# `ss -p` names a socket's process only to a reader allowed to look at its descriptors:
# root in a container lacks CAP_SYS_PTRACE, so ask again as each user running processes.
SS_AS_EACH_USER = (
    "ss -Hltnp; ps -eo uid=,gid= | sort -u | while read -r uid gid; do "
    '[ "$uid" = 0 ] || setpriv --reuid "$uid" --regid "$gid" --clear-groups ss -Hltnp; '
    "done 2>/dev/null"
)


def named_listeners(host: Shell) -> list[Listener]:
    """The listening TCP sockets, each with its process's name where any user can tell it."""
    return merged_listeners(host.run(SS_AS_EACH_USER).stdout)


def merged_listeners(ss_outputs: str) -> list[Listener]:
    """`ss -Hltnp` outputs run as several users, one listener per address and port."""
    found: dict[tuple[str, int], Listener] = {}
    for listener in listeners(ss_outputs):
        key = (listener.address, listener.port)
        if key not in found or (listener.process and not found[key].process):
            found[key] = listener
    return sorted(found.values(), key=lambda x: (x.port, x.address))


def port_detail(port: int, found: Iterable[Listener], expected: Iterable[int]) -> str:
    """Why `port` is not listening, in terms of what does: `8085 (gunicorn), not 8000`."""
    others = [x for x in found if x.port not in set(expected) and x.process != "systemd"]
    if not others:
        return "nothing listens"
    said = ", ".join(
        dict.fromkeys(f"{x.port} ({x.process})" if x.process else str(x.port) for x in others)
    )
    return f"nothing listens on {port}; listening instead: {said}, not {port}"


def rpm_warning_causes(warnings: Iterable[str]) -> list[str]:
    """rpm's install warnings that explain ownership failures (users or groups missing)."""
    return [
        w.removeprefix("warning: ").strip() for w in warnings if "does not exist - using root" in w
    ]

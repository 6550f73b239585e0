"""Writing an output file whole or not at all, with the mode any other output gets.

Receipts, reports and records are written to a unique temporary name beside
the target, then renamed onto it (rename(2) is atomic within a file system),
so a reader never sees half a file. The temporary file is made private by
mkstemp(3); before the rename it gets the usual mode, 0666 minus the umask,
so a gate running as another user can read what a check wrote.

A path the user named that is not a regular file (a FIFO, /dev/stdout, a
device, or a symlink to one of them) is written through, as a shell's `>`
would: a rename would replace the device or the pipe by a plain file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def umask() -> int:
    """The process's umask: Linux shows it in /proc/self/status (since 4.7).

    Elsewhere it is set and set back, the only query POSIX offers (not thread-safe).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write(path: Path, data: bytes, *, through: bool = False) -> Path:
    """Write `data` to `path`; return the path written.

    `through=True` (a path the user named): symlinks are followed, and a target
    that exists and is not a regular file is opened and written in place.
    Otherwise a symlink at `path` is replaced, not followed. The folder must
    exist. Raises OSError (the temporary file is removed).
    """
    if through:
        try:
            special = not stat.S_ISREG(os.stat(path).st_mode)
        except FileNotFoundError:  # a new file, or a symlink to one still to be made
            special = False
        if special:
            # Opened by the name given: /dev/stdout -> /proc/self/fd/1 -> `pipe:[...]` has
            # no path of its own to resolve to.
            with open(path, "wb") as fh:
                fh.write(data)
            return path
        path = Path(os.path.realpath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            os.fchmod(fh.fileno(), 0o666 & ~umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path

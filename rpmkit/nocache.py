"""A cache that cannot be used is a warning, never a failed run.

rpmkit keeps several things on this machine only to be faster or more
helpful next time: check reports (`cache`), wheels (`wheelhouse`), the bare
image's failed units (`baseline`) and kept instances' verdicts (`instances`).
Any of them may be unusable: `XDG_CACHE_HOME` naming a file, a read-only home,
a full disk. The run then goes on without it, after one line on stderr.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import click

_warned: set[str] = set()


def cache_dir(kind: str, environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/rpmkit/<kind>`, by default under ~/.cache (XDG Base Directory spec)."""
    env = os.environ if environ is None else environ
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rpmkit" / kind


def warn(what: str, where: Path, exc: OSError) -> None:
    """One line on stderr, once per kind of cache and process: `what` at `where` is not kept."""
    if what in _warned:
        return
    _warned.add(what)
    reason = exc.strerror or str(exc)
    click.echo(f"warning: cannot keep the {what} in {where} ({reason}); going on without", err=True)

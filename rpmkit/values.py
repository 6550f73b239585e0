"""Plain checks on text values, shared by the config's field types and the command line.

Kept free of pydantic: the command line imports them on every run.
"""

from __future__ import annotations

import re

# Control characters: NUL is cut by C strings (the value silently shortened), the others
# move a terminal's cursor or end a line. Tab and newline are the field types' business.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Starts with '/': the health probe's URL is http://HOST:PORT + path, so `@other:80/`
# would change the host it goes to.
URL_PATH_RE = re.compile(r"/[A-Za-z0-9._~/?=&+-]*")
URL_PATH_MAX = 2048


def shown(value: str, limit: int = 60) -> str:
    """`value` quoted for a message and cut to `limit` characters: a huge value stays short."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-1]}"


def printable(text: str) -> str:
    """`text` with each character a terminal would act on (ESC, a line break, NUL...) escaped.

    For strings from outside rpmkit printed inside its own lines (an RPM
    header's file names and requirements): they cannot move the cursor or
    start a line of their own that looks like rpmkit's. Tabs are kept.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in text)


def control_character(value: str) -> str | None:
    """How to name the first control character in `value` ("a NUL byte", "U+001B"), or None."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    return "a NUL byte" if found[0] == "\0" else f"the control character U+{ord(found[0]):04X}"


def tail(text: str, lines: int = 20) -> str:
    """The last `lines` lines of `text` (evidence under a one-line error)."""
    return "\n".join(text.rstrip().splitlines()[-lines:])

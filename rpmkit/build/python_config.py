"""`[python]`: what the app's venv gets besides its own requirements file.

`extra_requirements` are requirements rpmkit adds itself, for example the
server that runs the app (`gunicorn`) when the app's requirements do not
list it: they are downloaded and installed with the requirements file, and
the app's own files are never edited. Each is one PEP 508 requirement
(`gunicorn`, `gunicorn>=22`, `uvicorn[standard]==0.30.1`), without a URL.
"""

from __future__ import annotations

import re
from typing import Annotated

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import AfterValidator, Field

from rpmkit.fields import LINE_MAX, Model

# The spec passes each requirement to pip as a single-quoted shell word, and rpm
# expands '%': neither quotes, '%', '$', '`', '\\' nor a newline may appear. No '@'
# or '/' either: a URL requirement cannot come from the wheelhouse.
_SAFE = re.compile(r"^[A-Za-z0-9 ._\-\[\],<>=!~*;\"()+]+$")


def _requirement(value: str) -> str:
    if not _SAFE.match(value):
        raise ValueError(
            f"{value!r} must be a PEP 508 requirement of letters, digits, spaces and "
            "._-[],<>=!~*;\"()+ (no URL; no single quote, '%', '$' or '\\')"
        )
    try:
        Requirement(value)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]
        raise ValueError(f"{value!r} is not a PEP 508 requirement ({reason})") from None
    return value


ExtraRequirement = Annotated[str, Field(max_length=LINE_MAX), AfterValidator(_requirement)]


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares it: `Flask_Login` -> `flask-login`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(value: str) -> str:
    """The normalized distribution name of one requirement (`Gunicorn>=22` -> `gunicorn`)."""
    return normalize(Requirement(value).name)


class Python(Model):
    """The venv of the python-web and python-worker templates."""

    extra_requirements: list[ExtraRequirement] = []
    """Requirements rpmkit adds itself (the server, e.g. "gunicorn"), downloaded and installed
    after the requirements file's; the app's own files stay as they are. No URL, `'`, `%`,
    `$` or `\\`. `rpmkit init` adds the server here when the requirements lack it."""

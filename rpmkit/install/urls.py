"""Repository ids and URLs as dnf and yum accept them: shared by the config and the install.

Plain checks with no dependency, so the install stage does not import the
config models (pydantic) to validate a `--repo-file`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from rpmkit.values import shown

# A repository id as dnf.conf(5) and yum.conf(5) accept it, minus what a shell or a
# file name would read differently.
REPO_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
# The checked RPMs' own repository: a team's repository may not take its name.
RESERVED_IDS = frozenset({"rpmkit-local", "main"})
URL_SCHEMES = ("http", "https", "file")


def check_url(value: str, what: str = "baseurl") -> str:
    """A repository URL: http, https or file, with no credentials in it; ValueError if not."""
    if not value or any(c.isspace() or c == "\\" for c in value):
        raise ValueError(f"{what} {shown(value)} must be one URL, without spaces or backslashes")
    parts = urlsplit(value)
    if parts.scheme not in URL_SCHEMES:
        raise ValueError(f"{what} {shown(value)} is not an http://, https:// or file:// URL")
    if "@" in parts.netloc:
        raise ValueError(
            f"{what} holds credentials: never put them in configuration; set "
            "RPMKIT_REPO_<ID>_USERNAME and RPMKIT_REPO_<ID>_PASSWORD, or a netrc entry"
        )
    if parts.scheme == "file" and not parts.path.startswith("/"):
        raise ValueError(f"{what} {shown(value)}: a file:// URL needs an absolute path")
    if parts.scheme != "file" and not parts.hostname:
        raise ValueError(f"{what} {shown(value)} names no host")
    return value

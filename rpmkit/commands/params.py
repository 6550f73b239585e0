"""Command-line values checked while click parses them, before a command does anything.

Each checker is a click callback or type: a bad value exits 2 with one line
naming the option (`Invalid value for '--health-port': ...`), before any
file is read, any container is made or any index is asked.
"""

from __future__ import annotations

import math
import re
import string
from typing import Any
from urllib.parse import urlsplit

import click

from rpmkit.values import URL_PATH_MAX, URL_PATH_RE, control_character, shown

PORT = click.IntRange(1, 65535)
STATUS = click.IntRange(100, 599)
# Every argument, whatever its option: no real value is longer (PATH_MAX is 4096).
ARG_MAX = 4096
URL_MAX = 2048
_ENVIRONMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
# distribution/reference's grammar: [host[:port]/]path[:tag][@digest], or an image id.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE = re.compile(
    rf"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{{1,5}})?/)?"
    rf"{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::\w[\w.-]{0,127})?(?:@[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,})?"
    r"|(?:sha256:)?[0-9a-f]{12,64}"
)
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# RFC 3986's unreserved, reserved and '%': a space, a backslash or a quote must be %-encoded.
_URL_CHARS = frozenset(string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%")


def check_argv(args: list[str]) -> str | None:
    """The problem with a raw command-line argument (a control character, a huge value), or None.

    One check for every option and argument of every command: no value rpmkit
    takes may hold NUL (a C string ends there), a newline or an escape
    sequence, or be longer than ARG_MAX. Returns the one-line message.
    """
    for i, arg in enumerate(args):
        what = control_character(arg) or ("a newline" if "\n" in arg else None)
        too_long = len(arg) > ARG_MAX
        if not (what or too_long):
            continue
        if arg.startswith("--") and "=" in arg:
            where = arg.split("=", 1)[0]
        elif i > 0 and args[i - 1].startswith("-") and not args[i - 1].startswith("--="):
            where = args[i - 1]
        else:
            where = f"argument {shown(arg, 30)}"
        if too_long:
            return f"{where}: {len(arg)} characters, more than any value rpmkit takes ({ARG_MAX})"
        return f"{where}: contains {what}"
    return None


class Seconds(click.FloatRange):
    """A number of seconds in a range; NaN (which every comparison lets through) is refused."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{shown(str(value))} is not a number of seconds", param, ctx)
        return number


def _fail(value: str, expected: str) -> click.BadParameter:
    return click.BadParameter(f"{shown(value)} is not {expected}")


def url_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A health-check path: absolute, plain characters (`@host:port/` cannot move the probe)."""
    if value is not None and not (len(value) <= URL_PATH_MAX and URL_PATH_RE.fullmatch(value)):
        raise _fail(value, "a URL path starting with / (letters, digits and ._~/?=&+-)")
    return value


_CONTAINER = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}")


def container_names(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Container names (one, or a tuple of them), as the engine spells them."""
    for name in (value,) if isinstance(value, str) else value or ():
        if not _CONTAINER.fullmatch(name):
            raise _fail(name, "a container name (letters, digits and _.-)")
    return value


_UNIT = re.compile(r"[A-Za-z0-9_.@-]{1,255}")  # systemd.unit(5): at most 255 characters


def unit_names(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """systemd unit names (a bare name is a service's)."""
    for name in value or ():
        if not _UNIT.fullmatch(name):
            raise _fail(name, "a systemd unit name (letters, digits and _.@-, at most 255)")
    return value


def environment(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A deploy environment's name, as [deploy.environments] keys are written."""
    if value is not None and not _ENVIRONMENT.fullmatch(value):
        raise _fail(value, "an environment name (letters, digits and _.-)")
    return value


def profile(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A known profile's name (never a path to one)."""
    from rpmkit import profiles

    if value is not None and value not in profiles.names():
        raise click.BadParameter(
            f"unknown profile {shown(value)} (known: {', '.join(profiles.names())})"
        )
    return value


def image(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A local image's reference (`corp/al2023:hardened`) or id."""
    if value is not None and not (len(value) <= 255 and _IMAGE.fullmatch(value)):
        raise _fail(value, "an image reference such as corp/al2023:hardened")
    return value


def index_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A package index URL: http, https or file, printable ASCII, valid %-escapes."""
    if value is None:
        return None
    if len(value) > URL_MAX or any(c not in _URL_CHARS for c in value):
        raise _fail(value, "a URL (letters, digits and URL punctuation; %-encode the rest)")
    if _PERCENT.search(value):
        raise _fail(value, "a URL: '%' must start a %XX escape")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise _fail(value, "a URL") from None
    if parts.scheme not in ("http", "https", "file") or (
        parts.scheme != "file" and not parts.hostname
    ):
        raise _fail(value, "an http(s) or file URL")
    return value


def repository(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A directory repository, or an http(s) URL as publish.repo takes it."""
    if value is None or "://" not in value:
        return value
    from rpmkit.handoff.config import check_repo

    try:
        return check_repo(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_NETWORK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def network(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An engine network's name, as Docker accepts one."""
    if value is not None and not _NETWORK.fullmatch(value):
        raise _fail(value, "a network name (letters, digits and _.-)")
    return value


_SHA256 = re.compile(r"[0-9A-Fa-f]{64}")


def sha256(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A sha256 digest: 64 hexadecimal digits."""
    if value is not None and not _SHA256.fullmatch(value):
        raise _fail(value, "a sha256 digest (64 hexadecimal digits)")
    return value.lower() if value is not None else None

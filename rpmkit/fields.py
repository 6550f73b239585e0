"""Validated field types for rpmkit's configuration.

Every value that reaches a spec file, a unit file or a command line passes one
of these types, so templates never have to escape anything: a value that could
change the meaning of what it lands in (a newline, a `%` macro, `..` in a path,
shell characters in a user name) is rejected with the field named.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# RPM's own rules for a package name, and for version and release (no '-').
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+~^]*$")
# useradd's portable set; no shell metacharacters.
USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_PATH_CHARS = re.compile(r"^[A-Za-z0-9._/+@=:,-]+$")
UNIT_RE = re.compile(r"^[A-Za-z0-9_.@-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MODE = re.compile(r"^0?[0-7]{3,4}$")
# A lone '%' starts a macro (or `%(shell)`); '%%' is rpm's literal percent sign.
_MACRO = re.compile(r"%(?!%)")


def _no_macro(value: str) -> str:
    if _MACRO.search(value.replace("%%", "")):
        raise ValueError("contains '%', which rpm expands as a macro (write %% for a literal %)")
    return value


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line (it contains a newline)")
    if not value.strip():
        raise ValueError("must not be empty")
    return _no_macro(value)


def _no_percent(value: str) -> str:
    # rpm turns '%%' into '%', which systemd then reads as a specifier in a unit file.
    if "%" in value:
        raise ValueError("contains '%', which systemd reads as a specifier in a unit file")
    return value


def _text_block(value: str) -> str:
    for line in value.splitlines():
        if line.lstrip().startswith("%"):
            raise ValueError(
                f"line {line.strip()!r} starts with '%', which would open a spec section"
            )
    return _no_macro(value)


def pattern(regex: re.Pattern[str], expected: str) -> Any:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"{value!r} is not {expected}")
        return value

    return AfterValidator(check)


def _abs_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"{value!r} must be an absolute path")
    return _safe_path(value)


def _safe_path(value: str) -> str:
    if ".." in value.split("/"):
        raise ValueError(f"{value!r} must not contain '..'")
    if not _PATH_CHARS.match(value):
        raise ValueError(f"{value!r} may only contain letters, digits and ._/+@=:,-")
    return value


def _rel_path(value: str) -> str:
    if value.startswith("/"):
        raise ValueError(f"{value!r} must be relative to the app directory")
    return _safe_path(value)


def _host_port(value: str) -> str:
    host, _, port = value.rpartition(":")
    if not re.fullmatch(r"[A-Za-z0-9.-]+", host) or not port.isdigit():
        raise ValueError(f"{value!r} is not host:port")
    if not 1 <= int(port) <= 65535:
        raise ValueError(f"{value!r}: port {port} is out of range (1-65535)")
    return value


Line = Annotated[str, AfterValidator(_one_line)]
UnitLine = Annotated[str, AfterValidator(_one_line), AfterValidator(_no_percent)]
Text = Annotated[str, AfterValidator(_text_block)]
Name = Annotated[str, pattern(_NAME, "a valid RPM name (letters, digits, ._+- )")]
Version = Annotated[str, pattern(_VERSION, "a valid RPM version (letters, digits, ._+~^; no '-')")]
User = Annotated[str, pattern(USER_RE, "a valid user name ([a-z_][a-z0-9_-]*, at most 32)")]
AbsPath = Annotated[str, AfterValidator(_abs_path)]
RelPath = Annotated[str, AfterValidator(_rel_path)]
Unit = Annotated[str, pattern(UNIT_RE, "a valid systemd unit name")]
Mode = Annotated[str, pattern(_MODE, "an octal file mode such as 0644")]
Port = Annotated[int, Field(ge=1, le=65535)]
EnvName = Annotated[str, pattern(_ENV_NAME, "an environment variable name")]
HostPort = Annotated[str, AfterValidator(_host_port)]
ServerName = Annotated[str, pattern(re.compile(r"^[A-Za-z0-9._*-]+$"), "a server name")]
UrlPath = Annotated[str, pattern(re.compile(r"^/[A-Za-z0-9._~/?=&+-]*$"), "a URL path")]
Seconds = Annotated[float, Field(gt=0, le=3600)]


class Model(BaseModel):
    """A config section: unknown fields are errors, values are not coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

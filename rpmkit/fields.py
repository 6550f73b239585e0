"""Validated field types for rpmkit's configuration.

Every value that reaches a spec file, a unit file or a command line passes one
of these types, so templates never have to escape anything: a value that could
change the meaning of what it lands in (a newline, a `%` macro, `..` in a path,
shell characters in a user name) is rejected with the field named.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from rpmkit.values import URL_PATH_MAX, URL_PATH_RE, control_character, shown

__all__ = ["URL_PATH_RE", "control_character", "shown"]  # re-exported for the config modules

# RPM's own rules for a package name, and for version and release (no '-').
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+~^]*$")
# useradd's portable set; no shell metacharacters.
USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_PATH_CHARS = re.compile(r"^[A-Za-z0-9._/+@=:,-]+$")
UNIT_RE = re.compile(r"^[A-Za-z0-9_.@-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MACRO_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A macro's value on rpmbuild's command line: plain words, no '%' (no macro, no shell).
MACRO_VALUE_RE = re.compile(r"[A-Za-z0-9._+~^=,:/@-]+(?: [A-Za-z0-9._+~^=,:/@-]+)*")
_FILE_NAME = re.compile(r"^[A-Za-z0-9_+][A-Za-z0-9._+~^=,@-]*$")
_MODE = re.compile(r"^0?[0-7]{3,4}$")
# A lone '%' starts a macro (or `%(shell)`); '%%' is rpm's literal percent sign.
_MACRO = re.compile(r"%(?!%)")
# Lengths beyond any real value: a spec line, a unit-file line, a path.
LINE_MAX = 1024
TEXT_MAX = 64 * 1024
PATH_MAX = 1024
NAME_MAX = 100  # NAME-VERSION-RELEASE.ARCH.rpm must fit a file name (255 bytes)
VERSION_MAX = 64


def _no_control(value: Any) -> None:
    if isinstance(value, str):
        what = control_character(value)
        if what:
            raise ValueError(f"contains {what}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_control(key)
            _no_control(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _no_control(item)


def _no_macro(value: str) -> str:
    if _MACRO.search(value.replace("%%", "")):
        raise ValueError("contains '%', which rpm expands as a macro (write %% for a literal %)")
    return value


# scheme://user:password@ - a credential that would be shipped in the package.
_CREDENTIAL_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s@:]*:[^/\s@]*@")


def _no_credentials(value: str) -> str:
    if _CREDENTIAL_URL.search(value):
        raise ValueError(
            "holds a URL with a password, which the RPM would ship to every server; "
            "give the service its credentials at run time instead"
        )
    return value


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line (it contains a newline)")
    if not value.strip():
        raise ValueError("must not be empty")
    if value.rstrip().endswith("\\"):
        # A unit file and a spec join a line ending in '\' with the next one.
        raise ValueError("must not end with '\\', which continues the line into the next one")
    return _no_credentials(_no_macro(value))


def _no_backslash(value: str) -> str:
    # systemd reads C escapes (\n, \x20) in ExecStart= and Environment=, and a trailing
    # backslash continues the line into the next directive.
    if "\\" in value:
        raise ValueError("must not contain '\\', which systemd reads as an escape in a unit file")
    return value


def _no_percent(value: str) -> str:
    # rpm turns '%%' into '%', which systemd then reads as a specifier in a unit file.
    if "%" in value:
        raise ValueError("contains '%', which systemd reads as a specifier in a unit file")
    return value


def _text_block(value: str) -> str:
    if value.rstrip().endswith("\\"):
        raise ValueError("must not end with '\\', which would join the spec's next line to it")
    for line in value.splitlines():
        if line.lstrip().startswith("%"):
            raise ValueError(
                f"line {shown(line.strip())} starts with '%', which would open a spec section"
            )
    return _no_credentials(_no_macro(value))


def pattern(regex: re.Pattern[str], expected: str) -> Any:
    """A validator: the whole value must match `regex` (a trailing newline included)."""

    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(f"{shown(value)} is not {expected}")
        return value

    return AfterValidator(check)


def _abs_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"{shown(value)} must be an absolute path")
    return _safe_path(value)


def _safe_path(value: str) -> str:
    if ".." in value.split("/"):
        raise ValueError(f"{shown(value)} must not contain '..'")
    if not _PATH_CHARS.fullmatch(value):
        raise ValueError(f"{shown(value)} may only contain letters, digits and ._/+@=:,-")
    return value


def _rel_path(value: str) -> str:
    if value.startswith("/"):
        raise ValueError(f"{shown(value)} must be relative to the app directory")
    return _safe_path(value)


def _host_port(value: str) -> str:
    host, _, port = value.rpartition(":")
    if not re.fullmatch(r"[A-Za-z0-9.-]+", host) or not port.isdigit():
        raise ValueError(f"{shown(value)} is not host:port")
    if not 1 <= int(port) <= 65535:
        raise ValueError(f"{shown(value)}: port {port} is out of range (1-65535)")
    return value


Line = Annotated[str, Field(max_length=LINE_MAX), AfterValidator(_one_line)]
UnitLine = Annotated[
    str,
    Field(max_length=LINE_MAX),
    AfterValidator(_one_line),
    AfterValidator(_no_percent),
    AfterValidator(_no_backslash),
]
Text = Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(_text_block)]
Name = Annotated[
    str,
    Field(max_length=NAME_MAX),
    pattern(_NAME, "a valid RPM name (letters, digits, ._+- )"),
]
Version = Annotated[
    str,
    Field(max_length=VERSION_MAX),
    pattern(_VERSION, "a valid RPM version (letters, digits, ._+~^; no '-')"),
]
User = Annotated[str, pattern(USER_RE, "a valid user name ([a-z_][a-z0-9_-]*, at most 32)")]
AbsPath = Annotated[str, Field(max_length=PATH_MAX), AfterValidator(_abs_path)]
RelPath = Annotated[str, Field(max_length=PATH_MAX), AfterValidator(_rel_path)]
Unit = Annotated[str, Field(max_length=255), pattern(UNIT_RE, "a valid systemd unit name")]
Mode = Annotated[str, pattern(_MODE, "an octal file mode such as 0644")]
Port = Annotated[int, Field(ge=1, le=65535)]
Status = Annotated[int, Field(ge=100, le=599)]
EnvName = Annotated[str, Field(max_length=255), pattern(_ENV_NAME, "an environment variable name")]
HostPort = Annotated[str, Field(max_length=300), AfterValidator(_host_port)]
ServerName = Annotated[
    str, Field(max_length=253), pattern(re.compile(r"^[A-Za-z0-9._*-]+$"), "a server name")
]
UrlPath = Annotated[
    str, Field(max_length=URL_PATH_MAX), pattern(URL_PATH_RE, "a URL path such as /health")
]
MacroName = Annotated[
    str, Field(max_length=100), pattern(MACRO_RE, "an rpm macro name (letters, digits, _)")
]
MacroValue = Annotated[
    str,
    Field(max_length=200),
    pattern(MACRO_VALUE_RE, "a macro value (letters, digits, ._+~^=,:/@- and single spaces)"),
]
FileName = Annotated[
    str, Field(max_length=255), pattern(_FILE_NAME, "a file name (no '/', no leading '.' or '-')")
]
Seconds = Annotated[float, Field(gt=0, le=3600)]


class Model(BaseModel):
    """A config section: unknown fields are errors, values are not coerced.

    No string anywhere in it (list items and table keys included) may hold a
    control character such as NUL.
    """

    # TOML has nan and inf; no field of rpmkit's means either (and nan fails every bound
    # check with a message about the bound).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        _no_control(value)
        return value

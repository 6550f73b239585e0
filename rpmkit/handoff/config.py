"""Hand-off settings: how `rpmkit bake`, `publish`, `deploy` and `scaffold` call the real tools.

Commands are argument lists; `{placeholder}`s are filled in per argument and
never pass through a shell, so a value can never become a second argument.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from rpmkit.fields import EnvName, Line, Model, Seconds, pattern, shown

BAKE_PLACEHOLDERS = frozenset(
    {"name", "version", "release", "arch", "nevra", "sha256", "rpm", "base_ami"}
)
DEPLOY_PLACEHOLDERS = frozenset(
    {"name", "version", "release", "env", "ami", "instance_type", "min", "max"}
)
SCAFFOLD_PLACEHOLDERS = frozenset(
    {
        "name",
        "env",
        "health_path",
        "port",
        "protocol",
        "interval",
        "timeout",
        "healthy_threshold",
        "unhealthy_threshold",
    }
)
DEFAULT_BAKE_COMMAND = [
    "sudo",
    "/usr/local/bin/aminate",
    "-B",
    "{base_ami}",
    "--vm-type",
    "hvm",
    # The exact build the gate passed (yum takes NAME-VERSION-RELEASE.ARCH): by name alone
    # the bake machine's yum could pick another build of the same name from the repository.
    "{nevra}",
    "--partition",
    "1",
]
DEFAULT_DEPLOY_COMMAND = [
    "sfapp",
    "deploy",
    "{name}",
    "--env",
    "{env}",
    "--ami",
    "{ami}",
    "--instance-type",
    "{instance_type}",
    "--min-instances",
    "{min}",
    "--max-instances",
    "{max}",
]
DEFAULT_SCAFFOLD_COMMAND = [
    "sfapp",
    "create_application",
    "{name}",
    "--health-check-url",
    "{health_path}",
    "--port",
    "{port}",
    "--protocol",
    "{protocol}",
    "--env",
    "{env}",
]
AMI_ID = re.compile(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
DURATION_MAX = 10 * 365 * 86400.0
ARGUMENT_MAX = 8192
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def template_fields(arg: str) -> list[str]:
    """The placeholder names in one command argument; ValueError when it is malformed."""
    fields = []
    for _, name, spec, conversion in string.Formatter().parse(arg):
        if name is None:
            continue
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} takes no format spec or conversion")
        fields.append(name)
    return fields


def _command(allowed: frozenset[str]) -> Any:
    known = ", ".join(f"{{{name}}}" for name in sorted(allowed))

    def check(value: list[str]) -> list[str]:
        if not value or not value[0].strip():
            raise ValueError("must be a non-empty list: the program, then its arguments")
        for i, arg in enumerate(value):
            if any(c in arg for c in "\n\r\0"):
                raise ValueError(f"argument {i} {shown(arg)} contains a newline or NUL")
            if len(arg) > ARGUMENT_MAX:
                raise ValueError(f"argument {i} is longer than {ARGUMENT_MAX} characters")
            try:
                fields = template_fields(arg)
            except ValueError as exc:
                raise ValueError(f"argument {i} {shown(arg)}: {exc}") from None
            for name in fields:
                if name not in allowed:
                    raise ValueError(
                        f"argument {i} {shown(arg)}: unknown placeholder {{{name}}} "
                        f"(known: {known})"
                    )
        return value

    return AfterValidator(check)


def parse_duration(value: object) -> float:
    """Seconds from a number of seconds or a string such as `90s`, `30m`, `24h`, `7d`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("must be a duration such as 24h, 30m or a number of seconds")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif len(value) > 32:
        raise ValueError(f"{shown(value)} is not a duration such as 24h, 30m, 7d or 3600")
    else:
        match = _DURATION.fullmatch(value)
        if not match:
            raise ValueError(f"{shown(value)} is not a duration such as 24h, 30m, 7d or 3600")
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if not 0 < seconds <= DURATION_MAX:  # NaN fails this too
        raise ValueError(f"must be longer than zero and at most {DURATION_MAX // 86400:.0f} days")
    return seconds


def _known_profile(value: str) -> str:
    from rpmkit import profiles

    if value not in profiles.names():
        raise ValueError(f"unknown profile {shown(value)} (known: {', '.join(profiles.names())})")
    return value


def _repo(value: str) -> str:
    if not value.strip() or any(c in value for c in "\n\r\0"):
        raise ValueError("must be a directory or an http(s) URL, on one line")
    if len(value) > 2048:
        raise ValueError("is longer than 2048 characters")
    if "://" in value:
        if not value.isascii() or any(c in value for c in " \\\"'<>`{|}^"):
            raise ValueError(f"{shown(value)}: a URL takes ASCII only, %-encoded where needed")
        parsed = urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"{shown(value)} is not an http(s) URL or a directory")
        if parsed.username or parsed.password:
            raise ValueError(
                "must not carry credentials: name environment variables in "
                "username_env/password_env, or use a netrc file"
            )
        if parsed.query or parsed.fragment or any(c.isspace() for c in value):
            raise ValueError(f"{shown(value)}: a repository URL takes no query, fragment or spaces")
    return value


check_repo = _repo  # for `--repo`, which takes the same values as publish.repo
Duration = Annotated[float, BeforeValidator(parse_duration, json_schema_input_type=float | str)]
AmiId = Annotated[str, pattern(AMI_ID, "an AMI id (ami- and 8 or 17 hex digits)")]
ProfileName = Annotated[str, AfterValidator(_known_profile)]
EnvironmentName = Annotated[
    str, pattern(re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"), "an environment name")
]
InstanceType = Annotated[
    str,
    Field(max_length=64),
    pattern(re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$"), "an instance type such as m5.large"),
]


class Bake(Model):
    """`rpmkit bake`: the gate's policy and the aminate command."""

    target_profile: ProfileName = "al2023"
    """A receipt must come from a check on this profile; another needs `--accept-profile`."""
    max_receipt_age: Duration = 86400.0
    """Older receipts are refused: seconds, or a duration such as `24h`, `30m`, `7d`, `90s`."""
    min_settle: Annotated[float, Field(ge=0, le=3600)] = 5.0
    """The settle window (seconds) the check must have used: the service stayed up, without
    restarts, this long after its health check first passed."""
    target_arch: Literal["x86_64", "aarch64"] | None = None
    """The AMI's architecture as rpm names it (x86_64, aarch64); default: this machine's."""
    base_ami: AmiId | None = None
    """The AMI to bake on; `RPMKIT_BASE_AMI` overrides it, and `--base-ami` both."""
    command: Annotated[list[str], _command(BAKE_PLACEHOLDERS)] = DEFAULT_BAKE_COMMAND
    """The aminate command, as an argument list."""


class Publish(Model):
    """`rpmkit publish`: where the bake machine's yum repositories find the RPM."""

    repo: Annotated[str, AfterValidator(_repo)] | None = None
    """A directory (copy, then `createrepo_c --update`) or an http(s) URL (a `PUT`); a URL
    may not carry credentials."""
    username_env: EnvName = "RPMKIT_PUBLISH_USERNAME"
    """The environment variable holding the HTTP user name."""
    password_env: EnvName = "RPMKIT_PUBLISH_PASSWORD"
    """The environment variable holding the password or token; set both variables or
    neither (then netrc)."""
    netrc: Line | None = None
    """The netrc file read for the repository's host when the variables are unset.
    Default: `$NETRC`, else `~/.netrc`."""
    timeout: Seconds = 300.0
    """Read timeout of the upload."""


class Environment(Model):
    """One deploy environment's sizing: `[deploy.environments.<env>]`."""

    instance_type: InstanceType
    """The instance type of the new group, such as `m5.large`."""
    min: Annotated[int, Field(ge=1, le=1000)]
    """Minimum instances; below 2 is allowed with a warning (losing one is an outage)."""
    max: Annotated[int, Field(ge=1, le=1000)]
    """Maximum instances, at least `min`."""

    @model_validator(mode="after")
    def _min_max(self) -> Environment:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        return self


class Deploy(Model):
    """`rpmkit deploy`: the deploy command and each environment's sizing."""

    command: Annotated[list[str], _command(DEPLOY_PLACEHOLDERS)] = DEFAULT_DEPLOY_COMMAND
    """The deploy command, as an argument list."""
    environments: dict[EnvironmentName, Environment] = {}
    """Each environment's sizing, by name."""


class Scaffold(Model):
    """`rpmkit scaffold`: the one-time application-creation command."""

    command: Annotated[list[str], _command(SCAFFOLD_PLACEHOLDERS)] = DEFAULT_SCAFFOLD_COMMAND
    """The application-creation command, as an argument list."""
    protocol: Literal["HTTP", "HTTPS"] = "HTTP"
    """The load balancer's protocol."""

"""The app's configuration: `rpmkit.toml`, or `[tool.rpmkit]` in the app's `pyproject.toml`.

Every value that reaches a spec file is checked here, so a template never has
to escape anything: a value that could change the spec's meaning (a newline,
a `%` macro, `..` in a path, shell characters in a user name) is rejected with
the field named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from rpmkit import toml
from rpmkit.errors import ConfigError

CONFIG_FILE = "rpmkit.toml"
PYPROJECT = "pyproject.toml"
TEMPLATES = ("python-web", "python-worker", "static-site")

# RPM's own rules for a package name, and for version and release (no '-').
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+~^]*$")
# useradd's portable set; no shell metacharacters.
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_PATH_CHARS = re.compile(r"^[A-Za-z0-9._/+@=:,-]+$")
_UNIT = re.compile(r"^[A-Za-z0-9_.@-]+$")
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


def _pattern(regex: re.Pattern[str], expected: str) -> Any:
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


Line = Annotated[str, AfterValidator(_one_line)]
UnitLine = Annotated[str, AfterValidator(_one_line), AfterValidator(_no_percent)]
Text = Annotated[str, AfterValidator(_text_block)]
Name = Annotated[str, _pattern(_NAME, "a valid RPM name (letters, digits, ._+- )")]
Version = Annotated[str, _pattern(_VERSION, "a valid RPM version (letters, digits, ._+~^; no '-')")]
User = Annotated[str, _pattern(_USER, "a valid user name ([a-z_][a-z0-9_-]*, at most 32)")]
AbsPath = Annotated[str, AfterValidator(_abs_path)]
RelPath = Annotated[str, AfterValidator(_rel_path)]
Unit = Annotated[str, _pattern(_UNIT, "a valid systemd unit name")]
Mode = Annotated[str, _pattern(_MODE, "an octal file mode such as 0644")]
Port = Annotated[int, Field(ge=1, le=65535)]
EnvName = Annotated[str, _pattern(_ENV_NAME, "an environment variable name")]
HostPort = Annotated[str, _pattern(re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$"), "host:port")]
Seconds = Annotated[float, Field(gt=0, le=3600)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Service(_Model):
    """A long-running process under systemd."""

    name: Unit | None = None  # default: the app's name (first service) or name-N
    command: UnitLine  # a bare first word is the venv's: /opt/<name>/venv/bin/<word>
    user: User | None = None  # default: the app's name
    working_directory: AbsPath | None = None  # default: /opt/<name>/app
    environment: dict[EnvName, UnitLine] = {}
    port: Port | None = None  # what the service listens on
    enabled: bool = True  # enabled at boot through the app's preset file

    @model_validator(mode="after")
    def _no_quotes(self) -> Service:
        for key, value in self.environment.items():
            if '"' in value or "\\" in value:
                raise ValueError(f"environment.{key}: must not contain '\"' or '\\'")
        return self


class Nginx(_Model):
    """nginx in front of the app's service."""

    port: Port = 80
    upstream: HostPort | None = None  # default: 127.0.0.1:<first service port>
    server_name: Annotated[str, _pattern(re.compile(r"^[A-Za-z0-9._*-]+$"), "a server name")] = "_"


class LoadBalancer(_Model):
    """The real load balancer's health check settings, used by deploy hand-offs."""

    interval: Seconds = 30.0
    timeout: Seconds = 5.0
    healthy_threshold: Annotated[int, Field(ge=1, le=10)] = 2
    unhealthy_threshold: Annotated[int, Field(ge=1, le=10)] = 5


class HealthCheck(_Model):
    """The HTTP health check, with load-balancer semantics; local timings by default."""

    path: Annotated[str, _pattern(re.compile(r"^/[A-Za-z0-9._~/?=&+-]*$"), "a URL path")] = (
        "/health_check"
    )
    port: Port = 80
    expected_status: Annotated[int, Field(ge=100, le=599)] = 200
    interval: Seconds = 0.1
    timeout: Seconds = 1.0
    healthy_threshold: Annotated[int, Field(ge=1, le=10)] = 1
    deadline: Seconds = 30.0
    load_balancer: LoadBalancer = LoadBalancer()


class FileEntry(_Model):
    """An extra file from the app directory, installed at `dest`."""

    source: RelPath
    dest: AbsPath
    mode: Mode = "0644"
    owner: User = "root"
    group: User = "root"
    config: bool = False  # %config(noreplace): kept when the admin edited it


class DirEntry(_Model):
    """An extra directory the package owns."""

    path: AbsPath
    mode: Mode = "0755"
    owner: User = "root"
    group: User = "root"


class Scripts(_Model):
    """Extra shell lines appended to the package's scriptlets (`$1` as rpm passes it)."""

    pre: Text = ""
    post: Text = ""
    preun: Text = ""
    postun: Text = ""


class Rpmlint(_Model):
    """rpmlint settings: warnings the app accepts. Errors cannot be filtered."""

    filters: list[Line] = []


class AppConfig(_Model):
    """Everything rpmkit needs to know about one app."""

    name: Name
    version: Version
    release: Version = "1"
    summary: Line
    license: Line
    url: Line | None = None
    description: Text | None = None  # default: the summary
    template: Literal["python-web", "python-worker", "static-site"] | None = None
    spec: RelPath | None = None  # a hand-written spec, built as it is
    profile: str | None = None
    requires: list[Line] = []
    build_requires: list[Line] = []
    requirements: RelPath | None = None  # pip requirements file; python-* templates
    exclude: list[Line] = []  # source paths left out of the tarball, gitignore syntax
    static_root: RelPath = "public"  # static-site: the folder served
    services: list[Service] = []
    nginx: Nginx | None = None
    health_check: HealthCheck = HealthCheck()
    files: list[FileEntry] = []
    directories: list[DirEntry] = []
    scripts: Scripts = Scripts()
    rpmlint: Rpmlint = Rpmlint()

    @model_validator(mode="after")
    def _template_or_spec(self) -> AppConfig:
        if (self.template is None) == (self.spec is None):
            raise ValueError(
                "set exactly one of 'template' (python-web, python-worker, "
                "static-site) or 'spec' (a hand-written spec file)"
            )
        if self.template in ("python-web", "python-worker") and not self.services:
            raise ValueError(f"template {self.template} needs at least one [[services]] entry")
        if self.template == "static-site" and self.services:
            raise ValueError(
                "template static-site is served by nginx and runs no [[services]]; "
                "use python-web or python-worker for an app with services"
            )
        upstream = self.nginx.upstream if self.nginx else None
        if (
            self.template == "python-web"
            and not upstream
            and not any(s.port for s in self.services)
        ):
            raise ValueError(
                "template python-web needs a [[services]] port, or nginx.upstream, "
                "for nginx to proxy to"
            )
        return self

    @model_validator(mode="after")
    def _unit_names(self) -> AppConfig:
        names = self.service_names()
        for i, (service, unit) in enumerate(zip(self.services, names, strict=True)):
            if not _UNIT.match(unit) or names.index(unit) != i:
                raise ValueError(
                    f"services[{i}]: unit name {unit!r} is invalid or already taken; "
                    f"set services[{i}].name"
                )
            if service.user is None and not _USER.match(self.name):
                raise ValueError(
                    f"services[{i}]: the app's name {self.name!r} is not a valid "
                    f"user name; set services[{i}].user"
                )
        return self

    def service_names(self) -> list[str]:
        """Each service's unit name (no `.service`): its own, else the app's name, else name-N."""
        return [
            (s.name or (self.name if i == 0 else f"{self.name}-{i + 1}")).removesuffix(".service")
            for i, s in enumerate(self.services)
        ]


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config and where it came from."""

    app: AppConfig
    app_dir: Path
    source: Path  # the file it was read from


def find_config(app_dir: Path) -> Path | None:
    """The file holding the app's config, or None."""
    candidate = app_dir / CONFIG_FILE
    if candidate.is_file():
        return candidate
    pyproject = app_dir / PYPROJECT
    if pyproject.is_file() and "rpmkit" in toml.load(pyproject).get("tool", {}):
        return pyproject
    return None


def load(app_dir: Path, overrides: dict[str, str] | None = None) -> LoadedConfig:
    """Read and validate an app's config; ConfigError lists one line per problem."""
    if not app_dir.is_dir():
        raise ConfigError(f"{app_dir}: no such app directory")
    source = find_config(app_dir)
    if source is None:
        raise ConfigError(
            f"{app_dir}: no {CONFIG_FILE} and no [tool.rpmkit] in {PYPROJECT}",
            hint="run `rpmkit init` to create one",
        )
    data = toml.load(source)
    if source.name == PYPROJECT:
        data = data["tool"]["rpmkit"]
    data = {**data, **(overrides or {})}
    try:
        app = AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(source, exc)) from None
    _check_files_exist(app, app_dir, source)
    return LoadedConfig(app, app_dir.resolve(), source)


def _check_files_exist(app: AppConfig, app_dir: Path, source: Path) -> None:
    problems = []
    if app.requirements and not (app_dir / app.requirements).is_file():
        problems.append(f"{source}: requirements: file {app.requirements!r} not found")
    if app.spec and not (app_dir / app.spec).is_file():
        problems.append(f"{source}: spec: file {app.spec!r} not found")
    if app.template == "static-site" and not (app_dir / app.static_root).is_dir():
        problems.append(f"{source}: static_root: folder {app.static_root!r} not found")
    for i, entry in enumerate(app.files):
        if not (app_dir / entry.source).is_file():
            problems.append(f"{source}: files[{i}].source: file {entry.source!r} not found")
    if problems:
        raise ConfigError("\n".join(problems))


def _format(source: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in err["loc"])
        loc = loc.replace(".[", "[")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field"
        lines.append(f"{source}: {loc or '(top level)'}: {msg}")
    return "\n".join(lines)

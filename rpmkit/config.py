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
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from rpmkit import toml
from rpmkit.errors import ConfigError
from rpmkit.fields import (
    UNIT_RE,
    USER_RE,
    AbsPath,
    EnvName,
    HostPort,
    Line,
    Mode,
    Model,
    Name,
    Port,
    RelPath,
    Seconds,
    ServerName,
    Status,
    Text,
    Unit,
    UnitLine,
    UrlPath,
    User,
    Version,
    shown,
)
from rpmkit.handoff_config import Bake, Deploy, ProfileName, Publish, Scaffold
from rpmkit.rehearse_config import Rehearse

CONFIG_FILE = "rpmkit.toml"
PYPROJECT = "pyproject.toml"
TEMPLATES = ("python-web", "python-worker", "static-site")
# chkconfig and rpmlint want init script names without '.' (or systemd's '@').
SYSV_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class Service(Model):
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


class Nginx(Model):
    """nginx in front of the app's service."""

    port: Port = 80
    upstream: HostPort | None = None  # default: 127.0.0.1:<first service port>
    server_name: ServerName = "_"


class LoadBalancer(Model):
    """The real load balancer's health check settings, used by deploy hand-offs."""

    interval: Seconds = 30.0
    timeout: Seconds = 5.0
    healthy_threshold: Annotated[int, Field(ge=1, le=10)] = 2
    unhealthy_threshold: Annotated[int, Field(ge=1, le=10)] = 5


class HealthCheck(Model):
    """The HTTP health check, with load-balancer semantics; local timings by default."""

    path: UrlPath = "/health_check"
    port: Port = 80
    expected_status: Status = 200
    interval: Seconds = 0.1
    timeout: Seconds = 1.0
    healthy_threshold: Annotated[int, Field(ge=1, le=10)] = 1
    # Bad answers in a row, once the service's unit is active and its port listens,
    # that fail the check at once (the balancer marks the target unhealthy).
    unhealthy_threshold: Annotated[int, Field(ge=1, le=10)] = 3
    # The start period, the check's one timer: from the end of the install, the instance
    # has this long to boot and answer healthy. `start_period` is the same setting.
    deadline: Seconds = 30.0
    start_period: Seconds | None = None
    load_balancer: LoadBalancer = LoadBalancer()

    @model_validator(mode="after")
    def _one_timer(self) -> HealthCheck:
        if self.start_period is not None:
            if "deadline" in self.model_fields_set and self.deadline != self.start_period:
                raise ValueError("set start_period or deadline, not both: they are the same timer")
            object.__setattr__(self, "deadline", self.start_period)
        return self


class FileEntry(Model):
    """An extra file from the app directory, installed at `dest`."""

    source: RelPath
    dest: AbsPath
    mode: Mode = "0644"
    owner: User = "root"
    group: User = "root"
    config: bool = False  # %config(noreplace): kept when the admin edited it


class DirEntry(Model):
    """An extra directory the package owns."""

    path: AbsPath
    mode: Mode = "0755"
    owner: User = "root"
    group: User = "root"


class Scripts(Model):
    """Extra shell lines appended to the package's scriptlets (`$1` as rpm passes it)."""

    pre: Text = ""
    post: Text = ""
    preun: Text = ""
    postun: Text = ""


class CheckSettings(Model):
    """`[check]`: how the check judges the instance."""

    # Seconds the services must stay up, without restarts, with health passing, after
    # health first passed. 0 for the developer's quick check; the gate requires at least
    # bake.min_settle (default 5) in the receipt, so the CI check uses --settle 5 or more.
    settle: Annotated[float, Field(ge=0, le=600)] = 0.0
    # The instance's limits, like the instance type it stands for (default: a t3.small's
    # 2 GiB). A service that outgrows them is killed by the kernel, and the check says so.
    memory_mib: Annotated[int, Field(ge=64, le=1_048_576)] = 2048
    pids: Annotated[int, Field(ge=64, le=4_194_304)] = 4096
    # Units the package ships that nothing starts at boot on purpose (started by hand,
    # by another host, by D-Bus): otherwise a unit nothing starts fails the check.
    not_at_boot: list[Unit] = []


class Rpmlint(Model):
    """rpmlint settings: warnings the app accepts. Errors cannot be filtered."""

    filters: list[Line] = []


class AppConfig(Model):
    """Everything rpmkit needs to know about one app."""

    name: Name
    version: Version
    release: Version = "1"
    summary: Line
    license: Line
    url: Line | None = None
    description: Text | None = None  # default: the summary
    template: Literal["python-web", "python-worker", "static-site"] | None = None
    # How the services start at boot: systemd units, or SysV init scripts
    # registered with chkconfig (python-web and python-worker).
    init: Literal["systemd", "sysv"] = "systemd"
    spec: RelPath | None = None  # a hand-written spec, built as it is
    profile: ProfileName | None = None
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
    check: CheckSettings = CheckSettings()
    bake: Bake = Bake()
    publish: Publish = Publish()
    deploy: Deploy = Deploy()
    scaffold: Scaffold = Scaffold()
    rehearse: Rehearse = Rehearse()

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
            if not UNIT_RE.fullmatch(unit) or names.index(unit) != i:
                raise ValueError(
                    f"services[{i}]: unit name {unit!r} is invalid or already taken; "
                    f"set services[{i}].name"
                )
            if service.user is None and not USER_RE.fullmatch(self.name):
                raise ValueError(
                    f"services[{i}]: the app's name {self.name!r} is not a valid "
                    f"user name; set services[{i}].user"
                )
        return self

    @model_validator(mode="after")
    def _sysv_scripts(self) -> AppConfig:
        if self.init != "sysv":
            return self
        if self.template not in ("python-web", "python-worker"):
            raise ValueError(
                'init = "sysv" applies to the python-web and python-worker templates '
                "(their services become SysV init scripts)"
            )
        for i, unit in enumerate(self.service_names()):
            if not SYSV_NAME_RE.fullmatch(unit):
                raise ValueError(
                    f"services[{i}]: {unit!r} cannot name a SysV init script (letters, "
                    f"digits, '_' and '-' only); set services[{i}].name"
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
    if pyproject.is_file():
        tool = toml.load(pyproject).get("tool")
        if isinstance(tool, dict) and "rpmkit" in tool:
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
            hint=f"create {CONFIG_FILE} (examples/hello-world/{CONFIG_FILE} shows every "
            "common field) or add a [tool.rpmkit] table to pyproject.toml",
        )
    data = toml.load(source)
    if source.name == PYPROJECT:
        data = data["tool"]["rpmkit"]
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: tool.rpmkit: must be a table ([tool.rpmkit])")
    overrides = overrides or {}
    data = {**data, **overrides}
    try:
        app = AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(source, exc, set(overrides))) from None
    _check_files_exist(app, app_dir, source)
    return LoadedConfig(app, app_dir.resolve(), source)


def _check_files_exist(app: AppConfig, app_dir: Path, source: Path) -> None:
    """Each file the config names exists and, symlinks followed, stays in the repository."""
    from rpmkit import reqfile

    root = reqfile.repository_root(app_dir)
    named: list[tuple[str, str, str]] = []  # (key, path, "file" or "folder")
    if app.requirements:
        named.append(("requirements", app.requirements, "file"))
    if app.spec:
        named.append(("spec", app.spec, "file"))
    if app.template == "static-site":
        named.append(("static_root", app.static_root, "folder"))
    named += [(f"files[{i}].source", e.source, "file") for i, e in enumerate(app.files)]
    problems = []
    for key, value, kind in named:
        path = app_dir / value
        if not reqfile.inside(path, root):
            problems.append(
                f"{source}: {key}: {value!r} resolves outside the repository ({root}); "
                "copy the file into it"
            )
        elif not (path.is_dir() if kind == "folder" else path.is_file()):
            problems.append(f"{source}: {key}: {kind} {value!r} not found")
    if problems:
        raise ConfigError("\n".join(problems))
    if app.requirements:
        reqfile.read(app_dir / app.requirements, root)


def _loc_part(part: str | int) -> str:
    if isinstance(part, int):
        return f"[{part}]"
    if part == "[key]":  # pydantic's mark: the table key itself is wrong
        return part
    # A table key is the user's text: quoted when it is not a plain name, and cut short.
    return part if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", part) else f"[{shown(part)}]"


def _format(source: Path, exc: ValidationError, overridden: set[str]) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = ".".join(_loc_part(p) for p in err["loc"])
        loc = loc.replace(".[", "[")
        if loc in overridden:  # the value came from the command line, not the file
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"--{loc}: {msg}")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field"
        lines.append(f"{source}: {loc or '(top level)'}: {msg}")
    return "\n".join(lines)

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
from typing import Literal

from pydantic import ValidationError, model_validator

from rpmkit import templates, toml
from rpmkit.build.lint_config import Rpmlint
from rpmkit.build.package_config import (
    SYSV_NAME_RE,
    DirEntry,
    FileEntry,
    Nginx,
    Scripts,
    Service,
)  # fmt: skip
from rpmkit.build.python_config import Python
from rpmkit.check.config import CheckSettings, HealthCheck
from rpmkit.errors import ConfigError
from rpmkit.fields import (
    UNIT_RE,
    USER_RE,
    FileName,
    Line,
    MacroName,
    MacroValue,
    Model,
    Name,
    RelPath,
    Text,
    Version,
    shown,
)
from rpmkit.handoff.config import Bake, Deploy, ProfileName, Publish, Scaffold
from rpmkit.install.config import InstallSettings
from rpmkit.rehearse.config import Rehearse

CONFIG_FILE = "rpmkit.toml"
PYPROJECT = "pyproject.toml"
TEMPLATES = ("python-web", "python-worker", "static-site")


class AppConfig(Model):
    """Everything rpmkit needs to know about one app: the top level of `rpmkit.toml`."""

    name: Name
    """The RPM's `Name`; also the default service user and unit name, and `/opt/<name>`."""
    version: Version
    """The RPM's `Version` (no `-`); `--version` overrides it."""
    release: Version = "1"
    """`Release: <release>%{?dist}`; `--release` overrides it."""
    summary: Line
    """The RPM's `Summary`, and the units' `Description=`."""
    license: Line
    """The RPM's `License`."""
    url: Line | None = None
    """The RPM's `URL`."""
    description: Text | None = None
    """`%description`, several lines allowed. Default: the summary."""
    template: Literal["python-web", "python-worker", "static-site"] | None = None
    """The template that renders the spec; set exactly one of `template` and `spec`."""
    init: Literal["systemd", "sysv"] = "systemd"
    """How services start at boot: systemd units enabled by the app's preset, or (python-web
    and python-worker) SysV init scripts `/etc/rc.d/init.d/<name>` registered with
    `chkconfig --add`. nginx stays a systemd unit."""
    spec: RelPath | None = None
    """A hand-written spec file, built as it is."""
    profile: ProfileName | None = None
    """The target platform; `--profile` overrides it."""
    requires: list[Line] = []
    """Extra `Requires:` lines, e.g. `"libpq >= 13"`."""
    build_requires: list[Line] = []
    """Extra `BuildRequires:` lines."""
    requirements: RelPath | None = None
    """A pip requirements file installed into the app's venv (python-* templates)."""
    python: Python = Python()
    """The venv: requirements rpmkit adds itself (`extra_requirements`, such as the server)."""
    exclude: list[Line] = []
    """Source paths left out of the tarball, in `.gitignore` syntax (beside rpmkit's defaults)."""
    include: list[Line] = []
    """Files rpmkit leaves out by default as likely secrets (`.env`, keys) that do ship."""
    tarball: FileName | None = None
    """A hand-written spec's Source that is rpmkit's tarball of the app folder, when it is not
    named `<name>-<version>.tar.gz` (needed for a Source given as a URL)."""
    defines: dict[MacroName, MacroValue] = {}
    """rpm macros passed to rpmspec and rpmbuild as `--define "NAME VALUE"`."""
    static_root: RelPath = "public"
    """static-site: the folder served; it must exist."""
    services: list[Service] = []
    """The app's services; python-web and python-worker need at least one, static-site
    takes none."""
    nginx: Nginx | None = None
    """nginx in front of the app."""
    health_check: HealthCheck = HealthCheck()
    """The check's HTTP probe."""
    files: list[FileEntry] = []
    """Extra files from the app's sources."""
    directories: list[DirEntry] = []
    """Extra directories the package owns."""
    scripts: Scripts = Scripts()
    """Extra scriptlet lines."""
    rpmlint: Rpmlint = Rpmlint()
    """rpmlint warnings the app accepts."""
    check: CheckSettings = CheckSettings()
    """How the check judges the instance: settle window, units not started at boot, limits."""
    install: InstallSettings = InstallSettings()
    """The yum repositories the instance sees during the install, as the bake machine's."""
    bake: Bake = Bake()
    """How `rpmkit bake` gates and bakes."""
    publish: Publish = Publish()
    """Where `rpmkit publish` puts the RPM."""
    deploy: Deploy = Deploy()
    """How `rpmkit deploy` deploys."""
    scaffold: Scaffold = Scaffold()
    """How `rpmkit scaffold` creates the application."""
    rehearse: Rehearse = Rehearse()
    """How `rpmkit rehearse` rolls out locally."""

    @model_validator(mode="after")
    def _template_or_spec(self) -> AppConfig:
        if (self.template is None) == (self.spec is None):
            raise ValueError(
                "set exactly one of 'template' (python-web, python-worker, "
                "static-site) or 'spec' (a hand-written spec file)"
            )
        kind = self.kind
        if kind is None:
            return self
        if kind.services and not self.services:
            raise ValueError(f"template {kind.name} needs at least one [[services]] entry")
        if self.python.extra_requirements and not kind.python:
            raise ValueError(
                "python.extra_requirements: only the "
                f"{' and '.join(templates.names(python=True))} templates build a venv"
            )
        if not kind.services and self.services:
            raise ValueError(
                f"template {kind.name} is served by nginx and runs no [[services]]; use "
                f"{' or '.join(templates.names(services=True))} for an app with services"
            )
        upstream = self.nginx.upstream if self.nginx else None
        if kind.proxies and not upstream and not any(s.port for s in self.services):
            raise ValueError(
                f"template {kind.name} needs a [[services]] port, or nginx.upstream, "
                "for nginx to proxy to"
            )
        return self

    @property
    def kind(self) -> templates.Template | None:
        """The template's record (what it renders and runs); None for a hand-written spec."""
        return templates.get(self.template) if self.template else None

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
        if self.kind is None or not self.kind.sysv:
            raise ValueError(
                f'init = "sysv" applies to the {" and ".join(templates.names(sysv=True))} '
                "templates (their services become SysV init scripts)"
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
    from rpmkit.build import reqfile

    root = reqfile.repository_root(app_dir)
    named: list[tuple[str, str, str]] = []  # (key, path, "file" or "folder")
    if app.requirements:
        named.append(("requirements", app.requirements, "file"))
    if app.spec:
        named.append(("spec", app.spec, "file"))
    if app.kind is not None and app.kind.site:
        named.append(("static_root", app.static_root, "folder"))
    named += [(f"files[{i}].source", e.source, "file") for i, e in enumerate(app.files)]
    named += [(f"install.repo_files[{i}]", f, "file") for i, f in enumerate(app.install.repo_files)]
    named += [
        (f"install.repos[{i}].gpgkey", r.gpgkey, "file")
        for i, r in enumerate(app.install.repos)
        if r.gpgkey and "://" not in r.gpgkey
    ]
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
        elif err["type"] == "finite_number":
            msg = f"must be a number, not {shown(str(err.get('input')))}"
        lines.append(f"{source}: {loc or '(top level)'}: {msg}")
    return "\n".join(lines)

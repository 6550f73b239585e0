"""The spec stage: an app's config -> the text of its RPM spec file."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from rpmkit.build import arch as payload_arch
from rpmkit.build.package_config import Nginx
from rpmkit.config import AppConfig, LoadedConfig
from rpmkit.errors import ConfigError
from rpmkit.resources import specs_dir

LICENSE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING")
# The %changelog entry's date is fixed: the same config always renders the same spec.
CHANGELOG_DATE = "Thu Jan 01 2026"
_NOARCH = re.compile(r"^\s*BuildArch\s*:\s*noarch\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Spec:
    """A rendered spec and what the build stage needs to know about it."""

    name: str
    version: str
    release: str  # without %{?dist}
    arch: str  # "noarch", or the machine the builder runs on
    text: str
    sources: tuple[str, ...]  # Source0, Source1, ... file names, in order
    template: str | None = None  # None for a hand-written spec
    units: tuple[str, ...] = ()  # the app's own systemd units
    enabled_units: tuple[str, ...] = ()  # what its preset enables at boot, nginx included
    init_scripts: tuple[str, ...] = ()  # init = "sysv": the services' SysV init scripts


@dataclass(frozen=True)
class Unit:
    """One service as its unit file has it: defaults filled in, ExecStart resolved."""

    name: str  # e.g. hello-world.service
    description: str
    user: str
    exec_start: str
    working_directory: str
    environment: tuple[tuple[str, str], ...]
    enabled: bool


@dataclass(frozen=True)
class InitScript:
    """One service as a SysV init script (init = "sysv")."""

    name: str  # the script's name under /etc/rc.d/init.d, as chkconfig knows it
    description: str
    user: str
    command: str  # run by /bin/sh as `user`, first word resolved like ExecStart
    working_directory: str
    exports: tuple[str, ...]  # `KEY='value'` for the script's `export` lines
    enabled: bool  # on in runlevels 2-5 when %post registers it


def render(loaded: LoadedConfig, arch: str | None = None) -> Spec:
    """Render the app's template, or read its hand-written spec unchanged.

    `arch` is the template's architecture as the build decides it from the
    payload (`rpmkit.build.arch`: "noarch" when nothing shipped is compiled code);
    without it a template renders for this machine, and static-site as noarch.
    A hand-written spec keeps its own (rpm reads it in the builder).
    """
    app = loaded.app
    sources = source_names(app)
    if app.spec is not None:
        path = loaded.app_dir / app.spec
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the spec file ({exc})") from exc
        arch = "noarch" if _NOARCH.search(text) else build_arch()
        return Spec(app.name, app.version, app.release, arch, text, sources[:1])
    assert app.template is not None  # config accepts exactly one of spec and template
    units = resolve_units(app)
    scripts: list[InitScript] = []
    if app.init == "sysv":
        scripts, units = init_scripts(app, units), []
    context = _context(loaded, units, sources, scripts, arch)
    text = environment(specs_dir()).get_template(f"{app.template}.spec.j2").render(context)
    return Spec(
        name=app.name,
        version=app.version,
        release=app.release,
        arch=context["arch"],
        text=text,
        sources=sources,
        template=app.template,
        units=tuple(u.name for u in units),
        enabled_units=tuple(context["enabled_units"]),
        init_scripts=tuple(s.name for s in scripts),
    )


def source_names(app: AppConfig) -> tuple[str, ...]:
    """Source0 (the app tarball) and, for a python template with requirements, Source1 (wheels).

    Requirements are the requirements file, `python.extra_requirements`, or both.
    """
    names = [f"{app.name}-{app.version}.tar.gz"]
    if (
        app.kind is not None
        and app.kind.python
        and (app.requirements or app.python.extra_requirements)
    ):
        names.append(f"{app.name}-{app.version}-wheels.tar")
    return tuple(names)


def build_arch(machine: str | None = None) -> str:
    """RPM's name for this machine's architecture (what an arch-specific build produces)."""
    return payload_arch.machine_arch(machine)


def exec_start(command: str, venv: str) -> str:
    """The command with a bare first word (`gunicorn`) resolved to the venv's bin/."""
    first, *rest = command.strip().split(maxsplit=1)
    if "/" not in first:
        first = f"{venv}/bin/{first}"
    return " ".join([first, *rest])


def resolve_units(app: AppConfig) -> list[Unit]:
    """The app's services as systemd units."""
    root = f"/opt/{app.name}"
    # rpm turns '%%' into '%', which systemd would read as a specifier: keep it '%%'.
    description = app.summary.replace("%%", "%%%%")
    units = []
    for service, stem in zip(app.services, app.service_names(), strict=True):
        units.append(
            Unit(
                name=f"{stem}.service",
                description=description if len(app.services) == 1 else f"{description} ({stem})",
                user=service.user or app.name,
                exec_start=exec_start(service.command, f"{root}/venv"),
                working_directory=service.working_directory or f"{root}/app",
                environment=tuple(sorted(service.environment.items())),
                enabled=service.enabled,
            )
        )
    return units


def init_scripts(app: AppConfig, units: list[Unit]) -> list[InitScript]:
    """The app's services as SysV init scripts: what their units would run, run by sh."""
    return [
        InitScript(
            name=unit.name.removesuffix(".service"),
            description=app.summary,
            user=unit.user,
            command=unit.exec_start,
            working_directory=unit.working_directory,
            exports=tuple(f"{key}={shlex.quote(value)}" for key, value in unit.environment),
            enabled=unit.enabled,
        )
        for unit in units
    ]


@cache
def environment(directory: Path) -> jinja2.Environment:
    """The jinja2 environment templates in `directory` render with: a missing value is an error."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def _context(
    loaded: LoadedConfig,
    units: list[Unit],
    sources: tuple[str, ...],
    scripts: list[InitScript],
    arch: str | None,
) -> dict[str, Any]:
    app = loaded.app
    kind = app.kind
    assert kind is not None, "a hand-written spec is not rendered"
    nginx = None
    if kind.nginx:
        nginx = app.nginx or Nginx()
    enabled = [u.name for u in units if u.enabled] + (["nginx.service"] if nginx else [])
    users = {u.user for u in units} | {s.user for s in scripts}
    upstream = None
    if kind.proxies:
        port = next((s.port for s in app.services if s.port), None)
        upstream = (nginx.upstream if nginx else None) or f"127.0.0.1:{port}"
    return {
        "app": app,
        "name": app.name,
        "version": app.version,
        "release": app.release,
        "config_file": loaded.source.name,
        "arch": arch or ("noarch" if kind.always_noarch else build_arch()),
        "sources": list(enumerate(sources)),
        "license_file": next((f for f in LICENSE_FILES if (loaded.app_dir / f).is_file()), None),
        "root": f"/opt/{app.name}",
        "units": units,
        # systemd units or presets to install (a SysV worker has neither).
        "uses_systemd": bool(units or nginx),
        "init_scripts": scripts,
        "users": sorted(users),
        "enabled_units": enabled,
        "disabled_units": [u.name for u in units if not u.enabled],
        "nginx": nginx,
        # static-site: where the site's files go and what nginx serves.
        "site_root": f"%{{_datadir}}/{app.name}" if kind.site else None,
        "upstream": upstream,
        "health_location": _health_location(loaded),
        "changelog_date": CHANGELOG_DATE,
    }


def _health_location(loaded: LoadedConfig) -> str | None:
    """static-site: the health check's path, when no file in the site answers it."""
    app = loaded.app
    if app.kind is None or not app.kind.site:
        return None
    path = app.health_check.path.split("?", 1)[0]
    served = path.lstrip("/") + ("index.html" if path.endswith("/") else "")
    if (loaded.app_dir / app.static_root / served).is_file():
        return None
    return path

"""Spec templates as data: what each one renders, runs and is checked for.

Like the profiles, a template is a small record; code asks the record
("does it run nginx?") instead of branching on a template's name. The
templates' text lives in the top-level `specs/` folder.
"""

from __future__ import annotations

from dataclasses import dataclass

from rpmkit.errors import ConfigError


@dataclass(frozen=True)
class Template:
    """One spec template."""

    name: str
    summary: str
    python: bool  # vendors a virtualenv from the app's requirements under /opt/<name>
    services: bool  # runs the app's [[services]] (at least one required); else none allowed
    nginx: bool  # ships an nginx server block and enables nginx
    proxies: bool  # nginx proxies to a service (python-web), rather than serving files
    serves_http: bool  # answers HTTP: the health check applies
    site: bool  # ships a static site from `static_root`
    sysv: bool  # its services may be SysV init scripts (`init = "sysv"`)

    @property
    def always_noarch(self) -> bool:
        """No compiled code can ship (only files to serve): always noarch."""
        return not self.python


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            "python-web", "a Python web app behind nginx", python=True, services=True,
            nginx=True, proxies=True, serves_http=True, site=False, sysv=True,
        ),
        Template(
            "python-worker", "a Python background service (no HTTP)", python=True,
            services=True, nginx=False, proxies=False, serves_http=False, site=False, sysv=True,
        ),
        Template(
            "static-site", "static files served by nginx", python=False, services=False,
            nginx=True, proxies=False, serves_http=True, site=True, sysv=False,
        ),
    )
}  # fmt: skip


def get(name: str) -> Template:
    """A template by name; ConfigError listing the known ones."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise ConfigError(
            f"unknown template {name!r}", hint=f"choose one of: {', '.join(TEMPLATES)}"
        ) from None


def names(**wanted: bool) -> tuple[str, ...]:
    """The templates whose fields have the given values: `names(python=True)`."""
    return tuple(
        t.name for t in TEMPLATES.values() if all(getattr(t, k) == v for k, v in wanted.items())
    )

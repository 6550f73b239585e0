"""Decide every value of an app's rpmkit.toml from its folder; refuse what would fail.

A WSGI or ASGI app (see `apps`) becomes python-web: its server on loopback
(see `serve`), nginx on NGINX_PORT proxying to it, the health check on the
best health route the code shows. A `public/index.html` makes a
static-site; a script with a `__main__` block a python-worker.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from rpmkit import templates
from rpmkit.errors import ConfigError
from rpmkit.init import (
    apps,
    django,
    environ,
    metadata,
    modules,
    requirements,
    routes,
    scripts,
    serve,
    shebangs,
)
from rpmkit.init.apps import AppObject

NGINX_PORT = 80
# Health paths, best first; the trailing-slash form is Django's.
HEALTH_PATHS = ("/health_check", "/health", "/healthz")
NO_LICENSE = "NOASSERTION"  # SPDX: no licence could be determined


@dataclass(frozen=True)
class Detected:
    """What `rpmkit init` found, and will write."""

    name: str
    version: str
    summary: str
    license: str
    template: str  # python-web, python-worker or static-site
    requirements: str | None = None
    extra_requirements: tuple[str, ...] = ()
    app: AppObject | None = None
    command: str | None = None  # the service's command (python-web, python-worker)
    port: int | None = None  # where the service listens (python-web)
    environment: tuple[tuple[str, str], ...] = ()
    health_path: str = "/"
    static_root: str | None = None
    exclude: tuple[str, ...] = ()
    accepts: tuple[shebangs.Accept, ...] = ()  # [[rpmlint.accept]] for the app's own files
    # Why each value is what it is, for the config's comments: key -> one sentence.
    why: dict[str, str] = field(default_factory=dict, compare=False)
    said: tuple[str, ...] = field(default=(), compare=False)  # what was found
    notes: tuple[str, ...] = field(default=(), compare=False)  # what to look at


def detect(app_dir: Path) -> Detected:
    """Every field of the config; ConfigError (exit 2) when nothing fits or it would fail."""
    found = _detect(app_dir)
    if not found.summary:
        # Not the name again (rpmlint: name-repeated-in-summary): what kind of app it is.
        found = replace(found, summary=_kind_summary(found))
    if templates.get(found.template).site:
        return found
    accepts, problems = shebangs.findings(app_dir, found.name, found.exclude)
    if problems:
        raise ConfigError("\n".join(problems), hint="fix the above, then run rpmkit init again")
    said = [f"{a.path.split('/app/', 1)[1]}: {a.check} accepted ({a.reason})" for a in accepts]
    return replace(found, accepts=tuple(accepts), said=(*found.said, *said))


def _kind_summary(found: Detected) -> str:
    kind = templates.get(found.template)
    if kind.site:
        return "Static web site served by nginx"
    if not kind.serves_http:
        return "Python worker service"
    framework = found.app.framework.name if found.app else ""
    if framework in ("", "WSGI", "WSGI function", "app factory"):
        return "Python web application"
    name = framework.removesuffix(" (ASGI)")
    return f"{name[0].upper()}{name[1:]} web application"  # rpmlint: summary-not-capitalized


def _detect(app_dir: Path) -> Detected:
    parsed = modules.parse(app_dir)
    try:
        app = apps.find(parsed)
    except apps.BottleDefaultApp as exc:
        raise ConfigError(
            f"{app_dir / exc.path}: routes on bottle's default app, which no module names "
            "for a server to load",
            hint=f"add `app = bottle.default_app()` at the end of {exc.path}, then run "
            "rpmkit init again",
        ) from None
    served = scripts.serving(parsed) if app is None else None
    # The serving module's docstring can say what the app is (Django's is boilerplate).
    named = app.module if app and app.framework.name != "Django" else None
    named = served[0].name if served else named
    base = _metadata(app_dir, [m for m in parsed if m.name == named])
    if app is not None:
        return _web(app_dir, base, parsed, app)
    if served is not None:
        return _script_server(app_dir, base, *served)
    if (app_dir / "public" / "index.html").is_file():
        why = {**base.why, "template": "public/index.html: nginx serves the folder"}
        return replace(base, template="static-site", static_root="public", why=why)
    script = scripts.find_worker(app_dir)
    if script is not None:
        return replace(
            base,
            template="python-worker",
            command=f"python {script}",
            requirements=requirements.find(app_dir),
        )
    raise ConfigError(
        f"{app_dir}: found no WSGI or ASGI app (Flask(...), create_app(), "
        "def application(environ, start_response), bottle, falcon, Django's wsgi.py), no "
        "public/index.html and no script with a __main__ block",
        hint="write rpmkit.toml by hand; examples/hello-world/rpmkit.toml shows every common field",
    )


def _metadata(app_dir: Path, serving: list[modules.Module]) -> Detected:
    project = metadata.project(app_dir)
    name = metadata.rpm_name(str(project.get("name") or app_dir.resolve().name))
    version = str(project.get("version") or "0.1.0")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+~^]*", version):
        version = "0.1.0"
    why: dict[str, str] = {}
    notes: list[str] = []
    sentence, source = _summary_source(app_dir, project, serving)
    summary = metadata.clean_summary(sentence) if sentence else None
    if summary:
        why["summary"] = f"from {source}"
    else:
        summary = ""  # said by kind once the kind is known (see detect)
        reason = (
            f"{source} is longer than {metadata.MAX_SUMMARY} characters"
            if sentence
            else "no pyproject description, README sentence or module docstring"
        )
        why["summary"] = f"{reason}: write a one-line summary"
        notes.append(f"summary: {reason}")
    spdx, where = metadata.license_of(app_dir)
    if spdx:
        why["license"] = f"from {where}"
    else:
        why["license"] = f"{where}: set the app's SPDX licence id"
        notes.append(f"license: {where}; wrote {NO_LICENSE!r} (SPDX: not determined)")
    exclude = tuple(f"{p.name}/" for p in sorted(app_dir.iterdir()) if (p / "pyvenv.cfg").is_file())
    return Detected(
        name=name,
        version=version,
        summary=summary,
        license=spdx or NO_LICENSE,
        template="python-web",
        exclude=exclude,
        why=why,
        notes=tuple(notes),
    )


def _summary_source(
    app_dir: Path, project: dict[str, object], serving: list[modules.Module]
) -> tuple[str | None, str]:
    """The text the summary comes from, and what it is, best first."""
    described = project.get("description")
    if described:
        return str(described), "pyproject.toml's description"
    readme = metadata.readme_summary(app_dir)
    if readme:
        return readme, "the README's first sentence"
    for module in serving:
        docstring = ast.get_docstring(module.tree)
        if docstring:
            paragraph = " ".join(docstring.split("\n\n", 1)[0].split())
            return metadata.first_sentence(paragraph), f"the docstring of {module.path}"
    return None, ""


def _web(app_dir: Path, base: Detected, parsed: list[modules.Module], app: AppObject) -> Detected:
    said = [f"{app.path}: {app.framework.name} `{app.callable}` ({app.target})"]
    notes = list(base.notes)
    problems: list[str] = []
    why = dict(base.why)
    found_file = requirements.find(app_dir)
    listed = (
        requirements.read(app_dir / found_file) if found_file else requirements.Listed(frozenset())
    )
    wanted = app.framework.distribution
    if found_file is None:
        declared = metadata.project(app_dir).get("dependencies")
        if declared:
            problems.append(
                f"{app_dir}: pyproject.toml lists dependencies but there is no requirements "
                "file, and rpmkit installs from one: write requirements.txt (`pip freeze`, or "
                "`pip-compile -o requirements.txt pyproject.toml`)"
            )
        elif wanted:
            problems.append(
                f"{app_dir}: no requirements.txt, and {app.path} needs {wanted}: write one "
                f"that lists {wanted}"
            )
    elif wanted and not listed.lists(wanted):
        notes.append(
            f"{found_file} does not name {wanted}, which {app.path} imports: add it, unless "
            "something it lists pulls it in"
        )
    plan = serve.plan(app_dir, app, listed.names, base.name)
    said += plan.said
    notes += plan.notes
    problems += plan.problems
    environment = dict(plan.environment)
    imported = {app.module, f"{app.module.rsplit('.', 1)[0]}.settings"}  # Django's too
    for module in (m for m in parsed if m.name in imported):
        for variable in environ.required(module):
            if "PORT" in variable:
                environment[variable] = str(plan.port)
                said.append(f"{module.path} reads ${variable}: the unit sets it to {plan.port}")
            else:
                problems.append(
                    f"{module.path} reads os.environ[{variable!r}] when it is imported, and "
                    "the service's unit does not set it: the app would not start. Read it "
                    f"with a default (os.environ.get({variable!r}, ...)), or where it is used; "
                    "a secret comes from the instance, not from the package"
                )
    extra = tuple(d for d in plan.needs if not listed.lists(d))
    if extra:
        what = found_file or "the app (it has no requirements file)"
        why["extra_requirements"] = (
            f"{what} does not list {', '.join(extra)}, which the service's command needs: "
            f"rpmkit adds {'it' if len(extra) == 1 else 'them'} to the venv itself"
        )
        said.append(
            f"{found_file or 'no requirements file'}: no {', '.join(extra)}; added to "
            "[python] extra_requirements (the app's files are not changed)"
        )
    seen = routes.seen(parsed, app)
    health = next(
        (p for h in HEALTH_PATHS for p in (h, h + "/") if p in seen.paths),
        "/",
    )
    if health == "/" and not seen.answers("/") and app.framework.name != "Django":
        notes.append(
            "no /health_check, /health, /healthz or / route seen in the code: the health "
            "check asks / for a 200; add a health route or set [health_check] path"
        )
    if health != "/":
        why["health_path"] = "the app's health route"
    elif app.framework.name == "Django":
        why["health_path"] = (
            "no health route seen; Django's welcome page answers / while DEBUG is on"
        )
    else:
        why["health_path"] = "no health route seen; / " + (
            "answers" if seen.answers("/") else "is not seen either"
        )

    if app.framework.name == "Django":
        warned, refused = django.check(parsed, app, seen)
        notes += warned
        problems += refused
    if problems:
        raise ConfigError("\n".join(problems), hint="fix the above, then run rpmkit init again")
    if plan.port_from:
        why["port"] = plan.port_from
    return replace(
        base,
        requirements=found_file,
        extra_requirements=extra,
        app=app,
        command=plan.command,
        port=plan.port,
        environment=tuple(sorted(environment.items())),
        health_path=health,
        why=why,
        said=tuple(said),
        notes=tuple(notes),
    )


def _script_server(app_dir: Path, base: Detected, module: modules.Module, port: int) -> Detected:
    seen = routes.compared_paths(module)
    health = next((p for p in HEALTH_PATHS if p in seen.paths), "/")
    return replace(
        base,
        requirements=requirements.find(app_dir),
        command=f"python {module.path.as_posix()}",
        port=port,
        health_path=health,
        said=(f"{module.path}: serves HTTP itself on port {port}",),
        why={**base.why, "port": f"the port {module.path} listens on"},
    )

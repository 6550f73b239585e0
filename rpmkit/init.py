"""`rpmkit init`: an `rpmkit.toml` for an existing app, from what its folder holds.

A WSGI app (a module-level `app = Flask(__name__)`, a WSGI `application`, or
a `create_app()` factory, found by parsing the sources, never importing them)
becomes a python-web app served by gunicorn on 127.0.0.1:8000 behind nginx on
port 80; a `public/index.html` a static-site; a script with a `__main__`
block a python-worker. Name, version, summary and licence come from
`pyproject.toml`, the folder's name, the README and the LICENSE file.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from rpmkit import toml
from rpmkit.errors import ConfigError, RpmkitError

SERVICE_PORT = 8000
NGINX_PORT = 80
DEFAULT_HEALTH = "/health_check"
# Health paths tried in this order when the app routes one of them.
HEALTH_PATHS = (DEFAULT_HEALTH, "/health", "/healthz", "/healthcheck", "/status", "/ping")
# Files a WSGI callable is looked for in first; then every other module, sorted.
ENTRY_MODULES = ("app.py", "wsgi.py", "application.py", "main.py", "server.py", "web.py")
WSGI_FACTORIES = ("Flask", "Bottle", "App", "API", "get_wsgi_application")
SKIPPED_DIRS = frozenset({"tests", "test", "docs", "dist", "build", "node_modules", "venv"})
MAX_SUMMARY = 79  # rpmlint: summary-too-long


@dataclass(frozen=True)
class WsgiApp:
    """Where the WSGI callable is, as gunicorn names it (`module:callable`)."""

    module: str  # importable from the app folder: "app", "pkg.wsgi"
    callable: str  # "app", "application", "create_app()"
    framework: str  # "Flask", "WSGI", ...
    routes: tuple[str, ...] = ()  # the literal paths the module routes

    @property
    def target(self) -> str:
        """gunicorn's APP_MODULE argument."""
        return f"{self.module}:{self.callable}"


@dataclass(frozen=True)
class Detected:
    """What `rpmkit init` found, and will write."""

    name: str
    version: str
    summary: str
    license: str
    template: str  # python-web, python-worker or static-site
    requirements: str | None = None
    wsgi: WsgiApp | None = None
    command: str | None = None  # the service's command (python-web, python-worker)
    health_path: str = DEFAULT_HEALTH
    static_root: str | None = None
    exclude: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)  # things the user should look at


def detect(app_dir: Path) -> Detected:
    """Look at the app's folder and decide every field; ConfigError when nothing fits."""
    project = _pyproject(app_dir)
    name = rpm_name(str(project.get("name") or app_dir.resolve().name))
    version = str(project.get("version") or "0.1.0")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+~^]*", version):
        version = "0.1.0"
    summary = clean_summary(str(project.get("description") or readme_summary(app_dir) or ""))
    requirements = "requirements.txt" if (app_dir / "requirements.txt").is_file() else None
    exclude = tuple(f"{p.name}/" for p in sorted(app_dir.iterdir()) if (p / "pyvenv.cfg").is_file())
    base = Detected(
        name=name,
        version=version,
        summary=summary or f"The {name} app",
        license=license_of(app_dir),
        template="python-web",
        requirements=requirements,
        exclude=exclude,
    )
    wsgi = find_wsgi(app_dir)
    if wsgi is not None:
        notes = []
        if requirements is None:
            notes.append("no requirements.txt: the venv gets no packages, not even gunicorn")
        elif not _lists(app_dir / requirements, "gunicorn"):
            notes.append(f"{requirements} does not list gunicorn, which runs the app: add it")
        health = next((p for p in HEALTH_PATHS if p in wsgi.routes), None)
        if health is None:
            health = "/" if "/" in wsgi.routes else DEFAULT_HEALTH
            notes.append(
                f"no health check route found: the check asks {health} for a 200; "
                f"add a {DEFAULT_HEALTH} route or set [health_check] path"
            )
        command = f"gunicorn --bind 127.0.0.1:{SERVICE_PORT} {wsgi.target}"
        return replace(base, wsgi=wsgi, command=command, health_path=health, notes=tuple(notes))
    if (app_dir / "public" / "index.html").is_file():
        return replace(base, template="static-site", static_root="public", requirements=None)
    script = find_script(app_dir)
    if script is not None:
        return replace(base, template="python-worker", command=f"python {script}")
    raise ConfigError(
        f"{app_dir}: found no WSGI app (Flask(...), application, create_app), no "
        "public/index.html and no script with a __main__ block",
        hint="write rpmkit.toml by hand; examples/hello-world/rpmkit.toml shows every common field",
    )


def rpm_name(text: str) -> str:
    """A package name that is also a valid user name: lower case, letters, digits and '-'."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not name or not name[0].isalpha():
        name = f"app-{name}".strip("-")
    return name[:32].rstrip("-")


def clean_summary(text: str) -> str:
    """One line rpm and rpmlint accept: no markup, no '%', no final dot, at most 79 chars."""
    line = " ".join(text.split())
    line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # markdown links
    line = line.replace("`", "").replace("*", "").replace("%", " percent").strip()
    line = line.rstrip(".").strip()
    if len(line) > MAX_SUMMARY:
        line = line[:MAX_SUMMARY].rsplit(" ", 1)[0].rstrip(",;:")
    return line


def readme_summary(app_dir: Path) -> str | None:
    """The first sentence of the README's first paragraph of prose."""
    for name in ("README.md", "README.rst", "README.txt", "README"):
        path = app_dir / name
        if not path.is_file():
            continue
        paragraph: list[str] = []
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.strip()
            heading = line.startswith(("#", "=", "-", "```", "|", "<", "[!", "..")) or not line
            if heading and paragraph:
                break
            if not heading:
                paragraph.append(line)
        text = " ".join(paragraph)
        if text:
            return re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
    return None


def license_of(app_dir: Path) -> str:
    """The SPDX name of the LICENSE file's licence, else the pyproject's, else Proprietary."""
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING"):
        path = app_dir / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")[:4000]
            for marker, spdx in (
                ("Permission is hereby granted, free of charge", "MIT"),
                ("Apache License", "Apache-2.0"),
                ("GNU GENERAL PUBLIC LICENSE", "GPL-3.0-or-later"),
                ("Redistribution and use in source and binary forms", "BSD-3-Clause"),
                ("Mozilla Public License", "MPL-2.0"),
            ):
                if marker in text:
                    return spdx
    found = _pyproject(app_dir).get("license")
    if isinstance(found, str) and found.strip() and "\n" not in found:
        return found.strip()
    if isinstance(found, dict) and isinstance(found.get("text"), str) and len(found["text"]) < 60:
        return str(found["text"]).strip() or "Proprietary"
    return "Proprietary"


def find_wsgi(app_dir: Path) -> WsgiApp | None:
    """The first WSGI callable in the app's modules, entry-point names first."""
    for path in _modules(app_dir):
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError):
            continue
        found = wsgi_callable(tree)
        if found is not None:
            module = ".".join(path.relative_to(app_dir).with_suffix("").parts)
            module = module.removesuffix(".__init__")
            return WsgiApp(module, found[0], found[1], tuple(routes(tree)))
    return None


def wsgi_callable(tree: ast.Module) -> tuple[str, str] | None:
    """(callable as gunicorn names it, framework) for a module's WSGI app, if it has one."""
    candidates: list[tuple[int, str, str]] = []
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            factory = _called_name(node.value.func)
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                if factory in WSGI_FACTORIES:
                    framework = "WSGI" if factory == "get_wsgi_application" else factory
                    candidates.append((0, target.id, framework))
                elif target.id == "application":
                    candidates.append((1, target.id, "WSGI"))
        elif (
            isinstance(node, ast.FunctionDef)
            and node.name in ("create_app", "make_app")
            and len(node.args.args) == len(node.args.defaults)  # callable with no arguments
        ):
            candidates.append((2, f"{node.name}()", "factory"))
    if not candidates:
        return None
    _, name, framework = min(candidates, key=lambda c: c[0])
    return name, framework


def routes(tree: ast.Module) -> Iterator[str]:
    """The literal paths in route decorators: `@app.get("/x")`, `@bp.route("/y")`."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr in ("route", "get", "head", "api_route")
                and decorator.args
                and isinstance(decorator.args[0], ast.Constant)
                and isinstance(decorator.args[0].value, str)
            ):
                yield decorator.args[0].value


def find_script(app_dir: Path) -> str | None:
    """A top-level script with an `if __name__ == "__main__":` block (a worker)."""
    for path in _modules(app_dir):
        if path.parent != app_dir:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if re.search(r"^if __name__ == ['\"]__main__['\"]\s*:", text, re.MULTILINE):
            return path.name
    return None


def render(found: Detected) -> str:
    """The rpmkit.toml text, with a comment on each choice that was guessed."""
    lines = [
        "# Made by `rpmkit init` from what it found here: check each value, then",
        "# `rpmkit run .` builds the RPM and checks it installs, boots and stays healthy.",
        f"name = {_quote(found.name)}",
        f"version = {_quote(found.version)}",
        f"summary = {_quote(found.summary)}",
        f"license = {_quote(found.license)}",
        f"template = {_quote(found.template)}",
    ]
    if found.requirements and found.template != "static-site":
        lines.append(f"requirements = {_quote(found.requirements)}")
    if found.static_root:
        lines.append(f"static_root = {_quote(found.static_root)}  # the folder nginx serves")
    if found.exclude:
        lines.append(f"exclude = [{', '.join(_quote(e) for e in found.exclude)}]")
    if found.command:
        lines += ["", "[[services]]"]
        if found.wsgi is not None:
            lines.append(
                f"# gunicorn, from the venv, serves the {found.wsgi.framework} app "
                f"`{found.wsgi.callable}` in module `{found.wsgi.module}`."
            )
        lines.append(f"command = {_quote(found.command)}")
        if found.template == "python-web":
            lines.append(f"port = {SERVICE_PORT}")
    if found.template == "python-web":
        lines += ["", "[nginx]", f"port = {NGINX_PORT}  # nginx proxies this port to the service"]
    if found.template != "python-worker":
        lines += ["", "[health_check]", "# What the load balancer asks; 200 means healthy."]
        lines += [f"path = {_quote(found.health_path)}", f"port = {NGINX_PORT}"]
    return "\n".join(lines) + "\n"


def validate(text: str) -> None:
    """Raise ConfigError if the text is not a config rpmkit accepts."""
    import tempfile

    from pydantic import ValidationError

    from rpmkit.config import AppConfig

    with tempfile.TemporaryDirectory(prefix="rpmkit-init-") as tmp:
        path = Path(tmp) / "rpmkit.toml"
        path.write_text(text, encoding="utf-8")
        data = toml.load(path)
    try:
        AppConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"the config rpmkit init made is not valid: {problems}") from None


def _quote(value: str) -> str:
    # A JSON string is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _modules(app_dir: Path) -> list[Path]:
    """Python files of the app and of its packages one folder down, entry-point names first."""
    files = []
    for path in [*app_dir.glob("*.py"), *app_dir.glob("*/*.py")]:
        folder = path.relative_to(app_dir).parts[:-1]
        if folder and (folder[0].startswith(".") or folder[0] in SKIPPED_DIRS):
            continue
        if (path.parent / "pyvenv.cfg").exists() or path.name.startswith("test_"):
            continue
        if path.name not in ("setup.py", "conftest.py", "noxfile.py"):
            files.append(path)
    order = {name: i for i, name in enumerate(ENTRY_MODULES)}
    return sorted(
        files,
        key=lambda p: (p.parent != app_dir, order.get(p.name, len(order)), p.as_posix()),
    )


def _lists(requirements: Path, package: str) -> bool:
    pattern = re.compile(rf"^\s*{re.escape(package)}\s*(\[|[=<>~!;]|$)", re.IGNORECASE)
    text = requirements.read_text(encoding="utf-8", errors="replace")
    return any(pattern.match(line) for line in text.splitlines())


def _pyproject(app_dir: Path) -> dict[str, object]:
    path = app_dir / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        project = toml.load(path).get("project", {})
    except RpmkitError:
        return {}
    return project if isinstance(project, dict) else {}

"""Which object serves the app: its WSGI (or ASGI) callable, found in the parsed modules.

Looked for at module level, best kind first (ties go to the module looked at
first, see `modules.parse`):

0. an app object a framework makes: `Flask(...)`, `Quart(...)`, `Bottle()`,
   `bottle.default_app()`, falcon's `App()`/`API()`, Django's
   `get_wsgi_application()`, `FastAPI()`, pyramid's `.make_wsgi_app()`;
1. the result of an app factory: `app = create_app()`;
2. a WSGI function, `def application(environ, start_response)` (or `app`), or
   an instance of a class whose `__call__` takes `(environ, start_response)`;
3. a factory that needs no arguments, `def create_app()`: `module:create_app()`;
4. any other module-level `application = ...` (PEP 3333's conventional name).

The names come from the framework imports, so `App()` is falcon's only when
it was imported from falcon.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Literal

from rpmkit.init.modules import Module

Interface = Literal["wsgi", "asgi"]


@dataclass(frozen=True)
class Framework:
    """What makes an app object: its name for messages, its interface and its distribution."""

    name: str  # "Flask"
    interface: Interface
    distribution: str | None  # what requirements must list ("flask"); None: not known


# Qualified names of what makes an app object.
MAKERS = {
    "flask.Flask": Framework("Flask", "wsgi", "flask"),
    "quart.Quart": Framework("Quart", "asgi", "quart"),
    "bottle.Bottle": Framework("bottle", "wsgi", "bottle"),
    "bottle.default_app": Framework("bottle", "wsgi", "bottle"),
    "bottle.app": Framework("bottle", "wsgi", "bottle"),
    "falcon.App": Framework("falcon", "wsgi", "falcon"),
    "falcon.API": Framework("falcon", "wsgi", "falcon"),
    "falcon.asgi.App": Framework("falcon (ASGI)", "asgi", "falcon"),
    "django.core.wsgi.get_wsgi_application": Framework("Django", "wsgi", "django"),
    "fastapi.FastAPI": Framework("FastAPI", "asgi", "fastapi"),
    "starlette.applications.Starlette": Framework("Starlette", "asgi", "starlette"),
}
# ASGI entry points that a project also has a WSGI one for: never preferred.
ASGI_TWINS = {"django.core.asgi.get_asgi_application": Framework("Django", "asgi", "django")}
WSGI_FUNCTION = Framework("WSGI function", "wsgi", None)
FACTORY_NAMES = ("create_app", "make_app", "get_app", "build_app")
APP_NAMES = ("application", "app")
# bottle's module-level decorators route onto its default app.
BOTTLE_DEFAULT_ROUTES = frozenset({"bottle.route", "bottle.get", "bottle.post"})


@dataclass(frozen=True)
class AppObject:
    """Where the app's callable is, as servers name it (`module:callable`)."""

    module: str  # importable from the app folder: "app", "mysite.wsgi"
    callable: str  # "app", "application", "create_app()"
    framework: Framework
    path: str  # the module's file, relative to the app folder, for messages

    @property
    def target(self) -> str:
        """gunicorn's APP_MODULE argument: `module:callable`."""
        return f"{self.module}:{self.callable}"

    @property
    def argument(self) -> str:
        """`target` as one word of a command line: quoted when it calls a factory."""
        return f"'{self.target}'" if self.is_factory else self.target

    @property
    def is_factory(self) -> bool:
        """True for `create_app()`: the server calls it to get the app."""
        return self.callable.endswith("()")


class BottleDefaultApp(Exception):
    """The module routes on bottle's default app but names no object a server can load."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def find(modules: list[Module]) -> AppObject | None:
    """The best app object in `modules` (see the module docstring), or None.

    Raises BottleDefaultApp when the only app is bottle's default app, routed
    with module-level decorators and named nowhere a server can find it.
    """
    best: tuple[int, int, AppObject] | None = None
    bottle_only: str | None = None
    factories = app_factories(modules)
    for order, module in enumerate(modules):
        for rank, found in candidates(module, factories):
            if best is None or (rank, order) < best[:2]:
                best = (rank, order, found)
        if bottle_only is None and _routes_on_bottle_default(module):
            bottle_only = module.path.as_posix()
    if best is None and bottle_only is not None:
        raise BottleDefaultApp(bottle_only)
    return best[2] if best else None


def app_factories(modules: list[Module]) -> dict[str, Framework]:
    """Module-level functions whose body makes a framework's app: `pkg.boot.make_api` -> falcon."""
    found = {}
    for module in modules:
        for node in module.tree.body:
            if isinstance(node, ast.FunctionDef):
                made = _made_inside(module, node)
                if made.distribution is not None:
                    found[f"{module.name}.{node.name}"] = made
    return found


def candidates(
    module: Module, factories: dict[str, Framework] | None = None
) -> list[tuple[int, AppObject]]:
    """(rank, app object) for each module-level app in one module; rank 0 is best.

    `factories` (see app_factories) name the functions elsewhere that make an app.
    """
    found: list[tuple[int, AppObject]] = []

    def add(rank: int, name: str, framework: Framework) -> None:
        found.append((rank, AppObject(module.name, name, framework, module.path.as_posix())))

    callable_classes = {
        node.name
        for node in module.tree.body
        if isinstance(node, ast.ClassDef) and _wsgi_class(node)
    }
    for node in module.tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    ranked = _assigned(
                        module, target.id, node.value, callable_classes, factories or {}
                    )
                    if ranked is not None:
                        add(ranked[0], target.id, ranked[1])
        elif isinstance(node, ast.FunctionDef):
            if _wsgi_signature(node.args) and node.name in APP_NAMES:
                add(2, node.name, WSGI_FUNCTION)
            elif node.name in FACTORY_NAMES and _no_required_args(node.args):
                add(3, f"{node.name}()", _made_inside(module, node))
    if _routes_on_bottle_default(module):
        # `from bottle import default_app`: the module itself names the routed app.
        for local, qualified in module.imports.items():
            if qualified in ("bottle.default_app", "bottle.app"):
                add(1, f"{local}()", MAKERS[qualified])
    return found


def _assigned(
    module: Module,
    name: str,
    value: ast.expr,
    callable_classes: set[str],
    factories: dict[str, Framework],
) -> tuple[int, Framework] | None:
    if not isinstance(value, ast.Call):
        return None
    maker = module.qualified(value.func)
    if maker.startswith("."):  # a relative import: from the module's own package
        package = (
            module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
        )
        maker = f"{package}{maker}" if package else maker.lstrip(".")
    local = f"{module.name}.{maker}"  # a factory defined in this very module
    made = factories.get(maker) or factories.get(local)
    if made is not None and name in APP_NAMES:
        return 1, made
    if maker in MAKERS:
        return 0, MAKERS[maker]
    if maker in ASGI_TWINS:
        return 5, ASGI_TWINS[maker]
    if isinstance(value.func, ast.Attribute) and value.func.attr == "make_wsgi_app":
        return 0, Framework("Pyramid", "wsgi", "pyramid")
    if maker.rsplit(".", 1)[-1] in FACTORY_NAMES and name in APP_NAMES:
        return 1, Framework("app factory", "wsgi", None)
    if isinstance(value.func, ast.Name) and value.func.id in callable_classes:
        return 2, WSGI_FUNCTION
    if name == "application":
        return 4, Framework("WSGI", "wsgi", None)
    return None


def _made_inside(module: Module, function: ast.FunctionDef) -> Framework:
    """The framework whose app object a factory makes, when the factory's body shows it."""
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            maker = module.qualified(node.func)
            if maker in MAKERS:
                return MAKERS[maker]
    return Framework("app factory", "wsgi", None)


def _wsgi_signature(args: ast.arguments) -> bool:
    names = [a.arg for a in [*args.posonlyargs, *args.args]]
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    return len(names) == 2 and names[1] in ("start_response", "start", "respond")


def _wsgi_class(node: ast.ClassDef) -> bool:
    return any(
        isinstance(item, ast.FunctionDef) and item.name == "__call__" and _wsgi_signature(item.args)
        for item in node.body
    )


def _no_required_args(args: ast.arguments) -> bool:
    positional = [*args.posonlyargs, *args.args]
    keyword_only_required = any(d is None for d in args.kw_defaults)
    return len(positional) == len(args.defaults) and not keyword_only_required


def _routes_on_bottle_default(module: Module) -> bool:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else decorator
                if module.qualified(func) in BOTTLE_DEFAULT_ROUTES:
                    return True
    return False

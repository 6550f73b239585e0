"""The URL paths an app routes, as far as its source shows them literally.

- Flask, Quart, bottle, FastAPI: `@app.route("/x")`, `@bp.get("/x")`, bottle's
  bare `@route("/x")`, `app.add_url_rule("/x", ...)`; a blueprint's
  `url_prefix` (given to `Blueprint(...)` or `register_blueprint(...)`) is added.
- falcon: `app.add_route("/x", resource)`.
- Django: `path("x/", view)` and plain `re_path(r"^x/$", view)` in the root URLconf.
- A WSGI function: the paths it compares `PATH_INFO` with; one that never
  reads `PATH_INFO` answers every path alike.

Routes built at run time (a loop, a variable) are not seen.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from rpmkit.init.apps import AppObject
from rpmkit.init.modules import Module

ROUTE_CALLS = frozenset({"route", "add_route", "add_url_rule", "api_route"})
DECORATOR_ONLY = frozenset({"get", "head"})  # `.get("/x")` elsewhere is usually a dict or client
BOTTLE_BARE = frozenset({"bottle.route", "bottle.get"})
DJANGO_PATHS = frozenset({"django.urls.path", "django.urls.re_path", "django.conf.urls.url"})
_PLAIN_REGEX = re.compile(r"^\^?(?P<path>[A-Za-z0-9_/.-]*?)(/\?)?\$?$")


@dataclass(frozen=True)
class Routes:
    """The literal paths seen; `any_path` when the app answers every path alike."""

    paths: frozenset[str]
    any_path: bool = False

    def answers(self, path: str) -> bool:
        """True when `path` is one the app was seen to route."""
        return self.any_path or path in self.paths


def seen(modules: list[Module], app: AppObject) -> Routes:
    """The routes of the app served by `app`, from every module of the folder."""
    if app.framework.name == "WSGI function":
        module = next(m for m in modules if m.name == app.module)
        return compared_paths(module)
    if app.framework.name == "Django":
        return Routes(frozenset(_django(modules, app)))
    prefixes: dict[str, str] = {}
    for module in modules:
        prefixes.update(_blueprint_prefixes(module))
    paths: set[str] = set()
    for module in modules:
        paths.update(_routed(module, prefixes))
    return Routes(frozenset(paths))


def _routed(module: Module, prefixes: dict[str, str]) -> set[str]:
    decorators = {
        id(d)
        for node in ast.walk(module.tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        for d in node.decorator_list
    }
    paths = set()
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        path = _literal(node.args[0])
        if path is None or not path.startswith("/") or not _answers_get(node):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            is_route = func.attr in ROUTE_CALLS or (
                func.attr in DECORATOR_ONLY and id(node) in decorators
            )
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            if is_route:
                paths.add(_join(prefixes.get(owner, ""), path))
        elif module.qualified(func) in BOTTLE_BARE and id(node) in decorators:
            paths.add(path)
    return paths


def _blueprint_prefixes(module: Module) -> dict[str, str]:
    found = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            prefix = _keyword(node.value, "url_prefix")
            if module.qualified(node.value.func).endswith("Blueprint") and prefix:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = prefix
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "register_blueprint"
            and node.args
        ):
            prefix = _keyword(node, "url_prefix")
            name = module.qualified(node.args[0]).rsplit(".", 1)[-1]
            if prefix and name:
                found[name] = prefix
    return found


def _django(modules: list[Module], app: AppObject) -> set[str]:
    package = app.module.rsplit(".", 1)[0]
    root = f"{package}.urls"
    for module in modules:
        if module.name == f"{package}.settings":
            for node in module.tree.body:
                if (
                    isinstance(node, ast.Assign)
                    and any(
                        isinstance(t, ast.Name) and t.id == "ROOT_URLCONF" for t in node.targets
                    )
                    and _literal(node.value)
                ):
                    root = str(_literal(node.value))
    paths = set()
    for module in modules:
        if module.name != root:
            continue
        for call in ast.walk(module.tree):
            if not (isinstance(call, ast.Call) and module.qualified(call.func) in DJANGO_PATHS):
                continue
            route = _literal(call.args[0]) if call.args else None
            view = call.args[1] if len(call.args) > 1 else None
            if route is None or (isinstance(view, ast.Call) and _name(view.func) == "include"):
                continue
            if not module.qualified(call.func).endswith(".path"):
                match = _PLAIN_REGEX.match(route)
                if match is None:
                    continue
                route = match["path"]
            paths.add("/" + route.lstrip("/"))
    return paths


def compared_paths(module: Module) -> Routes:
    """The paths a module compares its request path with (`PATH_INFO`, `self.path`)."""
    strings = {n.value for n in ast.walk(module.tree) if isinstance(n, ast.Constant)}
    if "PATH_INFO" not in strings and "path" not in _attributes(module.tree):
        return Routes(frozenset(), any_path=True)
    paths = set()
    for node in ast.walk(module.tree):
        operands: list[ast.expr] = []
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.Dict):
            operands = [k for k in node.keys if k is not None]
        for operand in operands:
            items = (
                operand.elts if isinstance(operand, ast.Tuple | ast.List | ast.Set) else [operand]
            )
            for item in items:
                value = _literal(item)
                if value is not None and value.startswith("/"):
                    paths.add(value)
    return Routes(frozenset(paths))


def _attributes(tree: ast.Module) -> set[str]:
    return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}


def _answers_get(call: ast.Call) -> bool:
    methods = next((k.value for k in call.keywords if k.arg == "methods"), None)
    if not isinstance(methods, ast.List | ast.Tuple | ast.Set):
        return True
    names = {str(_literal(e) or "").upper() for e in methods.elts}
    return "GET" in names or "" in names  # "" : a method named by a variable


def _keyword(call: ast.Call, name: str) -> str | None:
    return next((_literal(k.value) for k in call.keywords if k.arg == name), None)


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return prefix.rstrip("/") + (path if path != "/" else "/")

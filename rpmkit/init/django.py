"""Django settings that a load balancer's health check trips on, read from settings.py."""

from __future__ import annotations

import ast
import contextlib

from rpmkit.init import modules, routes
from rpmkit.init.apps import AppObject


def check(
    parsed: list[modules.Module], app: AppObject, seen: routes.Routes
) -> tuple[list[str], list[str]]:
    """(warnings, problems) from the project's literal DEBUG and ALLOWED_HOSTS settings.

    A load balancer's health check sends the instance's IP address as `Host`
    (AWS: "Health checks for your target groups"), and Django answers a host
    ALLOWED_HOSTS does not name with 400 (DisallowedHost): a literal list
    without '*' fails every health check. A list changed later in the module,
    or computed, is not judged.
    """
    package = app.module.rsplit(".", 1)[0]
    settings = next((m for m in parsed if m.name == f"{package}.settings"), None)
    if settings is None:
        return [], []
    values: dict[str, object] = {}
    for node in settings.tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("DEBUG", "ALLOWED_HOSTS"):
                values.pop(target.id, None)
                with contextlib.suppress(ValueError):
                    values[target.id] = ast.literal_eval(node.value)
    if _changed_later(settings.tree):
        values.pop("ALLOWED_HOSTS", None)
    notes, problems = [], []
    hosts = values.get("ALLOWED_HOSTS")
    if isinstance(hosts, list) and "*" not in hosts:
        problems.append(
            f"{settings.path}: ALLOWED_HOSTS = {hosts!r}: Django answers 400 to the load "
            "balancer's health check, which sends the instance's IP address as Host: add '*' "
            "(or the instance's address, read at start-up)"
        )
    if values.get("DEBUG") is True:
        extra = " (its / answers only while DEBUG is on)" if not seen.answers("/") else ""
        notes.append(f"{settings.path}: DEBUG = True{extra}: turn it off on a server")
    return notes, problems


def _changed_later(tree: ast.Module) -> bool:
    """Whether ALLOWED_HOSTS is added to (`+=`, `.append(...)`) anywhere in the module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.AugAssign) and ast.unparse(node.target) == "ALLOWED_HOSTS":
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and ast.unparse(node.func.value) == "ALLOWED_HOSTS"
        ):
            return True
    return False

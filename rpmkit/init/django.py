"""Django settings that a load balancer's health check trips on, read from settings.py."""

from __future__ import annotations

import ast
import contextlib

from rpmkit.init import modules, routes
from rpmkit.init.apps import AppObject


def notes(parsed: list[modules.Module], app: AppObject, seen: routes.Routes) -> list[str]:
    """Warnings about the project's literal DEBUG and ALLOWED_HOSTS settings."""
    package = app.module.rsplit(".", 1)[0]
    settings = next((m for m in parsed if m.name == f"{package}.settings"), None)
    if settings is None:
        return []
    values = {}
    for node in settings.tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("DEBUG", "ALLOWED_HOSTS"):
                with contextlib.suppress(ValueError):
                    values[target.id] = ast.literal_eval(node.value)
    notes = []
    hosts = values.get("ALLOWED_HOSTS")
    if isinstance(hosts, list) and "*" not in hosts:
        notes.append(
            f"{settings.path}: ALLOWED_HOSTS = {hosts!r}: the load balancer's health check "
            "sends the instance's IP address as Host, which Django answers with 400; allow it "
            "(the instance's address, or '*')"
        )
    if values.get("DEBUG") is True:
        extra = " (its / answers only while DEBUG is on)" if not seen.answers("/") else ""
        notes.append(f"{settings.path}: DEBUG = True{extra}: turn it off on a server")
    return notes

"""The app's Python modules, parsed (never imported), and what their names refer to."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

# Files looked at first; then every other module, shallower first, sorted.
ENTRY_MODULES = ("app.py", "wsgi.py", "application.py", "main.py", "server.py", "web.py")
SKIPPED_DIRS = frozenset(
    {"tests", "test", "docs", "dist", "build", "node_modules", "venv", "migrations", "scripts"}
)
SKIPPED_FILES = frozenset({"setup.py", "conftest.py", "noxfile.py", "fabfile.py"})
MAX_DEPTH = 2  # folders below the app's own: `project/wsgi.py`, `pkg/web/app.py`


@dataclass(frozen=True)
class Module:
    """One parsed module: its file, its dotted name from the app folder, its syntax tree."""

    path: Path  # relative to the app folder
    name: str  # "app", "mysite.wsgi", "pkg" for pkg/__init__.py
    tree: ast.Module
    imports: dict[str, str] = field(compare=False)  # local name -> qualified name

    def qualified(self, node: ast.expr) -> str:
        """`flask.Flask` for `Flask` (after `from flask import Flask`) or `flask.Flask`."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return ""
        parts.append(self.imports.get(node.id, node.id))
        return ".".join(reversed(parts))


def imports_of(tree: ast.Module) -> dict[str, str]:
    """What each imported name stands for: `{"Flask": "flask.Flask", "np": "numpy"}`."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    found[top] = top
        elif isinstance(node, ast.ImportFrom):
            dots = "." * node.level  # kept: a relative import is resolved by its user
            for alias in node.names:
                path = f"{node.module}.{alias.name}" if node.module else alias.name
                found[alias.asname or alias.name] = dots + path
    return found


def parse(app_dir: Path) -> list[Module]:
    """Every module `rpmkit init` looks at, in the order it looks: entry-point names first."""
    modules = []
    for path in _files(app_dir):
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError):
            continue
        relative = path.relative_to(app_dir)
        name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        modules.append(Module(relative, name, tree, imports_of(tree)))
    return modules


def _files(app_dir: Path) -> list[Path]:
    files = []
    for depth in range(MAX_DEPTH + 1):
        for path in app_dir.glob("/".join(["*"] * (depth + 1)) + ".py"):
            folders = path.relative_to(app_dir).parts[:-1]
            # A folder gunicorn can import from: an identifier, not hidden, not tests.
            if any(not f.isidentifier() or f in SKIPPED_DIRS for f in folders):
                continue
            if path.name in SKIPPED_FILES or path.name.startswith("test_"):
                continue
            if not path.stem.isidentifier() or any(
                (app_dir.joinpath(*folders[: i + 1]) / "pyvenv.cfg").exists()
                for i in range(len(folders))
            ):
                continue
            files.append(path)
    order = {name: i for i, name in enumerate(ENTRY_MODULES)}
    return sorted(
        files,
        key=lambda p: (
            len(p.relative_to(app_dir).parts),
            order.get(p.name, len(order)),
            p.as_posix(),
        ),
    )

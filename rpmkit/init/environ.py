"""Environment variables an app module reads, without a default, while it is imported.

`os.environ["SECRET_KEY"]` in a module-level statement raises KeyError when
the server imports the module, unless the service's unit sets the variable:
the service never starts. Reads inside functions, or guarded by `if`/`try`,
are not counted: whether they run is not known without running the app.
"""

from __future__ import annotations

import ast

from rpmkit.init.modules import Module

_UNGUARDED = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)


def required(module: Module) -> list[str]:
    """The names `module` reads from os.environ without a default at import, in order."""
    names: list[str] = []
    for statement in module.tree.body:
        if not isinstance(statement, _UNGUARDED):
            continue
        for node in _walk(statement):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Load)
                and module.qualified(node.value) == "os.environ"
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
                and node.slice.value not in names
            ):
                names.append(node.slice.value)
    return names


def _walk(node: ast.AST) -> list[ast.AST]:
    """The node and what it contains, but not the bodies of lambdas or comprehensions."""
    found = [node]
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, ast.Lambda | ast.comprehension):
            found += _walk(child)
    return found

"""JSON Schemas: of the app config (generated from its models), and of the --json report.

The config schema is what an editor needs to complete and check `rpmkit.toml`
(taplo, VS Code's Even Better TOML): the sections, keys, types, defaults and
ranges, and each key's docstring (or comment) in the model as its description. rpmkit's
own validation stays the judge: it also checks what a schema cannot say
(a `%` macro in a value, a path that does not exist). The report schema is a
fixed file in the package, `report/schemas/report-1.schema.json`: a reader's contract.
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

DRAFT = "https://json-schema.org/draft/2020-12/schema"
REPORT_SCHEMA = Path(__file__).parent / "report" / "schemas" / "report-1.schema.json"


def report_schema() -> dict[str, Any]:
    """The JSON Schema of the `rpmkit.report/1` document."""
    schema: dict[str, Any] = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    return schema


def config_schema() -> dict[str, Any]:
    """The JSON Schema of an app's config, from `rpmkit.config.AppConfig`."""
    from rpmkit.config import AppConfig

    schema = AppConfig.model_json_schema(mode="validation")
    described = {m.__name__: field_comments(m) for m in models(AppConfig)}
    for name, definition in [("AppConfig", schema), *schema.get("$defs", {}).items()]:
        for key, prop in definition.get("properties", {}).items():
            comment = described.get(name, {}).get(key)
            if comment and "description" not in prop:
                prop["description"] = comment
    return {
        "$schema": DRAFT,
        "title": "rpmkit app config: rpmkit.toml, or [tool.rpmkit] in pyproject.toml",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def pyproject_schema() -> dict[str, Any]:
    """A schema for a whole pyproject.toml that checks its [tool.rpmkit] table (only)."""
    app = config_schema()
    defs = app.pop("$defs", {})
    app.pop("$schema", None)
    return {
        "$schema": DRAFT,
        "title": "pyproject.toml with an rpmkit app config in [tool.rpmkit]",
        "type": "object",
        "properties": {
            "tool": {"type": "object", "properties": {"rpmkit": {"$ref": "#/$defs/AppConfig"}}}
        },
        "$defs": {**defs, "AppConfig": app},
    }


def models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """`root` and every model its fields use, at any depth."""
    found: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.append(annotation)
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
            for arg in typing.get_args(annotation):
                visit(arg)

    visit(root)
    return found


def field_comments(model: type) -> dict[str, str]:
    """Each field's text in the model's source: the docstring under it, else its comments.

    A comment is the lines of `#` right above the field and the one at the end of its line.
    """
    try:
        source = textwrap.dedent(inspect.getsource(model))
    except (OSError, TypeError):
        return {}
    tree = ast.parse(source).body[0]
    if not isinstance(tree, ast.ClassDef):
        return {}
    lines = source.splitlines()
    found: dict[str, str] = {}
    for node, after in zip(tree.body, [*tree.body[1:], None], strict=True):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        if (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            found[node.target.id] = inspect.cleandoc(after.value.value)
            continue
        above: list[str] = []
        for line in reversed(lines[: node.lineno - 1]):
            if not line.strip().startswith("#"):
                break
            above.insert(0, line.strip().lstrip("#").strip())
        trailing = lines[(node.end_lineno or node.lineno) - 1].partition("  # ")[2].strip()
        text = " ".join([*above, trailing]).strip()
        if text:
            found[node.target.id] = text
    return found

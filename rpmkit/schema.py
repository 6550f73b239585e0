"""JSON Schemas: of the app config (generated from its models), and of the --json report.

The config schema is what an editor needs to complete and check `rpmkit.toml`
(taplo, VS Code's Even Better TOML): the sections, keys, types, defaults and
ranges, and each key's comment from the model as its description. rpmkit's
own validation stays the judge: it also checks what a schema cannot say
(a `%` macro in a value, a path that does not exist). The report schema is a
fixed file in the package, `schemas/report-1.schema.json`: a reader's contract.
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

DRAFT = "https://json-schema.org/draft/2020-12/schema"
REPORT_SCHEMA = Path(__file__).parent / "schemas" / "report-1.schema.json"
_FIELD = re.compile(r"^    ([a-z_][a-z0-9_]*)\s*:")


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
    """Each field's comment in the model's source: the lines above it and the one after it."""
    try:
        lines = inspect.getsource(model).splitlines()
    except (OSError, TypeError):
        return {}
    comments: dict[str, str] = {}
    above: list[str] = []
    for line in lines[1:]:
        stripped = line.strip()
        if stripped.startswith("#"):
            above.append(stripped.lstrip("#").strip())
            continue
        match = _FIELD.match(line)
        if match:
            trailing = line.partition("  # ")[2].strip()
            text = " ".join([*above, trailing]).strip()
            if text:
                comments[match[1]] = text
        above = []
    return comments

"""The configuration reference page, generated from rpmkit's pydantic config models.

Walks `rpmkit.config.AppConfig` and every section model under it: keys, types
and defaults come from the models, each key's meaning from the docstring under
its field (or its comment), read from the source as `rpmkit schema config` reads
it for editors, so the page and the editor's hover text are the same words. A
field with neither, or of a type this file has no name for, stops the docs
build: the reference cannot silently fall behind.

Run by the docs build (scripts/mkdocs_hooks.py); `python scripts/config_reference.py`
prints the page.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from rpmkit import config, fields, schema
from rpmkit.build import lint_config, python_config
from rpmkit.handoff import config as handoff_config
from rpmkit.rehearse import config as rehearse_config
from rpmkit.verify import disposable

PAGE = "reference/configuration.md"


class ReferenceError(Exception):
    """The models say something this generator cannot render (a build-stopping error)."""


# Names for the validated field types, as a reader of rpmkit.toml thinks of them.
# Plural forms are made by adding "s" (lists).
TYPE_NAMES: list[tuple[Any, str]] = [
    (fields.Line, "line"),
    (fields.UnitLine, "unit line"),
    (fields.Text, "text"),
    (fields.Name, "RPM name"),
    (fields.Version, "RPM version"),
    (fields.User, "user name"),
    (fields.AbsPath, "absolute path"),
    (fields.RelPath, "relative path"),
    (fields.Unit, "unit name"),
    (fields.Mode, "octal mode string"),
    (fields.Port, "port"),
    (fields.EnvName, "variable name"),
    (fields.HostPort, "host:port"),
    (fields.ServerName, "server name"),
    (fields.UrlPath, "URL path"),
    (fields.Seconds, "seconds"),
    (handoff_config.Duration, "duration"),
    (handoff_config.AmiId, "AMI id"),
    (handoff_config.ProfileName, "profile name"),
    (handoff_config.EnvironmentName, "environment name"),
    (handoff_config.InstanceType, "instance type"),
    (rehearse_config.DisposablePath, "path pattern"),
    (fields.MacroName, "macro name"),
    (fields.MacroValue, "macro value"),
    (fields.FileName, "file name"),
    (lint_config.CheckName, "rpmlint check name"),
    (lint_config.PathPattern, "absolute path pattern"),
    (python_config.ExtraRequirement, "PEP 508 requirement"),
]
# Validators used inline (not through a named type above), by function.
VALIDATOR_NAMES: dict[Callable[..., Any], str] = {
    handoff_config._repo: "directory or URL",
}
# Facts kept as data next to the models, added to a key's meaning.
NOTES: dict[tuple[type[BaseModel], str], Callable[[], str]] = {
    (handoff_config.Bake, "command"): lambda: _placeholders(handoff_config.BAKE_PLACEHOLDERS),
    (handoff_config.Deploy, "command"): lambda: _placeholders(handoff_config.DEPLOY_PLACEHOLDERS),
    (handoff_config.Scaffold, "command"): lambda: _placeholders(
        handoff_config.SCAFFOLD_PLACEHOLDERS
    ),
    (rehearse_config.Rehearse, "disposable"): lambda: (
        "Always disposable: " + ", ".join(f"`{p}`" for p in disposable.DEFAULT_DISPOSABLE) + "."
    ),
}

INTRO = """\
# Configuration reference

rpmkit reads `rpmkit.toml` in the app directory, else `[tool.rpmkit]` in the
app's `pyproject.toml` (the same keys). Unknown keys are errors, and types are
strict: strings are TOML strings (`version = "1.0"`, not `1.0`), integers are
integers (`port = 8000`). Relative paths are relative to the app directory.
Every problem is reported at once, one line each, and the command exits 2.
[Configuration](../configuration.md) explains the rules every value must
follow and shows a whole file.

This page is generated from the configuration models ({modules}) when the
docs are built.
"""


@dataclass(frozen=True)
class Section:
    """One table of the config file: its TOML header, anchor and model."""

    header: str  # e.g. "[health_check.load_balancer]", "[[services]]"
    path: str  # dotted, e.g. "health_check.load_balancer"; "" for the top level
    model: type[BaseModel]

    @property
    def anchor(self) -> str:
        return _anchor(self.path or "top-level")


def render() -> str:
    """The whole page, as Markdown."""
    found = list(sections(config.AppConfig))
    modules = sorted({s.model.__module__ for s in found})
    parts = [INTRO.format(modules=", ".join(f"`{m}`" for m in modules))]
    for section in found:
        parts.append(_render_section(section))
    return "\n".join(parts)


def sections(model: type[BaseModel], path: str = "", header: str = "") -> Iterator[Section]:
    """The model's section, then every section below it, depth first."""
    yield Section(header or "Top level", path, model)
    for name, hint in _hints(model).items():
        sub = _sub_model(hint)
        if sub is None:
            continue
        kind, child = sub
        dotted = _child_path(path, name, kind)
        if kind == "table":
            yield from sections(child, dotted, f"[{dotted}]")
        elif kind == "array":
            yield from sections(child, dotted, f"[[{dotted}]]")
        else:  # a table of tables, by name
            yield from sections(child, dotted, f"[{dotted.removesuffix('.name')}.<name>]")


def _child_path(path: str, name: str, kind: str) -> str:
    dotted = f"{path}.{name}" if path else name
    return f"{dotted}.name" if kind == "named" else dotted


def _render_section(section: Section) -> str:
    model = section.model
    title = section.header if section.header == "Top level" else f"`{section.header}`"
    lines = [f"## {title} {{#{section.anchor}}}", ""]
    if model.__doc__:
        lines += [_one_paragraph(model.__doc__), ""]
    lines += ["| key | type | default | meaning |", "|---|---|---|---|"]
    hints = _hints(model)
    for name, info in model.model_fields.items():
        meaning = _docstring(model, name)
        note = NOTES.get((model, name))
        if note is not None:
            meaning = f"{meaning} {note()}"
        elif name == "command" and describe(hints[name]).startswith("list"):
            raise ReferenceError(
                f"{model.__name__}.command: add its placeholders to NOTES in {__file__}"
            )
        kind = describe(hints[name])
        sub = _sub_model(hints[name])
        if sub is not None:  # link to the section that describes it
            kind = f"[{kind}](#{_anchor(_child_path(section.path, name, sub[0]))})"
        row = [f"`{name}`", kind, _default(info), meaning]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    lines.append("")
    return "\n".join(lines)


def describe(hint: Any) -> str:
    """A type as the reference names it: `port 1-65535`, `list of lines`, `"a" or "b"`."""
    hint = _without_none(hint)
    for known, name in TYPE_NAMES:
        if hint == known:
            return name + _bounds(typing.get_args(hint)[1:])
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Annotated:
        base, *meta = args
        for item in meta:
            func = getattr(item, "func", None)
            if func in VALIDATOR_NAMES:
                return VALIDATOR_NAMES[func]
        if base in (int, float) or typing.get_origin(base) is list:
            return describe(base) + _bounds(meta)
        raise ReferenceError(f"no name for the type {hint!r}: add it to TYPE_NAMES in {__file__}")
    if origin is Literal:
        return " or ".join(f'`"{a}"`' if isinstance(a, str) else f"`{a}`" for a in args)
    if origin is list:
        sub = _sub_model(hint)
        return "array of tables" if sub else f"list of {describe(args[0])}s"
    if origin is dict:
        if _sub_model(hint):
            return "table of tables"
        return f"table of {describe(args[0])} = {describe(args[1])}"
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return "table"
    plain = {bool: "boolean", int: "integer", float: "number", str: "string"}
    if hint in plain:
        return plain[hint]
    raise ReferenceError(f"no name for the type {hint!r}: add it to TYPE_NAMES in {__file__}")


def _bounds(meta: typing.Sequence[Any]) -> str:
    found: dict[str, Any] = {}
    for item in meta:
        for bound in item.metadata if isinstance(item, FieldInfo) else [item]:
            for kind in ("ge", "gt", "le", "lt"):
                if isinstance(bound, getattr(annotated_types, kind.capitalize())):
                    found[kind] = getattr(bound, kind)
    if not found:
        return ""
    if "ge" in found and "le" in found:
        return f" {found['ge']}-{found['le']}"
    words = {"ge": "at least", "gt": "over", "le": "at most", "lt": "under"}
    return ", " + " and ".join(f"{words[k]} {v}" for k, v in found.items())


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "its own defaults"
    return _toml(value)


def _toml(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, (list, tuple)):
        return "`[" + ", ".join(_toml(v).strip("`") for v in value) + "]`"
    if isinstance(value, dict) and not value:
        return "`{}`"
    if isinstance(value, (int, float)):
        return f"`{value}`"
    raise ReferenceError(f"cannot write the default {value!r} as TOML")


def _placeholders(names: frozenset[str]) -> str:
    return "Placeholders: " + ", ".join(f"`{{{n}}}`" for n in sorted(names)) + "."


def _sub_model(hint: Any) -> tuple[str, type[BaseModel]] | None:
    hint = _without_none(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return "table", hint
    if origin is list and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return "array", args[0]
    if origin is dict and isinstance(args[1], type) and issubclass(args[1], BaseModel):
        return "named", args[1]
    return None


def _without_none(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return hint


def _hints(model: type[BaseModel]) -> dict[str, Any]:
    return typing.get_type_hints(model, include_extras=True)


@cache
def _field_texts(model: type[BaseModel]) -> dict[str, str]:
    return schema.field_comments(model)


def _docstring(model: type[BaseModel], name: str) -> str:
    text = _field_texts(model).get(name, "")
    if not text.strip():
        raise ReferenceError(
            f"{model.__module__}.{model.__name__}.{name} has no docstring: write what the key "
            'means in a """docstring""" on the line under the field'
        )
    return _one_paragraph(text)


def _one_paragraph(text: str) -> str:
    return re.sub(r"\s+", " ", inspect.cleandoc(text)).strip()


def _anchor(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


if __name__ == "__main__":
    print(render())

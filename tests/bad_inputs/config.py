"""The config side: every field of the pydantic config models, by its type."""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator
from typing import Any, Literal, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from rpmkit import fields
from rpmkit.config import AppConfig
from tests.bad_inputs.case import HUGE, Case, Expect

# The app every case starts from: every config section present with a valid value.
BASE_CONFIG: dict[str, Any] = {
    "name": "catalogue",
    "version": "1.0.0",
    "release": "1",
    "summary": "An app for the bad-input catalogue",
    "license": "MIT",
    "url": "https://example.com/catalogue",
    "description": "Several\nlines.\n",
    "template": "python-web",
    "init": "systemd",
    "profile": "offline",
    "requires": ["nginx"],
    "build_requires": ["python3"],
    "requirements": "requirements.txt",
    "exclude": ["*.log"],
    "static_root": "public",
    "services": [
        {
            "name": "catalogue",
            "command": "python3 app.py --port 8000",
            "user": "catalogue",
            "working_directory": "/opt/catalogue/app",
            "environment": {"MODE": "production"},
            "port": 8000,
            "enabled": True,
        }
    ],
    "nginx": {"port": 80, "upstream": "127.0.0.1:8000", "server_name": "_"},
    "health_check": {
        "path": "/health",
        "port": 80,
        "expected_status": 200,
        "interval": 0.1,
        "timeout": 1.0,
        "healthy_threshold": 1,
        "deadline": 30.0,
        "load_balancer": {
            "interval": 30.0,
            "timeout": 5.0,
            "healthy_threshold": 2,
            "unhealthy_threshold": 5,
        },
    },
    "files": [
        {
            "source": "conf/app.ini",
            "dest": "/etc/catalogue/app.ini",
            "mode": "0644",
            "owner": "root",
            "group": "root",
            "config": True,
        }
    ],
    "directories": [{"path": "/var/lib/catalogue", "mode": "0755", "owner": "catalogue"}],
    "scripts": {"pre": "true", "post": "true", "preun": "true", "postun": "true"},
    "include": ["certs/ca.pem"],
    "tarball": "catalogue-src.tar.gz",
    "defines": {"with_tests": "1"},
    "rpmlint": {
        "accept": [
            {"check": "zero-length", "path": "/opt/catalogue/app/**", "reason": "placeholders"}
        ]
    },
    "bake": {
        "target_profile": "al2023",
        "max_receipt_age": "24h",
        "base_ami": "ami-0123456789abcdef0",
        "command": ["aminate", "-B", "{base_ami}", "{name}"],
    },
    "publish": {
        "repo": "https://repo.example.com/rpms",
        "username_env": "RPM_USER",
        "password_env": "RPM_PASS",
        "netrc": "~/.netrc",
        "timeout": 300.0,
    },
    "deploy": {
        "command": ["deploy", "{name}", "{ami}"],
        "environments": {"prod": {"instance_type": "m5.large", "min": 2, "max": 4}},
    },
    "scaffold": {"command": ["create", "{name}"], "protocol": "HTTP"},
    "install": {
        "repos": [
            {
                "name": "team",
                "baseurl": "https://repo.example.com/rpms",
                "gpgcheck": True,
                "gpgkey": "conf/team.asc",
            }
        ],
        "repo_files": ["conf/bake.repo"],
        "keep_repos": False,
    },
    "rehearse": {
        "instances": 2,
        "requests_per_second": 50,
        "clients": 4,
        "path": "/",
        "steady_seconds": 10.0,
        "after_seconds": 5.0,
        "error_budget": 0,
        "check_interval": 0.2,
        "disposable": ["/var/cache/catalogue/**"],
    },
}
# Fields that exclude others: a case setting the first drops the second.
EXCLUSIVE = {("spec",): ("template",)}


def _unwrap(annotation: Any) -> list[Any]:
    """The non-None members of an optional annotation."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _flat(metadata: list[Any]) -> list[Any]:
    """Constraints and validators, with those inside a nested Field(...) brought up."""
    out: list[Any] = []
    for item in metadata:
        out += _flat(list(item.metadata)) if isinstance(item, FieldInfo) else [item]
    return out


def _validators(metadata: list[Any]) -> list[Any]:
    return [m for m in _flat(metadata) if isinstance(m, AfterValidator)]


def _field_type(metadata: list[Any]) -> str:
    """Which of rpmkit's field types a value is, by its validators."""
    for name in (
        "UnitLine",
        "Line",
        "Text",
        "Name",
        "Version",
        "User",
        "AbsPath",
        "RelPath",
        "Unit",
        "Mode",
        "EnvName",
        "HostPort",
        "ServerName",
        "UrlPath",
    ):
        if _validators(metadata) == _validators(list(get_args(getattr(fields, name))[1:])):
            return name
    return "other"


def _str_kinds(kind: str, base: str) -> dict[str, tuple[Any, Expect]]:
    """Bad values made from a valid `base`, for a string field of rpmkit's type `kind`."""
    out: dict[str, tuple[Any, Expect]] = {
        "nul": (f"{base}\0x", "refuse"),
        "control": (f"{base}\x1b[2J", "refuse"),
        "huge": (base + "x" * HUGE, "refuse"),
        "wrong-type-int": (5, "refuse"),
        "wrong-type-list": ([base], "refuse"),
    }
    prose = kind in ("Line", "UnitLine", "Text")
    if kind != "Text":
        out["trailing-newline"] = (f"{base}\n", "refuse")
    out["trailing-backslash"] = (f"{base}\\", "refuse")
    if kind != "other":
        out["percent-macro"] = (f"{base}%{{_tmppath}}", "refuse")
        out["percent-shell"] = (f"{base}%(id)", "refuse")
        # Prose takes any language; names, paths and identifiers do not.
        out["non-ascii"] = (f"{base}\u00e9\u540d", "accept" if prose else "refuse")
    if prose:
        # A password in a URL would be shipped in the spec, the unit file, the RPM.
        out["url-credentials"] = (f"{base} https://user:p4ss@db.example.com/", "refuse")
    if kind == "RelPath":
        out["path-escape-parent"] = ("../outside.txt", "refuse")
        out["path-escape-absolute"] = ("/etc/passwd", "refuse")
    if kind == "AbsPath":
        out["path-escape-relative"] = ("etc/passwd", "refuse")
        out["path-escape-parent"] = ("/opt/../etc/passwd", "refuse")
    return out


def _leaf_kinds(
    annotation: Any, metadata: list[Any], base: Any = None
) -> dict[str, tuple[Any, Expect]]:
    target = _unwrap(annotation)[0]
    if get_origin(target) is typing.Annotated:
        target, *inner = get_args(target)
        metadata = [*inner, *metadata]
    metadata = _flat(metadata)
    origin = get_origin(target)
    if target is bool:
        return {"wrong-type-str": ("yes", "refuse"), "wrong-type-int": (1, "refuse")}
    if target is int or target is float:
        bounds = {m.__class__.__name__: m for m in metadata}
        # A field that parses strings itself (a duration: "24h") takes "5" too.
        parses = any(isinstance(m, BeforeValidator) for m in metadata)
        out: dict[str, tuple[Any, Expect]] = {
            "wrong-type-str": ("five" if parses else "5", "refuse"),
            "wrong-type-bool": (True, "refuse"),
            "huge": (10**30, "refuse"),
        }
        if target is float:
            out |= {"nan": (float("nan"), "refuse"), "inf": (float("inf"), "refuse")}
        for name in ("Ge", "Gt"):
            if name in bounds:
                low = getattr(bounds[name], name.lower())
                out["out-of-range-low"] = (low - 1, "refuse")
        for name in ("Le", "Lt"):
            if name in bounds:
                high = getattr(bounds[name], name.lower())
                out["out-of-range-high"] = (high + 1, "refuse")
        return out
    if origin is Literal:
        return {
            "unknown": ("nope", "refuse"),
            "trailing-newline": (f"{get_args(target)[0]}\n", "refuse"),
            "wrong-type": (5, "refuse"),
        }
    if target is str:
        return _str_kinds(_field_type(metadata), base if isinstance(base, str) else "ok")
    raise AssertionError(f"no kinds for {annotation!r}")


def _element_kinds(annotation: Any, base: Any) -> dict[str, tuple[Any, Expect]]:
    """Kinds for a list's or dict's element type (an Annotated str), made from `base`."""
    return _leaf_kinds(annotation, [], base)


def _set(config: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(config))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    for exclusive, dropped in EXCLUSIVE.items():
        if path[: len(exclusive)] == exclusive:
            for key in dropped:
                copy.pop(key, None)
    return copy


def _loc(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _model_cases(
    model: type[BaseModel], path: tuple[Any, ...], base: dict[str, Any]
) -> Iterator[tuple[tuple[Any, ...], str, Any, Expect]]:
    """(field path, kind, value, expected outcome) for every field below `path`."""
    node = base
    for key in path:
        node = node[key]
    for name, info in model.model_fields.items():
        default = info.get_default(call_default_factory=True)
        if name not in node and isinstance(default, BaseModel):
            # A section the base leaves out (a new one, say) is tried from its defaults.
            node[name] = default.model_dump(mode="json")
        members = _unwrap(info.annotation)
        target = members[0]
        here = (*path, name)
        if isinstance(target, type) and issubclass(target, BaseModel):
            yield here, "wrong-type", "not a table", "refuse"
            yield from _model_cases(target, here, base)
            continue
        origin = get_origin(target)
        if origin is list and _validators(list(info.metadata)):
            # A command: a list of arguments, checked as a whole.
            yield here, "wrong-type", "not a list", "refuse"
            yield here, "empty", [], "refuse"
            for kind, value in (
                ("item-nul", "a\0b"),
                ("item-newline", "a\nb"),
                ("item-huge", "x" * HUGE),
                ("item-placeholder", "{nope}"),
                ("item-wrong-type", 5),
            ):
                yield here, kind, ["prog", value], "refuse"
            continue
        if origin is list:
            (element,) = get_args(target)
            if isinstance(element, type) and issubclass(element, BaseModel):
                yield here, "wrong-type", {"a": 1}, "refuse"
                yield from _model_cases(element, (*here, 0), base)
                continue
            yield here, "wrong-type", "not a list", "refuse"
            items = node.get(name) or ["ok"]
            for kind, (value, expect) in _element_kinds(element, items[0]).items():
                yield here, f"item-{kind}", [value], expect
            continue
        if origin is dict:
            key_type, value_type = get_args(target)
            yield here, "wrong-type", ["x"], "refuse"
            if isinstance(value_type, type) and issubclass(value_type, BaseModel):
                first = next(iter(node[name]))
                for kind, (value, expect) in _element_kinds(key_type, first).items():
                    if isinstance(value, str):
                        item = node[name][first]
                        yield here, f"key-{kind}", {value: item}, expect
                yield from _model_cases(value_type, (*here, first), base)
                continue
            key, item = next(iter(node[name].items()))
            for kind, (value, expect) in _element_kinds(key_type, key).items():
                if isinstance(value, str):
                    yield here, f"key-{kind}", {value: item}, expect
            for kind, (value, expect) in _element_kinds(value_type, item).items():
                yield here, f"value-{kind}", {key: value}, expect
            continue
        kinds = _leaf_kinds(info.annotation, list(info.metadata), node.get(name))
        for kind, (value, expect) in kinds.items():
            yield here, kind, value, expect


def config_cases() -> list[Case]:
    """Every field of the app config crossed with its kinds, checked by `rpmkit spec APP`."""
    cases = []
    base = json.loads(json.dumps(BASE_CONFIG))
    for where, kind, value, expect in list(_model_cases(AppConfig, (), base)):
        loc = _loc(where)
        config = _set(base, where, value)
        cases.append(
            Case(
                f"config {loc} {kind}",
                ("spec", "{app}"),
                (loc, loc.split("[")[0]),
                config=config,
                expect=expect,
            )
        )
    for key in (
        "requirements", "files[0].source", "static_root", "spec", "install.repo_files[0]",
        "install.repos[0].gpgkey",
    ):  # fmt: skip
        path = tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\[\]]+", key) if p)
        config = _set(BASE_CONFIG, path, "link-out")
        if key == "static_root":
            config["template"] = "static-site"
            for dropped in ("services", "nginx", "requirements"):
                config.pop(dropped)
        cases.append(
            Case(f"config {key} symlink-escape", ("spec", "{app}"), (key,), config, "link-out")
        )
    return cases

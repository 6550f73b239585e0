"""The bad-input catalogue, generated from the code.

Every option and argument of every command (walked from the click commands in
`rpmkit.cli`) and every field of the app config (walked from the pydantic
models) is crossed with the kinds of bad value that apply to its type: wrong
type, out of range, path escape, symlink escape, NUL, trailing newline,
trailing backslash, `%` and `%(...)`, non-ASCII, huge. A handful of values
that look odd but are valid (non-ASCII in a summary) are generated too, and
must be accepted.

A case is clean when rpmkit exits 1 or 2 with exactly one line on stderr,
`error: ...`, naming the option or field, holding no control character, no
traceback and no internal error; and when nothing is left behind (no file
outside the case's own folder, no new file inside it, no engine contacted:
every case must stop before Docker). `run_case` runs one in-process through
`rpmkit.cli.main`, the console entry point.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import click
from pydantic import AfterValidator, BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from rpmkit import cli, fields
from rpmkit.config import AppConfig

Expect = Literal["refuse", "accept"]
HUGE = 100_000
LONG = 3_000  # under the command line's limit, over any single value's

# A valid example for each kind of free-text option (by metavar), mutated into bad ones.
# A new option with a new metavar fails `test_every_option_has_an_example` until added.
OPTION_EXAMPLES = {
    "NAME": "offline",
    "AGE": "24h",
    "AMI": "ami-0123456789abcdef0",
    "DIR|URL": "https://repo.example.com/rpms",
    "V": "1.0",
    "R": "2",
    "URL": "https://pypi.example.com/simple",
    "ENV": "prod",
    "PATH": "/health",
}
# String arguments, by name.
ARGUMENT_EXAMPLES = {"names": "rpmkit-web-0123456789ab"}
# Options with a required value, and what to give them when another option is the one tested.
REQUIRED_OPTIONS = {"--env": "prod", "--from": "{app}/dist/catalogue-0.9.0-1.noarch.rpm"}

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
    "rpmlint": {"filters": ["no-manual-page-for-binary"]},
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


@dataclass(frozen=True)
class Case:
    """One bad (or odd but valid) input and what must happen."""

    id: str
    argv: tuple[str, ...]  # {app}, {repo}, {outside} are replaced by the case's folders
    names: tuple[str, ...]  # the error line names one of these
    config: dict[str, Any] | None = None  # rpmkit.toml, when a config field is the input
    link: str | None = None  # make APP/<link> a symlink to a file outside the repository
    expect: Expect = "refuse"


@dataclass
class Outcome:
    """What one case did."""

    code: int
    out: str
    err: str
    left: list[str] = field(default_factory=list)

    def problems(self, case: Case) -> list[str]:
        """Why the case is not clean (empty when it is)."""
        lines = self.err.splitlines()
        if case.expect == "accept":
            return [] if self.code == 0 and not self.left else [f"exit {self.code}: {self.err}"]
        found = []
        if self.code not in (1, 2):
            found.append(f"exit {self.code}")
        if len(lines) != 1 or not lines[0].startswith("error: "):
            found.append(f"{len(lines)} stderr lines")
        if "Traceback" in self.err or "internal error" in self.err:
            found.append("traceback or internal error")
        if any(fields.control_character(line) for line in lines):
            found.append("a control character in the message")
        if lines and len(lines[0]) > 1000:
            found.append(f"a {len(lines[0])}-character line")
        if not any(name in self.err for name in case.names):
            found.append(f"names none of {case.names}")
        if self.left:
            found.append(f"left behind: {self.left}")
        return [f"{p}; stderr: {self.err[:300]!r}" for p in found]


# -- the command-line side ---------------------------------------------------------------


def commands() -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command (`images build` included) with its path of names."""
    ctx = click.Context(cli.cli)

    def walk(group: click.Group, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                yield from walk(command, (*path, name))
            elif command is not None and not name.endswith("-for-test"):
                yield (*path, name), command

    yield from walk(cli.cli, ())


def _base_args(command: click.Command, skip: click.Parameter | None = None) -> list[str]:
    """Arguments and required options with valid values, leaving out `skip`."""
    args: list[str] = []
    for param in command.params:
        if param is skip:
            continue
        if isinstance(param, click.Argument):
            args.append(ARGUMENT_EXAMPLES.get(param.name or "", "{app}"))
        elif isinstance(param, click.Option) and param.required:
            args += [param.opts[0], REQUIRED_OPTIONS[param.opts[0]]]
    return args


def _string_kinds(base: str) -> dict[str, str]:
    return {
        "nul": f"{base}\0x",
        "trailing-newline": f"{base}\n",
        "trailing-backslash": f"{base}\\",
        "percent-macro": f"{base}%{{_tmppath}}",
        "percent-shell": f"{base}%(id)",
        "non-ascii": f"{base}\u00e9",
        "long": base + "x" * LONG,
        "huge": base + "x" * HUGE,
    }


def _path_kinds(param: click.Parameter) -> dict[str, str]:
    kinds = {
        "nul": "{app}\0x",
        "trailing-newline": "{app}\n",
        "huge": "{app}/" + "x" * HUGE,
    }
    ptype = param.type
    must_exist = isinstance(param, click.Argument) or getattr(ptype, "exists", False)
    if must_exist:
        kinds["missing"] = "{app}/missing-\u00e9"
    if isinstance(ptype, click.Path) and not ptype.file_okay:
        kinds["file-for-folder"] = "{app}/rpmkit.toml"
    if isinstance(ptype, click.Path) and not ptype.dir_okay:
        kinds["folder-for-file"] = "{app}"
    return kinds


def _number_kinds(ptype: click.ParamType) -> dict[str, str]:
    kinds = {"wrong-type": "abc", "wrong-type-empty": ""}
    if isinstance(ptype, click.types.IntParamType):
        kinds["wrong-type-float"] = "1.5"
    if isinstance(ptype, click.IntRange | click.FloatRange):
        if ptype.min is not None:
            kinds["out-of-range-low"] = str(ptype.min - 1)
        if ptype.max is not None:
            kinds["out-of-range-high"] = str(ptype.max + 1)
        kinds["huge"] = "9" * 40
    if isinstance(ptype, click.FloatRange):
        kinds["nan"] = "nan"
        kinds["inf"] = "inf"
    return kinds


def kinds_for(param: click.Parameter) -> dict[str, str]:
    """The bad values that apply to one parameter, by the type click gives it."""
    ptype = param.type
    if isinstance(param, click.Option) and (param.is_flag or param.count):
        return {}
    if isinstance(ptype, click.Path):
        return _path_kinds(param)
    if isinstance(ptype, click.IntRange | click.FloatRange) or ptype in (click.INT, click.FLOAT):
        return _number_kinds(ptype)
    if ptype == click.STRING and isinstance(param, click.Option):
        return _string_kinds(OPTION_EXAMPLES[param.metavar or ""])
    if ptype == click.STRING:
        return _string_kinds(ARGUMENT_EXAMPLES[param.name or ""])
    raise AssertionError(f"no kinds for {param.name} of type {ptype!r}")


def option_cases() -> list[Case]:
    """Every parameter of every command crossed with its kinds."""
    cases = []
    for path, command in commands():
        for param in command.params:
            names = tuple(getattr(param, "opts", ())) + (param.human_readable_name,)
            for kind, value in kinds_for(param).items():
                base = _base_args(command, skip=param)
                if isinstance(param, click.Argument):
                    argv = [*path, *base, value]
                    shown = (*names, value[:20].replace("{app}", ""), "argument")
                else:
                    argv = [*path, *base, param.opts[0], value]
                    shown = names
                cases.append(Case(f"{' '.join(path)} {names[0]} {kind}", tuple(argv), tuple(shown)))
    return cases


# -- the config side ------------------------------------------------------------------------


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
    for key in ("requirements", "files[0].source", "static_root", "spec"):
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


def all_cases() -> list[Case]:
    """The whole catalogue."""
    return option_cases() + config_cases()


# -- running one ------------------------------------------------------------------------------


class ReachedTheEngine(Exception):
    """A case got as far as asking for the Docker engine: it was not refused early."""


def workspace(root: Path, case: Case) -> dict[str, str]:
    """The case's repository: a git work tree with a valid app; returns the placeholders."""
    repo = root / "repo"
    app = repo / "app"
    (repo / ".git").mkdir(parents=True)
    (app / "conf").mkdir(parents=True)
    (app / "public").mkdir()
    (app / "conf/app.ini").write_text("[app]\n")
    (app / "requirements.txt").write_text("")
    (app / "app.py").write_text("print('hello')\n")
    (app / "catalogue.spec").write_text("Name: catalogue\n")
    (app / "dist").mkdir()
    (app / "dist/catalogue-0.9.0-1.noarch.rpm").write_bytes(b"\xed\xab\xee\xdb not an RPM")
    (root / "home").mkdir()
    outside = root / "outside"
    outside.mkdir()
    (outside / "host.txt").write_text("host-only\n")
    config = case.config if case.config is not None else BASE_CONFIG
    (app / "rpmkit.toml").write_text(to_toml(config))
    if case.link:
        (app / case.link).symlink_to(outside / "host.txt")
    return {"{app}": str(app), "{repo}": str(repo), "{outside}": str(outside)}


def _snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def run_case(case: Case, root: Path) -> Outcome:
    """Run one case in-process through the console entry point, in its own folder under `root`."""
    places = workspace(root, case)
    argv = []
    for arg in case.argv:
        for key, value in places.items():
            arg = arg.replace(key, value)
        argv.append(arg)
    before = _snapshot(root)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with _sealed(root), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    left = sorted(_snapshot(root) - before)
    return Outcome(code, out.getvalue(), err.getvalue(), left)


@contextlib.contextmanager
def _sealed(root: Path) -> Iterator[None]:
    """No engine, the case's own home, cache and working folder."""
    from rpmkit import engine

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ReachedTheEngine("the case reached the Docker engine")

    saved = dict(os.environ)
    cwd = os.getcwd()
    connect = engine.connect
    engine.connect = refuse  # type: ignore[assignment]
    home = root / "home"
    os.environ.update({"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "NO_COLOR": "1"})
    os.environ.pop("DOCKER_HOST", None)
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(cwd)
        engine.connect = connect  # type: ignore[assignment]
        os.environ.clear()
        os.environ.update(saved)


def to_toml(data: dict[str, Any]) -> str:
    """A TOML document for `data` (tables, lists, strings, numbers, booleans)."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in data.items())


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are TOML's (\u0000 included)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))

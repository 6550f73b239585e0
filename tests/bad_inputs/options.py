"""The command-line side: every parameter of every click command, by its type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from rpmkit import cli
from tests.bad_inputs.case import HUGE, LONG, Case

# A valid example for each kind of free-text option (by metavar), mutated into bad ones.
# A new option with a new metavar stops the catalogue (kinds_for raises) until added here.
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
    "UNIT": "catalogue-reindex.service",
    "NAME=VALUE": "with_tests=1",
    "I/N": "1/2",
    "HEX": "0" * 64,
}
# String arguments, by name.
ARGUMENT_EXAMPLES = {"names": "rpmkit-web-0123456789ab"}
# Commands whose folder argument may be missing: `images save DIR` makes it, and `images
# load DIR` of a cold CI cache (no DIR yet) loads nothing.
MAY_BE_MISSING = {("images", "save"), ("images", "load")}
# Options with a required value, and what to give them when another option is the one tested.
REQUIRED_OPTIONS = {"--env": "prod", "--from": "{app}/dist/catalogue-0.9.0-1.noarch.rpm"}


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
    if isinstance(ptype, click.Choice):
        first = str(ptype.choices[0])
        return {
            "unknown": "nope",
            "trailing-newline": f"{first}\n",
            "trailing-backslash": f"{first}\\",
            "non-ascii": f"{first}\u00e9",
            "huge": first + "x" * HUGE,
        }
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
                if kind == "missing" and path in MAY_BE_MISSING:
                    continue
                base = _base_args(command, skip=param)
                if isinstance(param, click.Argument):
                    argv = [*path, *base, value]
                    shown = (*names, value[:20].replace("{app}", ""), "argument")
                else:
                    argv = [*path, *base, param.opts[0], value]
                    shown = names
                cases.append(Case(f"{' '.join(path)} {names[0]} {kind}", tuple(argv), tuple(shown)))
    return cases

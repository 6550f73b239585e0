"""One tox environment per app in a TOML tox config: `tox.toml`, or `[tool.tox]` in pyproject.toml.

Edited with tomlkit, which keeps the file's own environments, comments and
layout: only the apps' `[env.<name>]` tables are replaced or added and
`env_list` extended. Each table carries its settings itself (no `base`):
tox.toml (tox 4.21 and newer) has no `[testenv]`-style sections to inherit
from that would not also be environments. See `toxenv` for the INI form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rpmkit.apps.discover import App
from rpmkit.apps.tox_ini import PASS_ENV, Change, env_name

HEADER = """\
One tox environment per app, made by `rpmkit tox --write` (run it again after
adding an app: it updates the apps' tables and keeps the rest of the file).
  tox -e APP                          # `rpmkit run` for one app
  tox -p                              # every app, side by side
  tox -e APP -- --junit-xml APP.xml   # arguments after -- go to `rpmkit run`
rpmkit is not installed into the environments: they run $RPMKIT, else the
rpmkit on PATH (RPMKIT=$PWD/.venv/bin/rpmkit tox -p)."""
REQUIRES = "tox>=4.21"  # the first tox that reads tox.toml


def env_table(app: App) -> Any:
    """One app's environment as a tomlkit table: `rpmkit run` of its folder."""
    import tomlkit

    folder = "{tox_root}" if app.relative == "." else f"{{tox_root}}/{app.relative}"
    table = tomlkit.table()
    table["description"] = f"rpmkit run {app.relative}"
    table["skip_install"] = True
    table["allowlist_externals"] = ["rpmkit", "*/rpmkit"]
    pass_env = tomlkit.array()
    pass_env.extend(PASS_ENV)
    table["pass_env"] = pass_env.multiline(True)
    command = tomlkit.array()
    command.extend(
        [
            _inline({"replace": "env", "name": "RPMKIT", "default": "rpmkit"}),
            "run",
            folder,
            _inline({"replace": "posargs", "extend": True}),
        ]
    )
    commands = tomlkit.array()
    commands.append(command)
    table["commands"] = commands
    return table


def _inline(values: dict[str, Any]) -> Any:
    import tomlkit

    table = tomlkit.inline_table()
    table.update(values)
    return table


def render(apps: Sequence[App]) -> str:
    """A whole tox.toml for the apps."""
    import tomlkit

    doc = tomlkit.document()
    for line in HEADER.splitlines():
        doc.add(tomlkit.comment(line))
    doc["requires"] = [REQUIRES]
    doc["env_list"] = [env_name(a) for a in apps]
    _set_envs(doc, apps)
    return tomlkit.dumps(doc)


def update(text: str, apps: Sequence[App], table: tuple[str, ...] = ()) -> Change:
    """The TOML config with the apps' environments replaced or added, the rest as it was.

    `table` is where tox's settings live in the file: () for tox.toml,
    ("tool", "tox") for pyproject.toml.
    """
    import tomlkit

    doc = tomlkit.parse(text)
    config: Any = doc
    for key in table:
        config = config[key]
    envs = config.get("env", {})
    names = [env_name(a) for a in apps]
    added = tuple(n for n in names if n not in envs)
    updated = tuple(n for n in names if n in envs)
    listed = config.get("env_list")
    if listed is None:
        config["env_list"] = names
    else:
        for name in names:
            if name not in listed:
                listed.append(name)
    _set_envs(config, apps)
    return Change(tomlkit.dumps(doc), added, updated)


def _set_envs(config: Any, apps: Sequence[App]) -> None:
    import tomlkit

    if "env" not in config:
        config["env"] = tomlkit.table(is_super_table=True)
    for app in apps:
        config["env"][env_name(app)] = env_table(app)

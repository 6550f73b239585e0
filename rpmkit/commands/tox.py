"""`rpmkit tox [DIR]`: one tox environment per app found below DIR."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from rpmkit.errors import ConfigError

if TYPE_CHECKING:
    from rpmkit.apps.discover import App
    from rpmkit.apps.tox_ini import Change


@click.command()
@click.argument(
    "root",
    metavar="[DIR]",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option("--write", is_flag=True, help="Write DIR's tox config (update it if it exists).")
@click.option(
    "--toml", "as_toml", is_flag=True, help="A new config as tox.toml rather than tox.ini."
)
@click.pass_context
def tox(ctx: click.Context, root: Path, write: bool, as_toml: bool) -> None:
    """Print the tox config with one environment per app below DIR, or --write it.

    Each environment runs `rpmkit run APP` (arguments after `--` are passed
    on), so `tox -e APP` checks one app and `tox -p` all of them side by
    side. The environments install nothing: they run $RPMKIT, else the
    rpmkit on PATH. An app whose name tox would read as a Python version
    (py27-legacy) gets an environment named without it (py27_legacy).

    --write edits the config tox itself reads, in tox's order: tox.ini, then
    [tool.tox] in pyproject.toml, then tox.toml (with tomlkit, keeping its own
    environments and comments); with none, it writes tox.ini (tox.toml with
    --toml). The apps' environments are replaced or added, env_list extended,
    the rest kept. Without --write, what it would write is printed.

    \b
    Examples:
      rpmkit tox                      # print it for the apps below .
      rpmkit tox examples/monorepo --write
      RPMKIT=$PWD/.venv/bin/rpmkit tox -p -c examples/monorepo
    """
    from rpmkit.apps import discover
    from rpmkit.apps import tox_ini as toxenv
    from rpmkit.apps import tox_toml as toxtoml
    from rpmkit.commands.common import State

    state = ctx.find_object(State)
    apps = discover.find_apps(root, state.reporter if state else None)
    for app in apps:
        if toxenv.env_name(app) != app.name:
            click.echo(
                f"note: {app.name} runs as tox environment {toxenv.env_name(app)}: tox would "
                "read a Python version in its name",
                err=True,
            )
    target, table = config_file(root, as_toml)
    new = not target.is_file()
    is_toml = target.suffix == ".toml"
    if not write:
        text = toxtoml.render(apps) if is_toml and new else toxenv.render(apps)
        if not new:
            text = _updated(target, apps, table).text
        click.echo(text, nl=False)
        return
    if new:
        text = toxtoml.render(apps) if is_toml else toxenv.render(apps)
        target.write_text(text, encoding="utf-8")
        click.echo(f"wrote {target}: {', '.join(toxenv.env_name(a) for a in apps)}")
        return
    change = _updated(target, apps, table)
    target.write_text(change.text, encoding="utf-8")
    click.echo(
        f"updated {target}: added {', '.join(change.added) or 'none'}, "
        f"replaced {', '.join(change.updated) or 'none'}"
    )


def config_file(root: Path, as_toml: bool = False) -> tuple[Path, tuple[str, ...]]:
    """The tox config tox reads in `root` (and the table its settings are in), else the new one.

    tox's order: tox.ini, setup.cfg ([tox:tox]), pyproject.toml ([tool.tox]), tox.toml.
    """
    from rpmkit import toml

    if (root / "tox.ini").is_file():
        return root / "tox.ini", ()
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file() and "[tox:tox]" in setup_cfg.read_text(errors="replace"):
        raise ConfigError(
            f"{setup_cfg}: tox reads its config from [tox:tox] here, which rpmkit does not edit",
            hint="move it to tox.ini or tox.toml, or print the environments with `rpmkit tox` "
            "and add them by hand",
        )
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        tool = toml.load(pyproject).get("tool", {})
        tox_table = tool.get("tox") if isinstance(tool, dict) else None
        if isinstance(tox_table, dict) and "legacy_tox_ini" in tox_table:
            raise ConfigError(
                f"{pyproject}: tox reads an INI text in [tool.tox] legacy_tox_ini, which rpmkit "
                "does not edit",
                hint="move it to tox.ini, or print the environments with `rpmkit tox`",
            )
        if isinstance(tox_table, dict) and tox_table:
            return pyproject, ("tool", "tox")
    if (root / "tox.toml").is_file() or as_toml:
        return root / "tox.toml", ()
    return root / "tox.ini", ()


def _updated(target: Path, apps: list[App], table: tuple[str, ...]) -> Change:
    from rpmkit.apps import tox_ini as toxenv
    from rpmkit.apps import tox_toml as toxtoml

    text = target.read_text(encoding="utf-8")
    if target.suffix == ".toml":
        return toxtoml.update(text, apps, table)
    return toxenv.update(text, apps)

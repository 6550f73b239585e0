"""`rpmkit tox [DIR]`: one tox environment per app found below DIR."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument(
    "root",
    metavar="[DIR]",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option("--write", is_flag=True, help="Write DIR/tox.ini (update it if it exists).")
def tox(root: Path, write: bool) -> None:
    """Print a tox.ini with one environment per app below DIR, or --write it.

    Each environment runs `rpmkit run APP` (arguments after `--` are passed
    on), so `tox -e APP` checks one app and `tox -p` all of them side by
    side. The environments install nothing: they run $RPMKIT, else the
    rpmkit on PATH. With --write an existing tox.ini keeps its other
    sections: the apps' sections are replaced or added, env_list extended.

    \b
    Examples:
      rpmkit tox                      # print it for the apps below .
      rpmkit tox examples/monorepo --write
      RPMKIT=$PWD/.venv/bin/rpmkit tox -p -c examples/monorepo
    """
    from rpmkit import discover, toxenv

    apps = discover.find_apps(root)
    target = root / "tox.ini"
    if not write:
        click.echo(toxenv.render(apps), nl=False)
        return
    if not target.is_file():
        target.write_text(toxenv.render(apps), encoding="utf-8")
        click.echo(f"wrote {target}: {', '.join(a.name for a in apps)}")
        return
    change = toxenv.update(target.read_text(encoding="utf-8"), apps)
    target.write_text(change.text, encoding="utf-8")
    click.echo(
        f"updated {target}: added {', '.join(change.added) or 'none'}, "
        f"replaced {', '.join(change.updated) or 'none'}"
    )

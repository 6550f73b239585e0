"""`rpmkit init [DIR]`: scaffold rpmkit.toml for an existing app."""

from __future__ import annotations

import dataclasses
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from rpmkit import init as scaffold
from rpmkit import templates
from rpmkit.commands.common import State, pass_state
from rpmkit.config import CONFIG_FILE, find_config
from rpmkit.errors import ConfigError


@click.command()
@click.argument(
    "app_dir",
    metavar="[DIR]",
    default=".",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option("--force", is_flag=True, help="Overwrite an existing rpmkit.toml.")
@click.option("--dry-run", is_flag=True, help="Print the config; write nothing.")
@click.option("-y", "--yes", is_flag=True, help="Ask nothing, even on a terminal.")
@pass_state
def init(state: State, app_dir: Path, force: bool, dry_run: bool, yes: bool) -> None:
    """Write DIR/rpmkit.toml for an existing app, from what the folder holds.

    The app's modules are parsed, never imported. A WSGI app (Flask, bottle,
    falcon, Django's wsgi.py, a `create_app()` factory, a plain
    `def application(environ, start_response)`) becomes a python-web app
    served by gunicorn on loopback behind nginx on port 80; an ASGI app
    (Quart, FastAPI) by uvicorn. A gunicorn.conf.py (or gunicorn_config.py)
    is read: the service listens where its bind says when nginx can reach
    it there. A server the requirements do not list goes into [python]
    extra_requirements; the app's own files are never changed. The health
    check asks the app's /health_check, /health or /healthz route, else /.
    A public/index.html makes a static-site, a script with a __main__ block
    a python-worker. Name, version, summary (the README's first sentence)
    and licence (the LICENSE file's text) come from the folder.

    It says what it found, and refuses (exit 2) to write a config it knows
    would fail, naming what to add. On a terminal it shows the values and
    lets you change them; otherwise (and with --yes) it asks nothing. It
    never overwrites rpmkit.toml without --force.

    \b
    Examples:
      rpmkit init                     # the app in the current folder
      rpmkit init services/api --yes
      rpmkit init . --dry-run         # print it, write nothing
    """
    target = app_dir / CONFIG_FILE
    existing = find_config(app_dir)
    if existing is not None and existing != target and not dry_run:
        # rpmkit.toml would win over it, silently: make the choice explicit.
        raise ConfigError(
            f"{existing} already configures this app",
            hint=f"remove [tool.rpmkit] from {existing.name} first",
        )
    if existing is not None and not force and not dry_run:
        raise ConfigError(
            f"{existing} already configures this app", hint="pass --force to replace it"
        )
    found = scaffold.detect(app_dir)
    if not yes and not dry_run and sys.stdin.isatty() and sys.stdout.isatty():
        found = _confirm(found)
    text = scaffold.render(found)
    scaffold.validate(text)
    for line in found.said:
        state.reporter.info(f"found: {line}")
    for note in found.notes:
        state.reporter.warn(note)
    if dry_run:
        click.echo(text, nl=False)
        return
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target} ({found.template}); next: rpmkit run {shlex.quote(str(app_dir))}")


def _confirm(found: scaffold.Detected) -> scaffold.Detected:
    changes: dict[str, Any] = {
        "name": click.prompt("name", default=found.name),
        "version": click.prompt("version", default=found.version),
        "summary": click.prompt("summary", default=found.summary),
        "license": click.prompt("license", default=found.license),
    }
    if found.command:
        changes["command"] = click.prompt("service command", default=found.command)
    if templates.get(found.template).serves_http:
        changes["health_path"] = click.prompt("health check path", default=found.health_path)
    return dataclasses.replace(found, **changes)

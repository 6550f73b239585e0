"""`rpmkit schema config|report`: the JSON Schemas, for editors and report readers."""

from __future__ import annotations

import json

import click


@click.command()
@click.argument("which", type=click.Choice(["config", "report"]))
@click.option(
    "--pyproject",
    is_flag=True,
    help="config: the schema of a whole pyproject.toml, checking its [tool.rpmkit] table.",
)
def schema(which: str, pyproject: bool) -> None:
    """Print the JSON Schema of the app config or of the --json report.

    `config` is generated from the config models: point an editor at it
    (taplo, VS Code's Even Better TOML) to complete and check rpmkit.toml as
    you type; with --pyproject, the schema of a pyproject.toml whose
    [tool.rpmkit] table holds the config. `report` is the schema of the
    rpmkit.report/1 document that check, run, run --all and rehearse write
    with --json.

    \b
    Examples:
      rpmkit schema config > .rpmkit.schema.json
      rpmkit schema config --pyproject > .rpmkit.pyproject.schema.json
      rpmkit schema report > rpmkit-report.schema.json
    """
    from rpmkit import schema as schemas

    if which == "report":
        if pyproject:
            raise click.UsageError("--pyproject goes with `rpmkit schema config`")
        found = schemas.report_schema()
    else:
        found = schemas.pyproject_schema() if pyproject else schemas.config_schema()
    click.echo(json.dumps(found, indent=2))

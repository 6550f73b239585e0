"""`rpmkit matrix [DIR]`: the apps `run --all` would check, as the jobs of a CI matrix."""

from __future__ import annotations

from pathlib import Path

import click

from rpmkit.commands.common import State, pass_state


@click.command()
@click.argument(
    "root",
    required=False,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="[DIR]",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["github", "gitlab", "lines"]),
    default="github",
    show_default=True,
    help="github: JSON for fromJSON; gitlab: a parallel:matrix block; lines: one job a line.",
)
@click.option(
    "--shards",
    type=click.IntRange(min=1),
    metavar="N",
    help="Pack the apps into N jobs [default: one job per app].",
)
@pass_state
def matrix(state: State, root: Path | None, fmt: str, shards: int | None) -> None:
    """Print the apps `rpmkit run --all DIR` would check, as CI jobs.

    Each job is one shard: `rpmkit run --all DIR --shard I/N` checks it, and
    `rpmkit report merge` joins the shards' --json reports into one summary,
    one JUnit file and one exit status. Shards are cut from the apps' sorted
    paths, so this list and every shard's run agree on any machine.

    \b
    github: {"include": [{"shard": "1/2", "slug": "1-of-2", "apps": "a b", "count": 2}]},
            for `strategy: matrix: ${{ fromJSON(...) }}` (at most 256 jobs)
    gitlab: a `parallel: matrix:` block, one entry per job with RPMKIT_SHARD
            and RPMKIT_APPS (at most 200 jobs)
    lines:  `1/2 a b`, one job a line

    Without --shards each app is a job; more apps than the CI system allows
    are packed into its limit, with a note on stderr. --shards beyond the
    limit is refused.

    \b
    Examples:
      rpmkit matrix . --shards 4
      rpmkit matrix apps/ --format gitlab --shards 8
      rpmkit matrix --format lines
    """
    from rpmkit.apps import discover
    from rpmkit.apps import shards as sharding

    apps = discover.find_apps(root or Path("."), state.reporter)
    jobs, note = sharding.plan(apps, shards, fmt)
    if note:
        click.echo(f"note: {note}", err=True)
    click.echo(sharding.render(jobs, fmt))

"""The CLI reference, generated from rpmkit's click commands.

Each command's section is its `--help` text exactly as click prints it on an
80-column terminal, so the page and the terminal never disagree. Subcommands
are found as the CLI finds them (`list_commands`/`get_command` of the lazy
group). Rendering the help text itself, rather than re-laying it out, keeps
its `\b` blocks (examples) as they are.

Run by the docs build (scripts/mkdocs_hooks.py), which puts the result where
docs/reference/cli.md holds the MARKER line; `python scripts/cli_reference.py`
prints it.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

from rpmkit.cli import cli

MARKER = "<!-- the commands, generated from the code -->"
WIDTH = 78  # what click uses on an 80-column terminal (two columns of margin)


def render() -> str:
    """Every command's heading and `--help` text, as Markdown."""
    return "\n".join(_sections(cli, "rpmkit", None, level=2))


def _sections(
    command: click.Command, name: str, parent: click.Context | None, level: int
) -> Iterator[str]:
    # As the CLI makes it (the group's context settings: `-h`), with no arguments parsed.
    ctx = command.make_context(
        name,
        [],
        parent=parent,
        resilient_parsing=True,
        terminal_width=WIDTH,
        max_content_width=WIDTH,
    )
    path = ctx.command_path
    yield f"{'#' * level} `{path}`"
    yield ""
    yield "```text"
    yield command.get_help(ctx).rstrip()
    yield "```"
    yield ""
    if isinstance(command, click.Group):
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is None or sub.hidden:
                continue
            # The commands sit beside `rpmkit` in the page's outline; their subcommands below them.
            yield from _sections(sub, sub_name, ctx, level=level + (parent is not None))


if __name__ == "__main__":
    print(render())

"""-v, -q and --debug after a command's name too: `rpmkit check APP -v`."""

from __future__ import annotations

import click

from rpmkit.commands.common import State


def globals_after(command: click.Command) -> click.Command:
    """The command (and its subcommands) accepting -v, -q and --debug after its name too."""
    if not getattr(command, "_rpmkit_globals", False):
        names = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for option in _global_options():
            if not names & set(option.opts):  # a command's own option wins
                command.params.append(option)
        command._rpmkit_globals = True  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            globals_after(sub)
    return command


def _global_options() -> list[click.Option]:
    def verbose(ctx: click.Context, _: click.Parameter, value: int) -> None:
        state = ctx.find_object(State)
        if value and state is not None and state.verbosity >= 0:
            state.verbosity += value
            state.reporter.verbosity = state.verbosity

    def quiet(ctx: click.Context, _: click.Parameter, value: bool) -> None:
        state = ctx.find_object(State)
        if value and state is not None:
            state.verbosity = state.reporter.verbosity = -1

    def debug(ctx: click.Context, _: click.Parameter, value: bool) -> None:
        state = ctx.find_object(State)
        if value and state is not None:
            state.debug = True

    return [
        click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=verbose,
                     help="More output (also before the command)."),
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=quiet,
                     help="Only warnings, errors and results."),
        click.Option(["--debug"], is_flag=True, expose_value=False, callback=debug,
                     help="Show tracebacks for errors."),
    ]  # fmt: skip

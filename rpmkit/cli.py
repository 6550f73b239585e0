"""The `rpmkit` command: parses arguments, calls the pipeline, prints results."""

from __future__ import annotations

import contextlib
import difflib
import importlib
import os
import signal
import sys
import threading
import traceback
from types import FrameType

import click

from rpmkit import __version__, scratch
from rpmkit.check import teardown
from rpmkit.commands import options
from rpmkit.commands.common import State
from rpmkit.commands.params import check_argv
from rpmkit.errors import EXIT_BUG, EXIT_USAGE, RpmkitError
from rpmkit.progress import Reporter
from rpmkit.redact import RedactingStream, redact
from rpmkit.redact import reset as redact_reset
from rpmkit.stdout import ClosedPipeGuard, reopen_closed

# An error line longer than this is cut (it quotes a value that is far too long).
LINE_MAX = 300
# Commands are imported when used, so `rpmkit check` does not pay for the
# imports of `rpmkit build` (pydantic, jinja2): start-up time is part of the answer.
COMMANDS = {
    "bake": "rpmkit.commands.bake:bake",
    "build": "rpmkit.commands.build:build",
    "check": "rpmkit.commands.check:check",
    "deploy": "rpmkit.commands.deploy:deploy",
    "doctor": "rpmkit.commands.doctor:doctor",
    "gate": "rpmkit.commands.gate:gate",
    "images": "rpmkit.commands.images:images",
    "init": "rpmkit.commands.init:init",
    "instances": "rpmkit.commands.instances:instances",
    "matrix": "rpmkit.commands.matrix:matrix",
    "publish": "rpmkit.commands.publish:publish",
    "rehearse": "rpmkit.commands.rehearse:rehearse",
    "report": "rpmkit.commands.report:report",
    "run": "rpmkit.commands.run:run",
    "scaffold": "rpmkit.commands.scaffold:scaffold",
    "schema": "rpmkit.commands.schema:schema",
    "shell": "rpmkit.commands.shell:shell",
    "spec": "rpmkit.commands.spec:spec",
    "tox": "rpmkit.commands.tox:tox",
}

# Each command's first line, so `rpmkit --help` lists them without importing them all
# (pydantic, jinja2): a unit test keeps these equal to the commands' own.
SUMMARIES: dict[str, str] = {
    "bake": "Bake the RPM into an AMI with aminate, if and only if it passed the check.",
    "build": "Build APP's RPM and SRPM in the profile's builder container, then rpmlint them.",
    "check": "Install RPMs into a fresh container as the bake would, boot and check them.",
    "deploy": "Deploy APP's baked AMI to an environment with the team's deploy tool.",
    "doctor": "Check that this machine can run the pipeline, one line per check.",
    "gate": "Verify that RPMs passed `rpmkit check`, and nothing else.",
    "images": "Build, list and remove the images rpmkit keeps as caches.",
    "init": "Write DIR/rpmkit.toml for an existing app, from what the folder holds.",
    "instances": "List the instances rpmkit made that are still there.",
    "matrix": "Print the apps `rpmkit run --all DIR` would check, as CI jobs.",
    "publish": "Put RPMs where the bake machine's yum repositories see them.",
    "rehearse": "Rehearse the rollout locally: a group behind a real load balancer, a red-black swap.",  # noqa: E501
    "report": "Work with the --json reports (format rpmkit.report/1).",
    "run": "The main job: render APP's spec, build its RPM, then check it.",
    "scaffold": "Create APP in the deploy tool for an environment: run once, before the first deploy.",  # noqa: E501
    "schema": "Print the JSON Schema of the app config or of the --json report.",
    "shell": "Open a shell in a fresh instance with the RPMs installed and booted; exit removes it.",  # noqa: E501
    "spec": "Print the RPM spec rpmkit makes for the app in APP.",
    "tox": "Print the tox config with one environment per app below DIR, or --write it.",
}


class LazyGroup(click.Group):
    """A group whose subcommands live in modules imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if any(name not in SUMMARIES and name not in self.commands for name in names):
            super().format_commands(ctx, formatter)
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for name in names:
            if name in SUMMARIES:
                summary = click.Command(name, help=SUMMARIES[name])  # shortened as click does
                rows.append((name, summary.get_short_help_str(limit)))
            else:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, _, attr = COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        command = super().get_command(ctx, cmd_name)
        return options.globals_after(command) if command is not None else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=3, cutoff=0.7)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint} (rpmkit --help lists them)")
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="rpmkit")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("-v", "--verbose", count=True, help="More output (build logs, commands run).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings, errors and results.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: int, quiet: bool) -> None:
    """Know in a second whether an RPM installs, boots and passes its health check.

    rpmkit builds the RPM inside a builder container, installs it into a fresh
    container as the AMI bake would, boots it with systemd and checks it, all
    before anyone spends fifteen minutes baking an AMI.

    \b
    First time on a machine:
      rpmkit doctor                          # is Docker up, are images built?
      rpmkit images build --profile offline  # make the offline images (~1 min)
    """
    verbosity = -1 if quiet else verbose
    scratch.reap()  # host folders of runs killed with -9 (their engine objects: engine.reap)
    ctx.obj = State(debug=debug, verbosity=verbosity, reporter=Reporter(verbosity))


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled as Ctrl-C is: everything the run made is cleaned up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_received: list[int] = []  # the stop signal that ended the run (click turns it into Abort)


# Seconds the clean-up after a stop signal may take before rpmkit exits regardless.
STOP_GRACE = 30.0


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # Once: the clean-up that follows must not be cut short by a second signal.
    for sig in STOP_SIGNALS:
        signal.signal(sig, _ignore)
    _received.append(signum)
    watchdog = threading.Timer(STOP_GRACE, _give_up, args=(signum,))
    watchdog.daemon = True  # a run that ends in time ends it too
    watchdog.start()
    raise Interrupted(signum)


def _give_up(signum: int) -> None:
    """The clean-up hung: exit anyway, after removing this process's engine objects.

    Raised at an arbitrary point, the stop can land inside a library's lock
    (urllib3's connection pool, left held) or in a finalizer, where Python
    drops it: the run then hangs or goes on. A fresh connection removes what
    this process made (its owner label); the next run's reaper removes
    anything still left, its owner being gone.
    """
    name = signal.Signals(signum).name
    click.echo(
        f"{name}: the clean-up did not finish in {STOP_GRACE:.0f}s; exiting "
        "(what is left is removed by the next run)",
        err=True,
    )
    with contextlib.suppress(Exception):
        from rpmkit import engine, labels

        engine.connect(timeout=10).remove_owned(labels.owner())
    os._exit(128 + signum)


def _ignore(signum: int, frame: FrameType | None) -> None:
    click.echo(f"{signal.Signals(signum).name}: still cleaning up", err=True)


# Ctrl-C, `kill`, a closed terminal: each stops the run and removes what it made.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: the one place errors become exit codes.

    Exit codes: 0 pass, 1 check failed, 2 usage/config/environment, 3 bug,
    128+N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
    """
    args = sys.argv[1:] if argv is None else argv
    # Every line rpmkit prints passes the redaction: results, progress, errors, tracebacks.
    redact_reset()
    reopen_closed()  # `rpmkit ... >&-`: /dev/null there, not a crash
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(stdout)
    sys.stderr = RedactingStream(stderr)
    try:
        # The teardown after the verdict goes on detached (check/teardown.py).
        with teardown.deferred():
            _main(args)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _main(args: list[str]) -> None:
    debug = "--debug" in args
    problem = check_argv(args)
    if problem:  # before click: a NUL or a newline would reach messages and file names
        click.echo(f"error: {redact(problem)}", err=True)
        sys.exit(EXIT_USAGE)
    _received.clear()
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            signal.signal(sig, _on_signal)
    if not isinstance(sys.stdout, ClosedPipeGuard):
        sys.stdout = ClosedPipeGuard(sys.stdout)  # `rpmkit check ... | head` is no error
    try:
        cli.main(args=args, prog_name="rpmkit", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        _show_usage_error(exc)
        sys.exit(exc.exit_code if exc.exit_code else EXIT_USAGE)
    except (KeyboardInterrupt, click.exceptions.Abort):
        signum = _received[0] if _received else signal.SIGINT
        click.echo(f"interrupted ({signal.Signals(signum).name})", err=True)
        sys.exit(128 + signum)
    except RpmkitError as exc:
        if debug:
            _print_traceback()
        _show_error(exc)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if debug:
            _print_traceback()
            sys.exit(EXIT_BUG)
        click.echo(
            redact(
                f"rpmkit: internal error: {type(exc).__name__}: {exc} (run again with --debug "
                "for the traceback, and report it)"
            ),
            err=True,
        )
        sys.exit(EXIT_BUG)
    sys.exit(0)


def _show_usage_error(exc: click.ClickException) -> None:
    # One line, like every other error: what was wrong, and where the usage is.
    ctx = getattr(exc, "ctx", None)
    where = f"; see `{ctx.command_path} --help`" if ctx is not None else ""
    message = " ".join(redact(exc.format_message()).split())
    click.echo(f"error: {_printable(message)}{where}", err=True)


def _print_traceback() -> None:
    # Frames quote the source lines and the exception's message: both can hold a credential.
    click.echo(redact(traceback.format_exc()).rstrip(), err=True)


def _show_error(exc: RpmkitError) -> None:
    # The first line says what, where and what to do; evidence follows, indented.
    # A message of several lines lists several problems, one per line.
    lines = redact(exc.message).splitlines() or [""]
    hint = redact(exc.hint) if exc.hint else None
    for line in lines[:-1]:
        click.echo(f"error: {_printable(line)}", err=True)
    click.echo(
        f"error: {_printable(lines[-1])}" + (f"; {_printable(hint)}" if hint else ""), err=True
    )
    if exc.details:
        for detail in redact(exc.details).rstrip().splitlines():
            click.echo(f"  | {_printable(detail, limit=LINE_MAX * 2)}", err=True)


def _printable(line: str, limit: int = LINE_MAX) -> str:
    # The last guard for a message that quotes a value: no control character reaches the
    # terminal, and a huge value does not become a huge line.
    line = "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in line)
    if len(line) <= limit:
        return line
    return f"{line[:limit]}... ({len(line) - limit} more characters)"

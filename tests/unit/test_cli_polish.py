"""The CLI as people mistype and pipe it: suggestions, options anywhere, progress, `| head`."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from rpmkit import cli
from rpmkit.commands.common import State, pass_state
from rpmkit.progress import Reporter


def test_a_mistyped_command_gets_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["chek", "app"])
    assert exc.value.code == 2
    assert "No such command 'chek'. Did you mean 'check'?" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["xyzzy"])
    assert "Did you mean" not in capsys.readouterr().err


@pytest.fixture
def state_command() -> Iterator[None]:
    @cli.cli.command("state-for-test")
    @click.argument("name")
    @pass_state
    def _show(state: State, name: str) -> None:
        click.echo(f"{name} {state.verbosity} {state.reporter.verbosity} {state.debug}")

    yield
    cli.cli.commands.pop("state-for-test")


@pytest.mark.usefixtures("state_command")
@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["state-for-test", "x"], "x 0 0 False"),
        (["-v", "state-for-test", "x"], "x 1 1 False"),
        (["state-for-test", "x", "-v"], "x 1 1 False"),
        (["-v", "state-for-test", "-vv", "x"], "x 3 3 False"),
        (["state-for-test", "x", "-q"], "x -1 -1 False"),
        (["state-for-test", "--debug", "x"], "x 0 0 True"),
    ],
)
def test_global_options_work_after_the_command_too(args: list[str], shown: str) -> None:
    result = CliRunner().invoke(cli.cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == shown


def test_every_command_takes_the_global_options_after_its_name() -> None:
    ctx = click.Context(cli.cli)
    for name in cli.COMMANDS:
        command = cli.cli.get_command(ctx, name)
        assert command is not None
        opts = {o for p in command.params for o in getattr(p, "opts", [])}
        assert {"-v", "-q", "--debug"} <= opts, name


def test_a_step_that_fails_says_failed_not_done() -> None:
    out = io.StringIO()
    reporter = Reporter(0, out)
    with reporter.step("downloading wheels"):
        pass
    with pytest.raises(RuntimeError), reporter.step("building"):
        raise RuntimeError("boom")
    lines = out.getvalue().splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == [
        "downloading wheels ...",
        "downloading wheels: done in 0.0s",
        "building ...",
        "building: failed after 0.0s",
    ]
    # Every line says how long the command has been running.
    assert all(line.startswith("[") and " +0.0s] " in line for line in lines)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_step_shows_its_elapsed_time_and_how_it_ended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("CI", raising=False)
    out = Terminal()
    reporter = Reporter(0, out)
    assert reporter.fancy
    with reporter.step("outer"):
        with reporter.step("inner"):  # nested steps share one live display
            reporter.info("a line")
        with pytest.raises(KeyboardInterrupt), reporter.step("second"):
            raise KeyboardInterrupt
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue())
    assert "✓ inner: done in" in text
    assert "✗ second: interrupted after" in text
    assert "✓ outer: done in" in text
    assert re.search(r"\+ *\d+\.\ds a line", text)  # how long the command has run
    assert re.search(r"⠋ inner \d+\.\ds", text)  # the live line's elapsed time


def rpmkit_with_stdout_closed(*args: str) -> tuple[int, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "rpmkit", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # the reader has gone, as `| head` does
    err = proc.stderr.read().decode()
    return proc.wait(timeout=60), err


def test_a_closed_stdout_is_not_an_error_and_the_exit_is_the_commands(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "rpmkit.toml").write_text('name = "app"\nversion = "1.0"\n')
    code, err = rpmkit_with_stdout_closed("tox", str(tmp_path))
    assert (code, err) == (0, "")
    code, err = rpmkit_with_stdout_closed(
        "check", str(tmp_path / "gone-1-1.noarch.rpm"), "--json", str(tmp_path / "r.json")
    )
    assert code == 2
    assert "Traceback" not in err
    assert "BrokenPipe" not in err
    assert "gone-1-1.noarch.rpm: no such file" in err
    assert (tmp_path / "r.json").is_file()  # the command went on to the end


@pytest.mark.parametrize("closed", [0, 1, 2])
def test_a_closed_descriptor_is_dev_null_and_the_exit_is_the_commands(
    tmp_path: Path, closed: int
) -> None:
    """`rpmkit ... >&-`, `2>&-`, `<&-`: the command's own exit status, no crash."""
    runs = []
    for args in (["--version"], ["check", str(tmp_path / "gone-1-1.noarch.rpm")]):
        proc = subprocess.run(
            [sys.executable, "-m", "rpmkit", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            preexec_fn=lambda: os.close(closed),  # noqa: PLW1509 - nothing else to close it with
            env={**os.environ, "NO_COLOR": "1"},
            timeout=60,
        )
        runs.append((proc.returncode, proc.stdout.decode() + proc.stderr.decode()))
    [(version_rc, version_out), (check_rc, check_out)] = runs
    assert version_rc == 0, version_out
    assert check_rc == 2, check_out
    for _, out in runs:
        assert "internal error" not in out
        assert "Traceback" not in out
    if closed != 2:
        assert "no such file" in check_out

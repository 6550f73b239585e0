"""The CLI skeleton: version, help on every command, and the one place errors become exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from rpmkit import __version__, cli
from rpmkit.errors import CheckFailed, ConfigError


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli.cli
    ctx = click.Context(cli.cli)
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(ctx, name)
        assert found is not None
        command = found
    return command


def _all_commands(prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    group = _command(prefix)
    assert isinstance(group, click.Group)
    for name in group.list_commands(click.Context(group)):
        if name == "raise-for-test":
            continue
        yield (*prefix, name)
        if isinstance(_command((*prefix, name)), click.Group):
            yield from _all_commands((*prefix, name))


def test_version() -> None:
    result = CliRunner().invoke(cli.cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("path", sorted(_all_commands()), ids=" ".join)
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli.cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    if not isinstance(_command(path), click.Group):
        assert "Example" in result.output, f"`rpmkit {' '.join(path)} --help` shows no example"


@pytest.fixture
def failing_command() -> Iterator[list[BaseException]]:
    """A command registered for the test that raises whatever the test puts in the list."""
    raised: list[BaseException] = []

    @cli.cli.command("raise-for-test")
    def _raise() -> None:
        raise raised[0]

    yield raised
    del cli.cli.commands["raise-for-test"]


@pytest.mark.parametrize(
    ("exc", "code", "needle"),
    [
        (ConfigError("rpmkit.toml: name: required field is missing"), 2, "name: required"),
        (CheckFailed("health check failed"), 1, "health check failed"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (ZeroDivisionError("boom"), 3, "--debug"),
    ],
)
def test_errors_become_exit_codes(
    failing_command: list[BaseException],
    capsys: pytest.CaptureFixture[str],
    exc: BaseException,
    code: int,
    needle: str,
) -> None:
    failing_command.append(exc)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["raise-for-test"])
    assert exit_info.value.code == code
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_debug_shows_the_traceback(
    failing_command: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    failing_command.append(ZeroDivisionError("boom"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--debug", "raise-for-test"])
    assert exit_info.value.code == 3
    assert "Traceback" in capsys.readouterr().err


def test_hint_stays_on_the_same_line(
    failing_command: list[BaseException], capsys: pytest.CaptureFixture[str]
) -> None:
    failing_command.append(ConfigError("bad thing in x.toml", hint="fix x"))
    with pytest.raises(SystemExit):
        cli.main(["raise-for-test"])
    assert capsys.readouterr().err.strip() == "error: bad thing in x.toml; fix x"


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["images", "build", "--no-such-option"])
    assert exit_info.value.code == 2
    assert "No such option" in capsys.readouterr().err


class _EmptyEngine:
    """The engine seam of an engine with no image at all, as on an air-gapped machine."""

    def image_id(self, ref: str) -> None:
        return None


@pytest.fixture
def empty_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    from rpmkit import engine

    monkeypatch.setattr(engine, "connect", lambda *args, **kwargs: _EmptyEngine())


@pytest.mark.usefixtures("empty_engine")
def test_images_build_without_the_base_image_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["images", "build", "--profile", "al2023"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(
        "error: base image amazonlinux:2023 for profile al2023 is not present locally; "
    )
    for way in ("`docker pull amazonlinux:2023`", "`docker load -i FILE`", "--base-image NAME"):
        assert way in err


@pytest.mark.usefixtures("empty_engine")
def test_base_image_needs_a_profile(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["images", "build", "--base-image", "corp/al2023:hardened"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--base-image corp/al2023:hardened needs --profile" in err
    assert "--profile al2023 --base-image corp/al2023:hardened" in err


@pytest.mark.parametrize("command", [("images", "build"), ("build",), ("check",), ("run",)])
def test_base_image_option_on_every_image_using_command(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli.cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "--base-image NAME" in result.output


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--settle", "5"], "--settle needs a booted instance"),
        (["--upgrade-from", "old-1-1.noarch.rpm"], "--upgrade-from needs a booted instance"),
    ],
)
def test_options_that_watch_a_booted_instance_refuse_no_boot(
    extra: list[str], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", str(tmp_path / "x-1-1.noarch.rpm"), "--no-boot", *extra])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    [line] = err.splitlines()
    assert line.startswith(f"error: {said}")
    assert "drop --no-boot" in line


GIVE_UP = """
import signal, sys, threading, time
from rpmkit import cli
cli.STOP_GRACE = 0.5
for sig in cli.STOP_SIGNALS:
    signal.signal(sig, cli._on_signal)
held = threading.Lock()
held.acquire()  # as a connection pool's lock the stop left held
try:
    print("ready", flush=True)
    time.sleep(30)
finally:
    held.acquire()  # the clean-up needs it: blocks for ever
"""


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_clean_up_that_hangs_after_a_stop_signal_still_exits(sig: str) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock"}
    proc = subprocess.Popen(
        [sys.executable, "-c", GIVE_UP], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    began = time.monotonic()
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 128 + getattr(signal, sig)
    assert time.monotonic() - began < 10
    assert f"{sig}: the clean-up did not finish in 0s; exiting" in err
    assert "Traceback" not in err

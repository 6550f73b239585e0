"""`rpmkit shell`: the command it hands the terminal to, and what it refuses."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from rpmkit import cli
from rpmkit.engine.containers import shell_argv
from rpmkit.errors import ConfigError


def test_a_login_shell_with_a_terminal_when_there_is_one() -> None:
    assert shell_argv("rpmkit-a-1", tty=True, term="xterm-256color") == [
        "docker", "exec", "-it", "-e", "TERM=xterm-256color", "rpmkit-a-1", "bash", "-l",
    ]  # fmt: skip
    # Without a terminal, commands come from stdin: `echo 'rpm -qa' | rpmkit shell APP`.
    assert shell_argv("rpmkit-a-1", tty=False, term="xterm") == [
        "docker", "exec", "-i", "rpmkit-a-1", "bash", "-l",
    ]  # fmt: skip


def test_refuses_what_is_not_an_app_or_a_binary_rpm(tmp_path: Path) -> None:
    srpm = tmp_path / "x-1-1.src.rpm"
    srpm.write_bytes(b"")
    for args in ([str(srpm)], [str(tmp_path / "missing.rpm")], [str(tmp_path), str(srpm)]):
        result = CliRunner().invoke(cli.cli, ["shell", *args])
        assert isinstance(result.exception, ConfigError), result.output

"""The session's wire format: argv as one line of sh words, and each stream cut at its marker."""

from __future__ import annotations

import os
import socket
import subprocess
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from rpmkit.engine import session as session_module
from rpmkit.engine.session import HEADER, Session, SessionGone, _Stream, quoted

MARK = b"0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "argv",
    [
        ["true"],
        ["printf", "%s|", "a b", "", "it's", 'say "hi"'],
        ["echo", "line one\nline two\n", "$HOME", "`id`", "$(id)", "\\n", "*", "a;b&&c|d"],
        ["x" * 5000],
        ["carriage\rreturn", "tab\there", "ünïcode"],
    ],
)
def test_quoted_argv_reaches_the_command_unchanged(argv: list[str]) -> None:
    """Through a real sh, as the session's shell reads it: one line, then eval."""
    line = quoted(argv)
    assert "\n" not in line
    script = (
        'nl=\'\n\'; IFS= read -r c; eval "set -- $c"; for a in "$@"; do printf \'%s\\0\' "$a"; done'
    )
    out = subprocess.run(
        ["sh", "-c", script], input=(line + "\n").encode(), capture_output=True, check=True
    )
    assert out.stdout.decode().split("\0")[:-1] == argv


def test_a_nul_byte_is_refused_as_exec_would() -> None:
    with pytest.raises(ValueError, match="NUL"):
        quoted(["a\0b"])


def test_the_marker_ends_the_output_even_cut_between_chunks() -> None:
    stream = _Stream(MARK, status=True)
    merged = stream.feed(b"first line\nno newline at the end")
    merged += stream.feed(b"\n" + MARK[:10])
    assert not stream.done
    merged += stream.feed(MARK[10:] + b" 3")
    assert not stream.done  # the status line is not complete yet
    merged += stream.feed(b"\n")
    assert stream.done
    assert stream.status() == 3
    assert stream.data.text() == "first line\nno newline at the end"
    assert merged == b"first line\nno newline at the end"


def test_stderr_marker_has_no_status_and_output_ending_in_a_newline_keeps_it() -> None:
    stream = _Stream(MARK, status=False)
    stream.feed(b"warning: x\n\n" + MARK + b"\n")
    assert stream.done
    assert stream.data.text() == "warning: x\n"


def test_text_like_a_marker_without_the_token_is_output() -> None:
    stream = _Stream(MARK, status=True)
    stream.feed(b"\n" + b"f" * len(MARK) + b" 0\n" + b"\n" + MARK[:-1] + b"X 0\n")
    assert not stream.done
    stream.feed(b"\n" + MARK + b" 1\n")
    assert stream.done
    assert stream.status() == 1
    assert MARK[:-1].decode() + "X 0" in stream.data.text()


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected pair: the session's end (`ours`) and the silent shell's (`theirs`)."""
    ours, theirs = socket.socketpair()
    yield ours, theirs
    theirs.close()
    ours.close()


def _opened(ours: socket.socket) -> Session:
    """A session whose shell already answered its no-op: commands go straight to `ours`."""
    session = Session(lambda: ours)
    session._sock = ours
    return session


def test_a_transport_that_never_answers_ends_the_session_not_the_check(
    monkeypatch: pytest.MonkeyPatch, pair: tuple[socket.socket, socket.socket]
) -> None:
    monkeypatch.setattr(session_module, "OPEN_WAIT", 0.3)
    ours, theirs = pair
    session = Session(lambda: ours)
    with pytest.raises(SessionGone):
        session.run(["true"])
    assert b"'true'\n" in theirs.recv(4096)  # it was sent the token and the no-op
    with pytest.raises(SessionGone):  # and stays gone: the next command takes an exec
        session.run(["true"])


def _frame(stream: int, data: bytes) -> bytes:
    return HEADER.pack(stream, len(data)) + data


def test_an_ssh_transport_is_read_as_it_comes(tmp_path: Path) -> None:
    """docker-py's SSHSocket.recv(n) waits for n bytes: the session reads its pipe's read1()."""
    read_end, write_end = os.pipe()
    sent: list[bytes] = []

    class SshLike:  # docker.transport.sshconn.SSHSocket's shape: the `ssh` command's pipes
        proc = types.SimpleNamespace(stdout=os.fdopen(read_end, "rb"))

        def sendall(self, data: bytes) -> None:
            sent.append(data)
            mark = b"".join(sent).split(b"\n", 1)[0]
            answer = _frame(1, b"hi\n\n" + mark + b" 0\n") + _frame(2, b"\n" + mark + b"\n")
            os.write(write_end, answer)

        def recv(self, n: int) -> bytes:
            raise AssertionError("recv() would wait for n bytes")

    session = Session(lambda: SshLike())
    try:
        result = session.run(["echo", "hi"])
        assert result is not None
        assert (result.rc, result.stdout) == (0, "hi\n")
    finally:
        os.close(write_end)


def test_a_command_stopped_midway_ends_the_session(
    monkeypatch: pytest.MonkeyPatch, pair: tuple[socket.socket, socket.socket]
) -> None:
    """What is left of its output must never be read as the next command's."""
    session = _opened(pair[0])

    def stopped(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(session, "_read", stopped)
    with pytest.raises(KeyboardInterrupt):
        session.run(["sleep", "9"])
    monkeypatch.undo()
    with pytest.raises(SessionGone):
        session.run(["true"])


def test_a_shell_that_stops_answering_mid_command_ends_the_session(
    monkeypatch: pytest.MonkeyPatch, pair: tuple[socket.socket, socket.socket]
) -> None:
    """A stopped shell (SIGSTOP) never writes its end-of-command line: no wait for ever."""
    monkeypatch.setattr(session_module, "QUERY_LIMIT", 0.3)
    session = _opened(pair[0])
    with pytest.raises(SessionGone):
        session.run(["systemctl", "show"])  # nothing ever answers on `theirs`
    with pytest.raises(SessionGone):
        session.run(["true"])

"""The session's wire format: argv as one line of sh words, and each stream cut at its marker."""

from __future__ import annotations

import subprocess

import pytest

from rpmkit.engine.session import _Stream, quoted

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

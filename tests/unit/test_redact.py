"""The one redaction function: every shape a credential takes, and the CLI's streams."""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import click
import pytest

from rpmkit import cli, redact
from rpmkit.errors import ConfigError

PASSWORD = "pa:ss/w@rd-9Z"
ENV = {"RPMKIT_PUBLISH_PASSWORD": PASSWORD, "HOME": "/nonexistent"}


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    redact.reset()
    yield
    redact.reset()


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "text",
    [
        f"password is {PASSWORD}",
        f"https://alice:{quote(PASSWORD, safe='')}@pypi.example.com/simple",
        f"Authorization: Basic {_basic('alice', PASSWORD)}",
        f"<pre>{_basic('someone-else', PASSWORD)}</pre>",  # base64 at any byte offset
        f"<pre>x{_basic('bob', PASSWORD)}</pre>",
        f"quoted {quote(PASSWORD, safe='')} and {quote(PASSWORD)}",
    ],
)
def test_a_known_secret_is_hidden_in_every_form(text: str) -> None:
    out = redact.redact(text, ENV)
    assert PASSWORD not in out
    assert quote(PASSWORD, safe="") not in out
    assert "***" in out


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("pip from https://u:tok3n@idx.example.com/simple", "tok3n"),
        ("git+https://ghp_0123456789abcdef@github.com/o/r.git", "ghp_0123456789abcdef"),
        ("GET https://h.example/x?access_token=abc123&ref=main", "abc123"),
        ("https://b.s3.amazonaws.com/k?X-Amz-Signature=deadbeef99", "deadbeef99"),
        ('{"authorization": "Bearer eyJhbGciOi.J9x"}', "eyJhbGciOi.J9x"),
        ("Proxy-Authorization: Basic Zm9vOmJhcg==", "Zm9vOmJhcg=="),
        ("echoed: Bearer 0a1b2c3d4e5f", "0a1b2c3d4e5f"),
        ("ftp://me:ftp-pass@files.example.com/repo", "ftp-pass"),
    ],
)
def test_shapes_are_hidden_without_knowing_the_value(text: str, hidden: str) -> None:
    out = redact.redact(text, {"HOME": "/nonexistent"})
    assert hidden not in out
    assert "***" in out


@pytest.mark.parametrize(
    "text",
    [
        "basic usage of Bearer tokens",
        "GET https://h.example/x?ref=main&page=2",
        "https://pypi.org/simple",
        "401 Authorization Required",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact.redact(text, {"HOME": "/nonexistent"}) == text


def test_proxy_userinfo_and_netrc_passwords_are_known(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine repo.example.com login deployer password n3trc-Secret\n")
    env = {"HTTPS_PROXY": "proxyuser:pr%40xy-pw@proxy:3128", "NETRC": str(netrc)}
    known = redact.known_secrets(env)
    assert {"pr@xy-pw", "n3trc-Secret", "deployer:n3trc-Secret"} <= known
    out = redact.redact(f"pr@xy-pw n3trc-Secret {_basic('deployer', 'n3trc-Secret')}", env)
    assert "pr@xy-pw" not in out
    assert "n3trc-Secret" not in out
    assert _basic("deployer", "n3trc-Secret") not in out


def test_short_values_are_not_masked_everywhere() -> None:
    assert redact.redact("a b c", {"SOME_TOKEN": "b", "HOME": "/nonexistent"}) == "a b c"


def test_registered_values_and_scrub() -> None:
    redact.register_pair("svc", "r3gistered")
    data = {"evidence": ["x r3gistered y"], "n": 3, "r3gistered": True}
    assert redact.scrub(data, {}) == {"evidence": ["x *** y"], "n": 3, "***": True}


def test_strip_userinfo() -> None:
    assert redact.strip_userinfo("https://u:p@h:8080/s?q=1") == "https://h:8080/s?q=1"
    assert redact.strip_userinfo("https://h/s") == "https://h/s"


def test_the_cli_redacts_errors_results_and_tracebacks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOME_API_TOKEN", "tok-in-env-1234")

    @click.command("leak-for-test")
    @click.option("--debug", is_flag=True)
    def leak(debug: bool) -> None:
        click.echo("result https://u:p4ss@h.example/x and tok-in-env-1234")
        raise ConfigError(
            "bad https://u:p4ss@h.example/x", hint="tok-in-env-1234", details="tok-in-env-1234"
        )

    cli.cli.add_command(leak)
    try:
        for argv in (["leak-for-test"], ["--debug", "leak-for-test"]):
            with pytest.raises(SystemExit):
                cli.main(argv)
            out, err = capsys.readouterr()
            for secret in ("p4ss", "tok-in-env-1234"):
                assert secret not in out + err
            assert "***" in out
    finally:
        del cli.cli.commands["leak-for-test"]


PUBLISH_ENV = {
    "RPMKIT_PUBLISH_USERNAME": "deployer",
    "RPMKIT_PUBLISH_PASSWORD": "Tr0ub4dor&3-horse",
    "HOME": "/nonexistent",
}


def _echoes(user: str, password: str) -> list[str]:
    pair = f"{user}:{password}"
    return [
        f"<p>denied for {html.escape(pair)}</p>",
        f"<p>denied for {html.escape(pair, quote=False)}</p>",
        json.dumps({"detail": f"bad {pair}"}),
        json.dumps({"detail": f"bad {pair}"}, ensure_ascii=False),
        json.dumps({"d": pair}).replace("&", "\\u0026").replace("/", "\\/"),
        json.dumps({"d": pair})
        .replace("\\u00e9", "\\u00E9")
        .replace("<", "\\u003C")
        .replace(">", "\\u003E"),
        f"u={quote(pair, safe='')} l={quote(pair, safe='').lower()} q={quote_plus(pair)}",
    ] + [
        # base64 of the pair and of the password alone, at each byte offset, alone or inside
        # a longer encoded text, standard and URL-safe alphabets
        encode(prefix + secret.encode() + suffix).decode()
        for secret in (pair, password)
        for prefix in (b"", b"x", b"xy")
        for suffix in (b"", b"!", b"!?", b"!?#tail")
        for encode in (base64.b64encode, base64.urlsafe_b64encode)
    ]


@pytest.mark.parametrize(
    ("user", "password"),
    [("deployer", "Tr0ub4dor&3-horse"), ("a", "p<a>ss'\"/w\u00e9rd-7"), ("u", "abc?")],
)
def test_escaped_and_encoded_echoes_leave_no_bit_of_the_secret(user: str, password: str) -> None:
    redact.register_pair(user, password)
    pair_bits = f"{user}:{password}".encode()
    for text in _echoes(user, password):
        out = redact.redact(text, {"HOME": "/nonexistent"})
        assert "***" in out, text
        assert password not in out
        for leak in redact.variants(password):
            assert leak not in out, (text, out)
        if "=" not in text and "%" not in text and "\\" not in text and "&" not in text:
            continue
        # what is left of a base64 text decodes to none of the secret's bytes
        rest = out.replace("***", "")
        assert password.encode()[:4] not in _decodable(rest), (text, out)
        assert pair_bits[-4:] not in _decodable(rest), (text, out)


def _decodable(text: str) -> bytes:
    found = b""
    for token in re.findall(r"[A-Za-z0-9+/_-]{4,}={0,2}", text):
        token = token.replace("-", "+").replace("_", "/")
        for start in range(4):
            piece = token[start:]
            piece = piece[: len(piece) // 4 * 4] if "=" not in piece else piece
            with contextlib.suppress(ValueError):
                found += base64.b64decode(piece, validate=True)
    return found


def test_the_reported_echoes_are_masked_whole() -> None:
    basic = _basic("deployer", "Tr0ub4dor&3-horse")
    text = f"500: deployer:Tr0ub4dor&amp;3-horse {basic} deployer:Tr0ub4dor\\u00263-horse"
    redact.register_pair("deployer", "Tr0ub4dor&3-horse")  # as `rpmkit publish` does
    out = redact.redact(text, PUBLISH_ENV)
    assert out == "500: *** *** ***"


@pytest.mark.parametrize(
    "name",
    ["ARTIFACTORY_PASS", "GH_PAT", "SMTP_PWD", "CI_JOB_JWT", "PRIVATE_KEY_PEM", "DB_PASSWORD"],
)
def test_the_short_secret_names_ci_systems_use_are_known(name: str) -> None:
    assert redact.redact("value: s3cr3t-v4lue-xyz", {name: "s3cr3t-v4lue-xyz"}) == "value: ***"


def test_the_working_directory_is_no_secret() -> None:
    env = {"PWD": "/home/dev/project", "OLDPWD": "/home/dev/other-project"}
    assert redact.redact("in /home/dev/project", env) == "in /home/dev/project"


def test_the_parts_of_a_structured_secret_are_masked_alone() -> None:
    pem = "-----BEGIN KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END KEY-----\n"
    auth = '{"auths": {"registry.example.com": {"auth": "dXNlcjpzM2NyM3QtcGFzcw=="}}}'
    env = {"PRIVATE_KEY_PEM": pem, "DOCKER_AUTH_CONFIG": auth}
    out = redact.redact("MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo dXNlcjpzM2NyM3QtcGFzcw==", env)
    assert out == "*** ***"
    # What is not secret in it stays readable.
    assert redact.redact("pushed to registry.example.com", env) == "pushed to registry.example.com"

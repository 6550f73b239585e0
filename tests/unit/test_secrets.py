"""Secrets planted where users put them must appear in no output channel, in any form.

Each planted secret is searched for plainly, %-encoded, and base64-encoded
(alone and as HTTP Basic's `user:password`), in stdout and stderr (with -v and
--debug), in the files rpmkit writes (wheel cache, flattened requirements,
reports, hand-off logs) and in the command lines it runs. The search is
written here, independently of rpmkit's own redaction.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from rpmkit import cli, redact
from rpmkit.build import wheelhouse
from rpmkit.checks import Check
from rpmkit.commands.reporting import Reports
from rpmkit.errors import BuildError
from rpmkit.handoff import tools as handoff
from rpmkit.progress import Reporter
from rpmkit.report import text as report
from rpmkit.report.document import app_entry
from tests.unit.handoff_helpers import write_rpm

USER = "deployer"
SECRETS = {
    "index_url": "idx-P@ss:w/rd-4711",
    "requirements_line": "req-tok3n-9931",
    "env_token": "env-T0ken-5521",
    "publish_env": "pub-P\u00e4ssw0rd-77",  # non-ASCII: sent UTF-8, never shown
    "netrc": "netrc-S3cret-1234",
    "proxy": "pr0xy-Pw-8080",
    "ftp_repo": "ftp-Pw-4321",
    "config_repo": "cfg-Pw-2468",
    "debug": "dbg-Pw-1357",
}


def forms(secret: str, user: str = USER) -> set[str]:
    """The ways a secret is written out: plain, %-encoded, base64 (alone and user:secret)."""
    raw = secret.encode()
    basic = f"{user}:{secret}".encode()
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(raw).decode(),
        base64.b64encode(basic).decode(),
    }


def found(text: str) -> list[str]:
    """Which planted secrets appear in `text`, in any of their forms."""
    return [name for name, secret in SECRETS.items() if any(f in text for f in forms(secret))]


def files_text(root: Path) -> str:
    """Every file below `root`, names and contents (binary files as Latin-1)."""
    parts = []
    for path in sorted(root.rglob("*")):
        parts.append(str(path))
        if path.is_file():
            parts.append(path.read_bytes().decode("latin-1"))
    return "\n".join(parts)


def run_cli(*args: str) -> tuple[int, str]:
    """`rpmkit ARGS` in-process, with byte-backed streams as a terminal or a pipe has."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            cli.main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    raw = b"".join(s.buffer.getvalue() for s in (out, err))  # type: ignore[attr-defined]
    return code, raw.decode("utf-8", "replace")


@pytest.fixture(autouse=True)
def _planted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The environment a user with credentials has: tokens, proxies, a netrc."""
    redact.reset()
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {SECRETS['netrc']}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("MY_SERVICE_TOKEN", SECRETS["env_token"])
    monkeypatch.setenv("HTTPS_PROXY", f"http://puser:{SECRETS['proxy']}@proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    yield
    redact.reset()


# -- a package index and a repository that want credentials -----------------------------


class _Server(http.server.ThreadingHTTPServer):
    seen: list[str]


def _wheel(name: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as whl:
        info = f"{name}-1.0.dist-info"
        whl.writestr(f"{name}.py", "")
        whl.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
        whl.writestr(f"{info}/RECORD", "")
    return buf.getvalue()


@pytest.fixture
def server() -> Iterator[_Server]:
    """An index (/simple/rk-secret/) that wants Basic auth, and a repository that echoes
    every request header, the password and its %-encoding in a 500 page, as some do."""
    wheel = _wheel("rk_secret")

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: bytes, kind: str = "text/html") -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            auth = self.headers.get("Authorization", "")
            httpd.seen.append(auth)
            if not auth:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="index"')
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path.rstrip("/") == "/simple/rk-secret":
                self._send(200, b'<a href="/files/rk_secret-1.0-py3-none-any.whl">w</a>')
            elif self.path == "/files/rk_secret-1.0-py3-none-any.whl":
                self._send(200, wheel, "application/octet-stream")
            else:
                self._send(404, b"not found")

        def do_HEAD(self) -> None:  # noqa: N802
            self._send(404, b"")

        def do_PUT(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            auth = self.headers.get("Authorization", "")
            httpd.seen.append(auth)
            user_pass = base64.b64decode(auth.split()[-1]).decode("utf-8") if auth else ""
            password = user_pass.partition(":")[2]
            page = "".join(f"<li>{k}: {v}</li>" for k, v in self.headers.items())
            page += f"<p>password {password} ({quote(password, safe='')}) as {user_pass}</p>"
            self._send(500, page.encode())

    httpd = _Server(("127.0.0.1", 0), Handler)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(httpd: _Server, path: str, userinfo: str = "") -> str:
    host, port = httpd.server_address[:2]
    return f"http://{userinfo}{host}:{port}{path}"


# -- the plantings ----------------------------------------------------------------------------


def test_index_url_credentials_reach_pip_but_no_command_line_log_or_cache(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    userinfo = f"{USER}:{quote(SECRETS['index_url'], safe='')}@"
    index = _url(server, "/simple", userinfo)
    requirements = tmp_path / "app/requirements.txt"
    requirements.parent.mkdir()
    (tmp_path / ".git").mkdir()
    requirements.write_text("rk_secret\n")
    argvs: list[list[str]] = []
    real_run = subprocess.run

    def spy(cmd: list[str], *args: Any, **kwargs: Any) -> Any:
        argvs.append(list(cmd))
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    progress = io.StringIO()
    got = wheelhouse.fetch(
        requirements,
        wheelhouse.target("3.11", "x86_64"),
        Reporter(verbosity=1, stream=progress),
        tmp_path / "s",
        index,
    )
    expected = "Basic " + base64.b64encode(f"{USER}:{SECRETS['index_url']}".encode()).decode()
    assert expected in server.seen  # pip did authenticate
    assert (got / "rk_secret-1.0-py3-none-any.whl").is_file()
    assert found(json.dumps(argvs)) == []  # `ps` and -v show command lines
    assert found(progress.getvalue()) == []
    assert found(files_text(tmp_path / "cache")) == []
    # A failed download names the index without its credentials.
    requirements.write_text("rk_missing\n")
    with pytest.raises(BuildError) as info:
        wheelhouse.fetch(
            requirements,
            wheelhouse.target("3.11", "x86_64"),
            Reporter(verbosity=-1),
            tmp_path / "s2",
            index,
        )
    raw = " ".join(filter(None, (info.value.message, info.value.hint, info.value.details)))
    assert found(raw) == []
    assert f"127.0.0.1:{server.server_address[1]}/simple" in info.value.message


def test_requirements_index_line_is_refused_without_quoting_it(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (tmp_path / ".git").mkdir()
    (app / "requirements.txt").write_text(
        f"--index-url https://{USER}:{SECRETS['requirements_line']}@idx.example.com/simple\nflask\n"
    )
    (app / "rpmkit.toml").write_text(
        'name = "web"\nversion = "1.0"\nsummary = "s"\nlicense = "MIT"\n'
        'template = "python-worker"\nrequirements = "requirements.txt"\n'
        '[[services]]\ncommand = "python3 w.py"\n'
    )
    code, output = run_cli("-v", "--debug", "spec", str(app))
    assert code == 2
    assert "requirements.txt:1: --index-url is not allowed" in output
    assert found(output) == []


def test_publish_server_echo_is_masked_in_every_form(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rpm = write_rpm(tmp_path / "dist")
    repo = _url(server, "/rpms")
    # From the environment (a non-ASCII password), then from the netrc file.
    monkeypatch.setenv("RPMKIT_PUBLISH_USERNAME", USER)
    monkeypatch.setenv("RPMKIT_PUBLISH_PASSWORD", SECRETS["publish_env"])
    code, output = run_cli("-v", "--debug", "publish", str(rpm), "--repo", repo)
    assert code == 1, output
    assert "PUT " in output
    assert "500" in output
    sent = base64.b64encode(f"{USER}:{SECRETS['publish_env']}".encode()).decode()
    assert f"Basic {sent}" in server.seen  # it was sent, UTF-8
    assert found(output) == []
    monkeypatch.delenv("RPMKIT_PUBLISH_USERNAME")
    monkeypatch.delenv("RPMKIT_PUBLISH_PASSWORD")
    code, output = run_cli("-v", "publish", str(rpm), "--repo", repo)
    assert code == 1, output
    assert found(output) == []


@pytest.mark.parametrize("where", ["--repo", "config"])
def test_a_repository_url_with_credentials_is_not_echoed(where: str, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    secret = SECRETS["ftp_repo"] if where == "--repo" else SECRETS["config_repo"]
    url = f"ftp://{USER}:{secret}@files.example.com/rpms"
    config = (
        'name = "web"\nversion = "1.0"\nsummary = "s"\nlicense = "MIT"\n'
        'template = "python-worker"\n[[services]]\ncommand = "python3 w.py"\n'
    )
    if where == "config":
        config += f'[publish]\nrepo = "{url}"\n'
        args = ("spec", str(app))
    else:
        args = ("publish", str(app), "--repo", url)
    (app / "rpmkit.toml").write_text(config)
    code, output = run_cli("--debug", *args)
    assert code == 2
    assert found(output) == []


def test_a_debug_traceback_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    secret_url = f"https://{USER}:{SECRETS['debug']}@internal.example.com/x"

    @click.command("explode-for-test")
    def explode() -> None:
        token = secret_url  # a frame's source line and the message quote it
        raise RuntimeError(f"could not reach {token} ({SECRETS['env_token']})")

    cli.cli.add_command(explode)
    try:
        code, output = run_cli("--debug", "explode-for-test")
        assert code == 3
        assert "Traceback" in output
        assert found(output) == []
        code, output = run_cli("explode-for-test")
        assert code == 3
        assert found(output) == []
    finally:
        del cli.cli.commands["explode-for-test"]


def test_reports_are_written_redacted(tmp_path: Path) -> None:
    basic = base64.b64encode(f"{USER}:{SECRETS['netrc']}".encode()).decode()
    evidence = (
        f"curl -H 'Authorization: Basic {basic}' "
        f"https://{USER}:{SECRETS['index_url']}@h/ token={SECRETS['env_token']}"
    )
    check = Check("health", f"GET /?access_token={SECRETS['env_token']}", False, "failed", evidence)
    rep = report.Report(subject="web", profile="offline", checks=(check,), timings={})
    out = tmp_path / "reports"
    reports = Reports("check", out / "r.json", out / "r.xml")
    reports.write([app_entry(rep, "web", 0.0, 1.0, error=f"failed at {evidence}")])
    assert found(files_text(out)) == []
    assert "***" in (out / "r.xml").read_text()
    assert "***" in (out / "r.json").read_text()


def test_a_hand_off_tools_output_is_logged_redacted(tmp_path: Path) -> None:
    # aminate runs with the user's environment (AWS keys): a tool that prints it.
    log = tmp_path / "aminate.log"
    lines: list[str] = []
    handoff.run(["sh", "-c", "env"], lines.append, log)
    assert SECRETS["env_token"] in "\n".join(lines)  # the tool really printed it...
    assert found(log.read_text()) == []  # ...and the log does not keep it


def test_proxy_credentials_do_not_reach_the_builder() -> None:
    import os

    from rpmkit import labels
    from rpmkit.build import stage as build

    env = build.container_settings("img", labels.Run("r", "web"), 1, os.environ).environment
    assert env["HTTPS_PROXY"] == "http://proxy.invalid:3128"
    assert found(json.dumps(env)) == []


def test_every_secret_was_planted_somewhere() -> None:
    # The list above is what the report's figures count: each name has a test that plants it.
    source = Path(__file__).read_text()
    for name in SECRETS:
        assert source.count(f'SECRETS["{name}"]') + source.count(f"SECRETS['{name}']") >= 1, name

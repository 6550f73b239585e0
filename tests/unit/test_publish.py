"""Publishing to a real HTTP server and to a directory repository."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rpmkit import cli
from rpmkit.errors import ConfigError
from rpmkit.handoff import publish
from tests.unit.handoff_helpers import (
    FAKE_CREATEREPO,
    RPM_NAME,
    calls,
    fake_tool,
    put_first_on_path,
    write_rpm,
)

USER, PASSWORD = "ci-bot", "pa55-w0rd-s3cret"
TOKEN = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@dataclass
class Repo:
    """What the test server holds and was asked."""

    url: str
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    checksum_headers: bool = True  # like Artifactory; a plain server sends none
    require_auth: str | None = None  # the Authorization header it insists on


@pytest.fixture
def repo() -> Iterator[Repo]:
    """An HTTP repository on 127.0.0.1 that stores PUT bodies, in a thread."""
    state = Repo(url="")

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> bool:
            state.requests.append((self.command, self.path, dict(self.headers.items())))
            if state.require_auth and self.headers.get("Authorization") != state.require_auth:
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False
            return True

        def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
            if self._record():
                self._describe(self.files_body())

        def do_GET(self) -> None:  # noqa: N802
            if self._record():
                body = self.files_body()
                self._describe(body)
                if body is not None:
                    self.wfile.write(body)

        def do_PUT(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self._record():
                state.files[self.path] = body
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def files_body(self) -> bytes | None:
            return state.files.get(self.path)

        def _describe(self, body: bytes | None) -> None:
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            if state.checksum_headers:
                self.send_header("X-Checksum-Sha256", hashlib.sha256(body).hexdigest())
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/artifactory/rpm-local/hello"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RPMKIT_PUBLISH_USERNAME", USER)
    monkeypatch.setenv("RPMKIT_PUBLISH_PASSWORD", PASSWORD)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))


@pytest.fixture
def rpm(tmp_path: Path) -> Path:
    return write_rpm(tmp_path / "dist")


def _main(*args: str) -> int | str | None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(args))
    return exit_info.value.code


def _assert_no_secret(text: str) -> None:
    assert PASSWORD not in text
    assert TOKEN not in text


PATH_ON_SERVER = f"/artifactory/rpm-local/hello/{RPM_NAME}"


def test_put_carries_the_body_checksums_and_credentials_and_prints_none(
    repo: Repo, rpm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main("-v", "publish", str(rpm), "--repo", repo.url) == 0
    body = rpm.read_bytes()
    assert repo.files == {PATH_ON_SERVER: body}
    # The PUT, then a look at what the repository now holds (its sha256 must be the RPM's).
    assert [m for m, _, _ in repo.requests] == ["HEAD", "PUT", "HEAD"]
    method, path, headers = repo.requests[-2]
    assert (method, path) == ("PUT", PATH_ON_SERVER)
    assert headers["X-Checksum-Sha256"] == hashlib.sha256(body).hexdigest()
    assert headers["X-Checksum-Sha1"] == hashlib.sha1(body).hexdigest()
    assert headers["Content-Length"] == str(len(body))
    assert headers["Authorization"] == f"Basic {TOKEN}"
    out, err = capsys.readouterr()
    assert f"published: {repo.url}/{RPM_NAME}" in out
    _assert_no_secret(out + err)


def test_the_same_rpm_again_is_left_alone(repo: Repo, rpm: Path) -> None:
    assert _main("publish", str(rpm), "--repo", repo.url) == 0
    assert _main("publish", str(rpm), "--repo", repo.url) == 0
    # Published and verified, then found there already: no second PUT.
    assert [m for m, _, _ in repo.requests] == ["HEAD", "PUT", "HEAD", "HEAD"]


def test_a_repository_that_keeps_other_bytes_fails_the_publish(
    repo: Repo, rpm: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy or a repository that rewrites what it is sent: what the bake would install
    # is not what the gate passed.
    original = repo.files.__class__.__setitem__

    class Rewriting(dict):  # type: ignore[type-arg]
        def __setitem__(self, key: str, value: bytes) -> None:
            original(self, key, value + b"tampered")

    repo.files = Rewriting(repo.files)
    assert _main("publish", str(rpm), "--repo", repo.url) == 1
    assert "after publishing, not the" in capsys.readouterr().err


@pytest.mark.parametrize("checksum_headers", [True, False], ids=["artifactory", "plain"])
def test_a_different_rpm_under_an_existing_name_is_refused(
    repo: Repo, rpm: Path, capsys: pytest.CaptureFixture[str], checksum_headers: bool
) -> None:
    repo.checksum_headers = checksum_headers
    repo.files[PATH_ON_SERVER] = b"the RPM published yesterday"
    assert _main("publish", str(rpm), "--repo", repo.url) == 1
    err = capsys.readouterr().err
    assert f"already holds a different {RPM_NAME}" in err
    assert "refusing to overwrite it" in err
    assert "bump the release" in err
    assert repo.files[PATH_ON_SERVER] == b"the RPM published yesterday"
    assert "PUT" not in [m for m, _, _ in repo.requests]


def test_credentials_from_netrc_are_used_and_not_printed(
    repo: Repo,
    rpm: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("RPMKIT_PUBLISH_USERNAME")
    monkeypatch.delenv("RPMKIT_PUBLISH_PASSWORD")
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    repo.require_auth = f"Basic {TOKEN}"
    assert _main("-v", "publish", str(rpm), "--repo", repo.url) == 0
    assert repo.requests[-1][2]["Authorization"] == f"Basic {TOKEN}"
    out, err = capsys.readouterr()
    _assert_no_secret(out + err)


def test_rejected_credentials_fail_without_showing_them(
    repo: Repo, rpm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.require_auth = "Basic something-else"
    assert _main("publish", str(rpm), "--repo", repo.url) == 1
    out, err = capsys.readouterr()
    assert "401" in err
    assert "$RPMKIT_PUBLISH_USERNAME/$RPMKIT_PUBLISH_PASSWORD" in err
    _assert_no_secret(out + err)


def test_dry_run_prints_the_requests_and_makes_none(
    repo: Repo, rpm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main("publish", str(rpm), "--repo", repo.url, "--dry-run") == 0
    assert repo.requests == []
    out, err = capsys.readouterr()
    url = f"{repo.url}/{RPM_NAME}"
    assert f"dry run: HEAD {url}" in out
    assert f"dry run: PUT {url}" in out
    assert f"X-Checksum-Sha256: {hashlib.sha256(rpm.read_bytes()).hexdigest()}" in out
    _assert_no_secret(out + err)


def test_credentials_never_go_in_the_url(rpm: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"https://{USER}:{PASSWORD}@repo.example.com/rpm"
    assert _main("publish", str(rpm), "--repo", url) == 2
    err = capsys.readouterr().err
    assert "must not carry credentials" in err
    _assert_no_secret(err)


def test_one_credential_variable_without_the_other_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RPMKIT_PUBLISH_PASSWORD")
    with pytest.raises(ConfigError, match=r"\$RPMKIT_PUBLISH_PASSWORD is not set"):
        publish.resolve_auth("https://h/x", "RPMKIT_PUBLISH_USERNAME", "RPMKIT_PUBLISH_PASSWORD")


def test_the_auth_record_does_not_show_the_password() -> None:
    auth = publish.Auth("$A/$B", (USER, PASSWORD))
    assert PASSWORD not in repr(auth)


def test_directory_repository_copy_then_createrepo_update(
    tmp_path: Path,
    rpm: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bin_dir = tmp_path / "bin"
    fake_tool(bin_dir, "createrepo_c", FAKE_CREATEREPO)
    put_first_on_path(monkeypatch, bin_dir)
    yum = tmp_path / "yum"
    yum.mkdir()
    assert _main("publish", str(rpm), "--repo", str(yum)) == 0
    assert (yum / RPM_NAME).read_bytes() == rpm.read_bytes()
    assert calls(bin_dir, "createrepo_c") == [["--update", str(yum)]]
    assert (yum / "repodata" / "repomd.xml").is_file()
    assert f"published: {yum / RPM_NAME}" in capsys.readouterr().out

    assert _main("publish", str(rpm), "--repo", str(yum)) == 0
    assert "already published" in capsys.readouterr().out

    write_rpm(rpm.parent, payload=b"a rebuild with the same name")
    assert _main("publish", str(rpm), "--repo", str(yum)) == 1
    assert "refusing to overwrite it" in capsys.readouterr().err
    assert (yum / RPM_NAME).read_bytes() != rpm.read_bytes()
    assert len(calls(bin_dir, "createrepo_c")) == 2


def test_directory_repository_without_createrepo_c_says_what_to_install(
    tmp_path: Path, rpm: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    yum = tmp_path / "yum"
    yum.mkdir()
    assert _main("publish", str(rpm), "--repo", str(yum)) == 1
    err = capsys.readouterr().err
    (error,) = [line for line in err.splitlines() if line.startswith("error:")]
    assert "createrepo_c is not on PATH" in error
    assert "install it" in error
    assert not (yum / RPM_NAME).exists()


def test_directory_dry_run_prints_the_commands(
    tmp_path: Path, rpm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    yum = tmp_path / "yum repo"
    assert _main("publish", str(rpm), "--repo", str(yum), "--dry-run") == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"dry run: cp {rpm} '{yum / RPM_NAME}'",
        f"dry run: createrepo_c --update '{yum}'",
    ]
    assert not yum.exists()


def test_the_app_config_names_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.unit.handoff_helpers import write_app

    app = write_app(tmp_path, '\n[publish]\nrepo = "../yum"\n')
    rpm = write_rpm(app / "dist")
    assert _main("publish", str(app), "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"dry run: cp {rpm} {app / '../yum' / RPM_NAME}" in out
    assert _main("publish", str(rpm), "--dry-run") == 2  # an RPM alone has no config
    assert "no repository to publish to" in capsys.readouterr().err


def test_put_headers_and_urls_are_pure() -> None:
    item = publish.Artifact(Path("/d/a b.rpm"), "ab" * 32, "cd" * 20)
    assert publish.put_headers(item) == {
        "Content-Type": "application/x-rpm",
        "X-Checksum-Sha256": "ab" * 32,
        "X-Checksum-Sha1": "cd" * 20,
    }
    assert publish.url_for(publish.repository("https://r/x/"), item.name) == "https://r/x/a%20b.rpm"
    assert publish.createrepo_argv(Path("/srv/yum")) == ["createrepo_c", "--update", "/srv/yum"]
    assert publish.repository("yum", Path("/app")).location == "/app/yum"
    assert not publish.repository("/srv/yum").is_http

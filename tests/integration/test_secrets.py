"""Secrets through a real build and check: none reaches an output, a file, a container or the RPM.

A user with credentials everywhere (an index that wants Basic auth, a proxy
with a password, publish credentials, a netrc, a receipt key, tokens in the
environment) builds and checks an app with `-v --debug`, keeping the builder
and the instance. Each planted secret is then searched for, plainly,
%-encoded and base64-encoded (alone and as `user:secret`), in stdout and
stderr, in every file rpmkit wrote (dist/, reports, the wheel cache), in the
builder's and the instance's environment (`docker inspect`) and in the RPM's
header and payload (`rpm -qpi --scripts`, `rpm2cpio | cpio`).
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from rpmkit import labels

pytestmark = [pytest.mark.docker, pytest.mark.slow]

USER = "deployer"
APP = "rk-secrets"
SECRETS = {
    "index": "idx-P@ss:w/rd-4711",
    "proxy": "pr0xy-Pw-8080",
    "env_token": "env-T0ken-5521",
    "publish": "pub-P\u00e4ssw0rd-77",
    "netrc": "netrc-S3cret-1234",
    "receipt_key": "rcpt-K3y-0042",
}


def forms(secret: str) -> set[str]:
    """Plain, %-encoded, base64 alone and as HTTP Basic's `user:secret`."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"{USER}:{secret}".encode()).decode(),
    }


def found(text: str) -> set[str]:
    return {name for name, secret in SECRETS.items() if any(f in text for f in forms(secret))}


def _wheel() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as whl:
        info = "rk_secretdep-1.0.dist-info"
        whl.writestr("rk_secretdep.py", "VALUE = 42\n")
        whl.writestr(
            f"{info}/METADATA", "Metadata-Version: 2.1\nName: rk-secretdep\nVersion: 1.0\n"
        )
        whl.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        whl.writestr(f"{info}/RECORD", "")
    return buf.getvalue()


@pytest.fixture
def index() -> Iterator[tuple[str, list[str]]]:
    """A package index on 127.0.0.1 that wants Basic auth; yields its URL and the headers seen."""
    wheel = _wheel()
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            auth = self.headers.get("Authorization", "")
            seen.append(auth)
            if not auth:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="index"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path.rstrip("/") == "/simple/rk-secretdep":
                body = b'<a href="/files/rk_secretdep-1.0-py3-none-any.whl">w</a>'
            elif self.path == "/files/rk_secretdep-1.0-py3-none-any.whl":
                body = wheel
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            kind = "text/html" if self.path.startswith("/simple") else "application/octet-stream"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    host, port = httpd.server_address[:2]
    userinfo = f"{USER}:{quote(SECRETS['index'], safe='')}"
    yield f"http://{userinfo}@{host}:{port}/simple", seen
    httpd.shutdown()
    httpd.server_close()


def _app(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    app = root / APP
    app.mkdir()
    # markupsafe (from the machine's usual index, as for examples/hello-world) ships a
    # compiled extension: the package is then arch-specific, as most real apps are.
    (app / "requirements.txt").write_text("rk-secretdep==1.0\nmarkupsafe\n")
    (app / "worker.py").write_text("import time\n\nimport rk_secretdep\n\ntime.sleep(1e9)\n")
    (app / "LICENSE").write_text("MIT\n")
    (app / "rpmkit.toml").write_text(
        f'name = "{APP}"\nversion = "1.0"\nsummary = "Secrets stay secret"\nlicense = "MIT"\n'
        'template = "python-worker"\nrequirements = "requirements.txt"\n'
        '[[services]]\ncommand = "python3 worker.py"\n'
    )
    return app


def _rpmkit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rpmkit", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def _kept(client: Any) -> list[Any]:
    return client.containers.list(all=True, filters={"label": f"{labels.APP}={APP}"})


def _rpm_contents(client: Any, image: str, rpm: Path) -> str:
    """The RPM's header as rpm prints it, and every payload file's path and bytes."""
    container = client.containers.run(
        image, ["sleep", "infinity"], detach=True, labels=labels.Run.new("tests").labels()
    )
    try:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(str(rpm), arcname="x.rpm")
        container.put_archive("/tmp", buf.getvalue())
        script = (
            "rpm -qpi --scripts --changelog --provides --requires -l /tmp/x.rpm; "
            "mkdir /tmp/x && cd /tmp/x && rpm2cpio /tmp/x.rpm | cpio -idm --quiet && "
            "find . -type f -print -exec cat {} +"
        )
        code, out = container.exec_run(["sh", "-c", script])
        assert code == 0, out.decode(errors="replace")[-2000:]
        return str(out.decode("latin-1"))
    finally:
        container.remove(force=True)


def test_no_planted_secret_is_printed_written_or_shipped(
    docker_client: Any,
    offline_images: dict[str, str],
    index: tuple[str, list[str]],
    tmp_path: Path,
) -> None:
    url, seen = index
    app = _app(tmp_path / "repo")
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / "netrc"
    netrc.write_text(f"machine repo.example.com login {USER} password {SECRETS['netrc']}\n")
    netrc.chmod(0o600)
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "NETRC": str(netrc),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HTTP_PROXY": f"http://puser:{SECRETS['proxy']}@proxy.invalid:3128",
        "HTTPS_PROXY": f"http://puser:{SECRETS['proxy']}@proxy.invalid:3128",
        "NO_PROXY": "127.0.0.1,localhost",
        "MY_SERVICE_TOKEN": SECRETS["env_token"],
        "RPMKIT_PUBLISH_USERNAME": USER,
        "RPMKIT_PUBLISH_PASSWORD": SECRETS["publish"],
        "RPMKIT_RECEIPT_KEY": SECRETS["receipt_key"],
    }
    channels: dict[str, str] = {}
    try:
        built = _rpmkit(
            env, "-v", "--debug", "build", str(app), "--profile", "offline",
            "--index-url", url, "--keep",
        )  # fmt: skip
        assert built.returncode == 0, built.stdout + built.stderr
        channels["build stdout+stderr"] = built.stdout + built.stderr
        checked = _rpmkit(
            env, "-v", "--debug", "check", str(app), "--profile", "offline", "--no-health",
            "--keep", "--json", str(tmp_path / "r.json"), "--junit-xml", str(tmp_path / "r.xml"),
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
        channels["check stdout+stderr"] = checked.stdout + checked.stderr
        kept = _kept(docker_client)
        assert {c.name.rsplit("-", 1)[-1] for c in kept} >= {"build"}
        assert len(kept) >= 2, [c.name for c in kept]  # the builder and the instance
        for container in kept:
            container.reload()
            channels[f"docker inspect {container.name}"] = json.dumps(container.attrs)
    finally:
        for container in _kept(docker_client):
            container.remove(force=True, v=True)
    # pip did authenticate with the planted credentials: the index saw them.
    basic = base64.b64encode(f"{USER}:{SECRETS['index']}".encode()).decode()
    assert f"Basic {basic}" in seen
    (rpm,) = (p for p in (app / "dist").glob(f"{APP}-1.0-1.*.rpm") if ".src." not in p.name)
    assert (app / "dist" / f"{rpm.name}.receipt.json").is_file()
    for path in [*tmp_path.rglob("*")]:
        if path.is_file() and home not in path.parents:
            channels[str(path.relative_to(tmp_path))] = path.read_bytes().decode("latin-1")
    channels["rpm header and payload"] = _rpm_contents(
        docker_client, offline_images["builder"], rpm
    )
    assert "rk_secretdep.py" in channels["rpm header and payload"]  # the payload was read
    leaks = {where: sorted(found(text)) for where, text in channels.items() if found(text)}
    print(
        f"secrets planted: {len(SECRETS)}; channels searched: {len(channels)}; "
        f"found: {sum(len(v) for v in leaks.values())}"
    )
    assert leaks == {}

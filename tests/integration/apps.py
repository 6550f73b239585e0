"""Small apps of each kind the build must handle, written into a test's folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

WSGI = """\
def application(environ, start_response):
    body = b"ok\\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [body]
"""

BOTTLE = """\
import bottle

app = bottle.Bottle()


@app.route("/")
@app.route("/health_check")
def index():
    import markupsafe

    return str(markupsafe.escape("ok")) + "\\n"
"""

STDLIB = """\
import http.server


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\\n")

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", 8000), Handler).serve_forever()
"""

# A python-worker app whose one service is a SysV init script that only sleeps.
SYSV_WORKER = """\
name = "rk-al-worker"
version = "1.0"
summary = "A SysV worker that only sleeps"
license = "MIT"
template = "python-worker"
init = "sysv"

[[services]]
command = "python3 -c 'import time; time.sleep(86400)'"
"""


def write(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text) under `root`; returns root."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def config(name: str, command: str, extra: str = "", requirements: bool = True) -> str:
    """A python-web rpmkit.toml serving / on port 8000 behind nginx's health check."""
    lines = [
        f'name = "{name}"',
        'version = "1.0"',
        'summary = "Test app for the build"',
        'license = "MIT"',
        'template = "python-web"',
        *(['requirements = "requirements.txt"'] if requirements else []),
        extra,
        "[[services]]",
        f'command = "{command}"',
        "port = 8000",
        "[health_check]",
        'path = "/"',
    ]
    return "\n".join(lines) + "\n"


def rpmkit(*args: str | Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """`python -m rpmkit ARGS` as a user runs it, without colours."""
    return subprocess.run(
        [sys.executable, "-m", "rpmkit", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
    )


def shown(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def errors(stderr: str) -> list[str]:
    """The `error:` lines a command printed."""
    return [line for line in stderr.splitlines() if line.startswith("error: ")]

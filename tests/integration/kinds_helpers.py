"""Small hand-written packages, one fault each, for the verdict tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rpmkit.checks import Check
from rpmkit.report.text import Report
from rpmkit.verify import Expectations
from rpmkit.verify.health import Probe
from tests.integration.conftest import check_paths

Build = Callable[[str], Path]

SPEC = """\
Name: @NAME@
Version: @VERSION@
Release: 1
Summary: rpmkit verdict test package
License: MIT
BuildArch: noarch
Requires: python3
Requires(pre): shadow-utils
%description
One fault at a time, for the verdict tests.
%install
mkdir -p %{buildroot}/usr/lib/systemd/system %{buildroot}/usr/lib/systemd/system-preset \\
    %{buildroot}/opt/@NAME@
@INSTALL@
%pre
@PRE@
%post
@POST@
%preun
@PREUN@
%postun
@POSTUN@
%files
/opt/@NAME@
@FILES@
"""


def heredoc(path: str, text: str) -> str:
    """A %install step writing `text` to `path` in the build root."""
    return f"cat > %{{buildroot}}{path} <<'RPMKIT_END'\n{text.strip()}\nRPMKIT_END"


def units_spec(
    name: str,
    units: dict[str, str],
    *,
    enable: tuple[str, ...] = (),
    files: dict[str, str] | None = None,
    version: str = "1.0",
    pre: str = "",
    post: str | None = None,
    preun: str = "",
    postun: str = "",
    file_lines: tuple[str, ...] = (),
) -> str:
    """A package shipping `units` (name -> unit file text), the ones in `enable` preset on,
    plus `files` (absolute path -> text) under /opt/NAME or elsewhere."""
    install = [heredoc(f"/usr/lib/systemd/system/{u}", text) for u, text in units.items()]
    preset = "\n".join(f"enable {u}" for u in enable) or "# nothing enabled"
    install.append(heredoc(f"/usr/lib/systemd/system-preset/50-{name}.preset", preset))
    listed = [f"/usr/lib/systemd/system/{u}" for u in units]
    listed.append(f"/usr/lib/systemd/system-preset/50-{name}.preset")
    for path, text in (files or {}).items():
        install.append(f"mkdir -p %{{buildroot}}{path.rsplit('/', 1)[0]}")
        install.append(heredoc(path, text))
        if not path.startswith(f"/opt/{name}/"):
            listed.append(path)
    presets = " ".join(units)
    values = {
        "NAME": name,
        "VERSION": version,
        "INSTALL": "\n".join(install),
        "PRE": pre or "true",
        "POST": post
        if post is not None
        else f"systemctl --no-reload preset {presets} >/dev/null 2>&1 || :",
        "PREUN": preun or "true",
        "POSTUN": postun or "true",
        "FILES": "\n".join([*listed, *file_lines]),
    }
    text = SPEC
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def check(
    engine: Any,
    images: dict[str, str],
    rpm: Path,
    expect: Expectations,
    upgrade_from: tuple[Path, ...] = (),
) -> Report:
    """The check of one RPM on the offline profile, as `rpmkit check` runs it."""
    return check_paths(engine, images["runtime"], (rpm,), rpm.name.split("-")[0], expect,
                       upgrade_from).report  # fmt: skip


def failures(report: Report) -> dict[str, Check]:
    """The failed checks by name."""
    return {c.name: c for c in report.checks if not (c.ok or c.warning)}


NO_HEALTH = Expectations(probe=None, deadline=8.0)


def web(port: int = 8000, deadline: float = 8.0, **probe: Any) -> Expectations:
    """A service answering HTTP on `port` directly (no proxy in front)."""
    return Expectations(
        ports=(port,),
        probe=Probe(path="/health_check", port=port, deadline=deadline, **probe),
        deadline=deadline,
    )


SERVER = r"""
import http.server, os, sys, traceback
BIND = os.environ.get("BIND", "0.0.0.0")
PORT = int(os.environ.get("PORT", "8000"))
ALLOWED = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]
MODE = os.environ.get("MODE", "ok")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if ALLOWED and host not in ALLOWED:
            print(f"Invalid HTTP_HOST header: {host!r}", file=sys.stderr, flush=True)
            code = 400
        elif MODE == "raise":
            try:
                raise RuntimeError("the real cause: DATABASE_URL is not set")
            except RuntimeError:
                traceback.print_exc()
                sys.stderr.flush()
            code = 500
        else:
            code = 200
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok" if code == 200 else b"error")
    def log_message(self, *args):
        pass
http.server.HTTPServer((BIND, PORT), H).serve_forever()
"""


def server_unit(name: str, environment: str = "", extra: str = "") -> str:
    """A service running SERVER as the package's user."""
    env = f"Environment={environment}\n" if environment else ""
    return f"""
[Unit]
Description={name}
[Service]
User={name}
{env}ExecStart=/usr/bin/python3 /opt/{name}/server.py
{extra}
[Install]
WantedBy=multi-user.target
"""


def add_user(name: str) -> str:
    """A %pre that creates the service user before rpm lays down the files."""
    return f"getent passwd {name} >/dev/null || useradd -r -d /opt/{name} -s /sbin/nologin {name}"

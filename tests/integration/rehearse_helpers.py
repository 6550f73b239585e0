"""Hand-written specs for the rehearsal tests: a tiny web service with knobs to misbehave."""

from __future__ import annotations

from rpmkit.rehearse import balancer
from rpmkit.rehearse.config import Rehearse
from rpmkit.rehearse.run import RehearsePlan
from rpmkit.rpm import RpmFile
from rpmkit.verify.health import Probe

# A Python service on 8000 behind nginx on 80, under systemd, enabled at boot.
# LATE: /health_check answers 503 for that many seconds after the start.
# STATE: every request appends a line to that file.
# CRASH_AFTER: the service exits on the request after that many (health checks aside).
APP = r"""
import http.server, os, threading, time
PORT = int(os.environ.get("PORT", "8000"))
LATE = float(os.environ.get("LATE", "0"))
STATE = os.environ.get("STATE", "")
CRASH_AFTER = int(os.environ.get("CRASH_AFTER", "0"))
VERSION = os.environ.get("VERSION", "")
STARTED = time.monotonic()
LOCK = threading.Lock()
COUNT = [0]
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/health_check":
            late = time.monotonic() - STARTED < LATE
            return self.reply(503 if late else 200, b"starting" if late else b"ok")
        with LOCK:
            COUNT[0] += 1
            n = COUNT[0]
            if STATE:
                with open(STATE, "a") as fh:
                    fh.write(f"{n}\n")
        if CRASH_AFTER and n > CRASH_AFTER:
            os._exit(3)
        self.reply(200, f"hello from {VERSION}".encode())
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
"""

SPEC = """\
Name: @NAME@
Version: @VERSION@
Release: 1
Summary: rpmkit rehearsal test service
License: MIT
BuildArch: noarch
Requires: python3
Requires: nginx
Requires(pre): shadow-utils
%description
A web service that the rehearsal tests make misbehave in one way at a time.
%install
mkdir -p %{buildroot}/opt/@NAME@ %{buildroot}/usr/lib/systemd/system \\
    %{buildroot}/usr/lib/systemd/system-preset %{buildroot}/etc/nginx/conf.d
cat > %{buildroot}/opt/@NAME@/app.py <<'END'
@APP@
END
cat > %{buildroot}/usr/lib/systemd/system/@NAME@.service <<'END'
[Unit]
Description=@NAME@
[Service]
User=@NAME@
Environment=VERSION=@VERSION@ LATE=@LATE@ STATE=@STATE@ CRASH_AFTER=@CRASH_AFTER@
ExecStart=/usr/bin/python3 /opt/@NAME@/app.py
[Install]
WantedBy=multi-user.target
END
cat > %{buildroot}/usr/lib/systemd/system-preset/50-@NAME@.preset <<'END'
enable @NAME@.service
enable nginx.service
END
cat > %{buildroot}/etc/nginx/conf.d/@NAME@.conf <<'END'
server { listen 80 default_server; location / { proxy_pass http://127.0.0.1:8000; } }
END
%pre
getent passwd @NAME@ >/dev/null || useradd -r -d /opt/@NAME@ -s /sbin/nologin @NAME@
%post
systemctl --no-reload preset @NAME@.service nginx.service >/dev/null 2>&1 || :
%files
%dir %attr(0755, @NAME@, @NAME@) /opt/@NAME@
/opt/@NAME@/app.py
/usr/lib/systemd/system/@NAME@.service
/usr/lib/systemd/system-preset/50-@NAME@.preset
%config(noreplace) /etc/nginx/conf.d/@NAME@.conf
"""


def service_spec(
    name: str,
    version: str = "1.0",
    *,
    late: float = 0,
    state: str = "",
    crash_after: int = 0,
) -> str:
    """The spec of the test service, misbehaving as asked."""
    values = {
        "NAME": name,
        "VERSION": version,
        "LATE": str(late),
        "STATE": state,
        "CRASH_AFTER": str(crash_after),
        "APP": APP.strip(),
    }
    text = SPEC
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


PROBE = Probe(path="/health_check", port=80, interval=0.1, timeout=1.0, deadline=40.0)


def plan(
    app: str,
    old: tuple[RpmFile, ...],
    new: tuple[RpmFile, ...],
    *,
    chaos: bool = False,
    chaos_swap: bool = False,
    **settings: object,
) -> RehearsePlan:
    """A rehearsal of the (staged) test service with the default load and short phases."""
    options: dict[str, object] = {"steady_seconds": 3.0, "after_seconds": 2.0, **settings}
    health = balancer.local_health("/health_check", 80, 200, 30.0, 5.0, 2, 5, 0.2)
    return RehearsePlan(
        app=app,
        old=old,
        new=new,
        probe=PROBE,
        health=health,
        traffic_port=80,
        settings=Rehearse.model_validate(options),
        chaos=chaos,
        chaos_swap=chaos_swap,
        seed=7,
    )

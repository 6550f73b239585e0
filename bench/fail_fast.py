"""How soon does a failing check say FAIL? Time to verdict per fault, beside a passing check.

Each fault is one small hand-written package of the same shape (a Python HTTP
service on port 8000 under systemd, its health check on that port), broken in
one way. Every run checks an RPM never checked before (each has its own
release), so no cache of an RPM or its result can serve. Times are the wall
time of the whole `rpmkit check` process measured from outside it
(interpreter start-up and imports included), images already built, and each
run's verdict is verified to be the expected one for the expected reason.

The baseline, measured in the same run, is the passing check of the same
package unbroken.

    .venv/bin/python bench/fail_fast.py [-n 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rpmkit import engine, images, profiles
from rpmkit.progress import Reporter

RPMKIT = [sys.executable, "-m", "rpmkit", "-q"]
SERVER = r"""
import http.server, os
STATUS = int(os.environ.get("STATUS", "200"))
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(STATUS)
        self.end_headers()
        self.wfile.write(b"ok" if STATUS == 200 else b"broken on purpose")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("0.0.0.0", 8000), H).serve_forever()
"""
SPEC = """\
Name: bench-@KIND@
Version: 1.0
Release: @RELEASE@
Summary: rpmkit fail-fast benchmark package
License: MIT
BuildArch: noarch
Requires: python3
Requires(pre): shadow-utils
%description
One fault, for the fail-fast benchmark.
%install
mkdir -p %{buildroot}/opt/bench %{buildroot}/usr/lib/systemd/system \\
    %{buildroot}/usr/lib/systemd/system-preset
cat > %{buildroot}/opt/bench/server.py <<'END'
@SERVER@
END
cat > %{buildroot}/usr/lib/systemd/system/bench-@KIND@.service <<'END'
[Unit]
Description=bench
[Service]
User=@USER@
Environment=STATUS=@STATUS@
ExecStart=@EXEC@
Restart=on-failure
[Install]
WantedBy=multi-user.target
END
echo '@PRESET@' > %{buildroot}/usr/lib/systemd/system-preset/50-bench-@KIND@.preset
%pre
getent passwd bench >/dev/null || useradd -r -d /opt/bench -s /sbin/nologin bench
%post
systemctl --no-reload preset bench-@KIND@.service >/dev/null 2>&1 || :
%files
/opt/bench
/usr/lib/systemd/system/bench-@KIND@.service
/usr/lib/systemd/system-preset/50-bench-@KIND@.preset
"""
EXEC = "/usr/bin/python3 /opt/bench/server.py"


@dataclass(frozen=True)
class Kind:
    """One fault: how the package is broken, and the verdict it must get."""

    label: str
    target: float  # seconds; 0 for the baseline
    stage: str | None  # the failed stage expected (None: PASS)
    checks: tuple[str, ...]  # one of these must fail (all pass, for the baseline), by name
    user: str = "bench"
    status: int = 200
    exec_start: str = EXEC
    enabled: bool = True


def _unit_down(key: str) -> tuple[str, ...]:
    # Seen failed, or between two of systemd's restarts: either line names it.
    return (f"unit bench-{key}.service active", f"unit bench-{key}.service not restarted")


KINDS = {
    "crash": Kind("crashing service", 2.0, "verify", _unit_down("crash"),
                  exec_start="/usr/bin/python3 -c 'raise SystemExit(\"boom\")'"),
    "badexec": Kind("bad ExecStart", 2.0, "verify", _unit_down("badexec"),
                    exec_start="/opt/bench/no-such-program"),
    "nouser": Kind("missing user", 2.0, "verify", ("user nosuchuser exists",), user="nosuchuser"),
    "idle": Kind("never-enabled unit", 2.0, "verify", ("unit bench-idle.service enabled at boot",),
                 enabled=False),
    "h500": Kind("health answering 500", 3.0, "health", ("health check",), status=500),
    "pass": Kind("passing check (baseline)", 0.0, None, ("health check",)),
}  # fmt: skip


def spec_for(key: str, kind: Kind, release: str) -> str:
    values = {
        "KIND": key, "RELEASE": release, "SERVER": SERVER.strip(), "USER": kind.user,
        "STATUS": str(kind.status), "EXEC": kind.exec_start,
        "PRESET": f"enable bench-{key}.service" if kind.enabled else "# not enabled",
    }  # fmt: skip
    text = SPEC
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def build_all(builder: str, count: int, out: Path) -> dict[str, list[Path]]:
    """`count` RPMs of each kind, each with a release never used before, in one builder."""
    cid = subprocess.run(
        ["docker", "run", "-d", "--rm", builder, "sleep", "infinity"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    stamp = time.strftime("%H%M%S")
    built: dict[str, list[Path]] = {}
    try:
        for key, kind in KINDS.items():
            for i in range(count):
                release = f"{stamp}.{i}"
                spec = out / f"{key}-{i}.spec"
                spec.write_text(spec_for(key, kind, release))
                subprocess.run(
                    ["docker", "cp", str(spec), f"{cid}:/tmp/b.spec"],
                    check=True,
                    capture_output=True,
                )
                subprocess.run(
                    ["docker", "exec", cid, "sh", "-c",
                     "rm -rf /tmp/rb && rpmbuild -bb --define '_topdir /tmp/rb' /tmp/b.spec "
                     "&& cp /tmp/rb/RPMS/noarch/*.rpm /tmp/out.rpm"],
                    check=True, capture_output=True,
                )  # fmt: skip
                rpm = out / f"bench-{key}-1.0-{release}.noarch.rpm"
                subprocess.run(
                    ["docker", "cp", f"{cid}:/tmp/out.rpm", str(rpm)],
                    check=True,
                    capture_output=True,
                )
                built.setdefault(key, []).append(rpm)
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True)
    return built


RETRIED: list[str] = []


def timed_check(rpm: Path, kind: Kind) -> float:
    """One whole `rpmkit check` process; exits when its verdict is not the expected one.

    A run whose container another process on this shared engine removed under it
    is run again, and counted.
    """
    for _ in range(3):
        elapsed, proc, data = _run_check(rpm)
        if not (proc.returncode == 3 and "No such container" in proc.stderr):
            break
        RETRIED.append(rpm.name)
    _verify(rpm, kind, proc, data)
    return elapsed


def _run_check(rpm: Path) -> tuple[float, subprocess.CompletedProcess[str], dict[str, Any]]:
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        start = time.monotonic()
        proc = subprocess.run(
            [*RPMKIT, "check", str(rpm), "--profile", "offline", "--health-port", "8000",
             "--json", report.name],
            capture_output=True, text=True,
        )  # fmt: skip
        elapsed = time.monotonic() - start
        data = json.loads(Path(report.name).read_text() or "{}")
    return elapsed, proc, data


def _verify(
    rpm: Path, kind: Kind, proc: subprocess.CompletedProcess[str], data: dict[str, Any]
) -> None:
    # The report (rpmkit.report/1): one app, its failed stage and its checks' verdicts.
    app = (data.get("apps") or [{}])[0]
    checks = {c["name"]: c for c in app.get("checks", [])}
    want_ok = kind.stage is None
    named = [checks[n]["verdict"] for n in kind.checks if n in checks]
    right = (
        proc.returncode == (0 if want_ok else 1)
        and app.get("failed_stage") == kind.stage
        and bool(named)
        and (all(v == "pass" for v in named) if want_ok else "fail" in named)
    )
    if not right:
        sys.exit(
            f"{kind.label}: unexpected verdict for {rpm.name} (exit {proc.returncode}, failed "
            f"stage {app.get('failed_stage')}):\n{proc.stdout}{proc.stderr}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="runs per kind (at least 5)")
    args = parser.parse_args()
    client = engine.connect()
    built = images.build(client, profiles.get("offline"), Reporter(-1))
    builder = next(plan.tag for plan, _ in built if plan.role == "builder")
    with tempfile.TemporaryDirectory(prefix="rpmkit-bench-") as tmp:
        print(f"building {args.n * len(KINDS)} RPMs (not timed)", file=sys.stderr)
        rpms = build_all(builder, args.n, Path(tmp))
        # Interleaved, so a slow moment of this shared machine hits every kind alike.
        times: dict[str, list[float]] = {key: [] for key in KINDS}
        for i in range(args.n):
            for key, kind in KINDS.items():
                times[key].append(timed_check(rpms[key][i], kind))
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"runs: {args.n} per kind, whole `rpmkit check` processes, profile offline; "
          f"load average {' '.join(load)}")  # fmt: skip
    base = statistics.median(times["pass"])
    for key, kind in KINDS.items():
        median = statistics.median(times[key])
        goal = f"target <= {kind.target:.1f} s" if kind.target else "baseline"
        met = "" if not kind.target else ("  met" if median <= kind.target else "  NOT met")
        runs = " ".join(f"{t:.2f}" for t in times[key])
        print(
            f"{kind.label:<26} median {median:5.2f}s  ({median / base:4.2f}x the pass)  "
            f"{goal}{met}   runs: {runs}"
        )
    if RETRIED:
        print(f"runs again after another process removed their container: {len(RETRIED)}")


if __name__ == "__main__":
    main()

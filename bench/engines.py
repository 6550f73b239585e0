"""`rpmkit check` of hello-world on other engines, next to the local one, in the same run.

The engines are those the tests start (tests/integration/second_engine.py and
other_engines.py): a second dockerd on tcp://127.0.0.2 with TLS in its own
mount namespace (inputs copied in, health checks through its published
ports, and through a prober with RPMKIT_REACH=prober), the same engine
through ssh:// (a local sshd), and Podman's Docker-compatible socket. Each
gets the runtime image from the local engine first (not timed). One RPM,
built up front; each run is a fresh check (--no-cache). Times are the wall
time of the whole `rpmkit check` process, and the stages from its JSON
report (median of the runs).

    .venv/bin/python bench/engines.py [-n 3] [--skip ssh,podman]

Needs root, dockerd, podman, sshd and openssl (scripts/setup.sh installs them).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rpmkit import engine, images, profiles  # noqa: E402
from rpmkit.progress import Reporter  # noqa: E402
from tests.integration import other_engines, second_engine  # noqa: E402

APP = Path(__file__).resolve().parent.parent / "examples" / "hello-world"
SCRATCH = Path("/var/lib/rpmkit-bench")
STAGES = ("install", "boot", "verify", "health")


def rpmkit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rpmkit", "-q", *args], capture_output=True, text=True,
        env={**second_engine._without_docker_env(), "NO_COLOR": "1", **env}, timeout=600,
    )  # fmt: skip


def timed(name: str, env: dict[str, str], rpm: Path, runs: int) -> tuple[str, float, dict]:
    walls, stages = [], {s: [] for s in STAGES}
    for _ in range(runs):
        with tempfile.NamedTemporaryFile(suffix=".json") as report:
            start = time.monotonic()
            proc = rpmkit(env, "check", str(rpm), "--profile", "offline", "--no-cache",
                          "--json", report.name)  # fmt: skip
            walls.append(time.monotonic() - start)
            if proc.returncode != 0:
                sys.exit(f"check on {name} failed:\n{proc.stdout}{proc.stderr}")
            [app] = json.loads(Path(report.name).read_text())["apps"]
            timings = {s["name"]: s["seconds"] for s in app["stages"]}
        for stage in STAGES:
            stages[stage].append(float(timings.get(stage, 0.0)))
        print(f"  {name}: {walls[-1]:.2f}s", file=sys.stderr)
    return name, statistics.median(walls), {s: statistics.median(v) for s, v in stages.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3, help="checks per engine (default 3)")
    parser.add_argument("--skip", default="", help="comma-separated: tls, prober, ssh, podman")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    local = engine.connect()
    offline = profiles.get("offline")
    runtime = images.ensure(local, offline, Reporter(verbosity=-1), builder=True).runtime.tag
    with tempfile.TemporaryDirectory(prefix="rpmkit-bench-engines-") as tmp:
        return measure(args.n, skip, runtime, Path(tmp))


def measure(runs: int, skip: set[str], runtime: str, dist: Path) -> int:
    """Build the RPM into `dist`, time the checks, print the table."""
    built = rpmkit({}, "build", str(APP), "--profile", "offline", "--dist", str(dist))
    if built.returncode != 0:
        sys.exit(f"build failed:\n{built.stdout}{built.stderr}")
    rpm = next(dist.glob("hello-world-*.x86_64.rpm"))
    rows = [timed("local Docker (unix socket)", {}, rpm, runs)]
    remote = podman = sshd = None
    try:
        if not {"tls", "prober", "ssh"} <= skip:
            remote = second_engine.remote(SCRATCH / f"engine2-{os.getpid()}")
            remote.start()
            remote.load(runtime)
            if "tls" not in skip:
                rows.append(timed("remote Docker, TCP+TLS", remote.env(), rpm, runs))
            if "prober" not in skip:
                env = {**remote.env(), "RPMKIT_REACH": "prober"}
                rows.append(timed("remote Docker, TCP+TLS, prober", env, rpm, runs))
            if "ssh" not in skip:
                sshd = other_engines.sshd(SCRATCH / f"sshd-{os.getpid()}", remote.env())
                rows.append(timed("remote Docker, ssh://", sshd.env(), rpm, runs))
        if "podman" not in skip:
            podman = other_engines.podman(SCRATCH / f"podman-{os.getpid()}")
            podman.start()
            podman.load(runtime)
            rows.append(timed("Podman 4.3 (Docker-compatible socket)", podman.env(), rpm, runs))
    finally:
        if sshd is not None:
            other_engines.remove_sshd(sshd)
        if remote is not None:
            second_engine.remove(remote)
        if podman is not None:
            other_engines.remove_podman(podman)
        if SCRATCH.is_dir() and not any(SCRATCH.iterdir()):
            SCRATCH.rmdir()
    base = rows[0][1]
    print(f"rpmkit check of {rpm.name}, median of {runs} (wall time of the process):")
    print(f"  {'engine':40} {'wall':>7} {'vs local':>9} " + " ".join(f"{s:>8}" for s in STAGES))
    for name, wall, stages in rows:
        cells = " ".join(f"{stages[s]:7.2f}s" for s in STAGES)
        print(f"  {name:40} {wall:6.2f}s {wall / base:8.2f}x {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

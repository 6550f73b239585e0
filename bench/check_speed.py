"""How fast is the answer? `rpmkit check` of hello-world, both tiers, against the naive path.

Every run checks an RPM never checked before: the RPMs are built up front,
each with its own release, so no cache of an RPM or its result can serve.
Times are the wall time of the whole `rpmkit check` process measured from
outside it (interpreter start-up and imports included), with the images
already built and no background process kept between runs.

The baseline, measured in the same run, is what a developer would script by
hand: docker run the runtime image booting systemd, copy the RPM in, dnf
install it from a local repository, start the services, poll the health URL,
remove the container.

    .venv/bin/python bench/check_speed.py [-n 5] [--app examples/hello-world]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from rpmkit import engine, images, profiles

RPMKIT = [sys.executable, "-m", "rpmkit", "-q"]
BOOT = [
    "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
    "--tmpfs", "/run", "--tmpfs", "/run/lock",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "-e", "container=docker",
    "--stop-signal", "SIGRTMIN+3",
]  # fmt: skip


def build_rpms(app: Path, count: int, dist: Path) -> list[Path]:
    """Build `count` RPMs of the app, each with a release never used before."""
    stamp = time.strftime("%H%M%S")
    rpms = []
    for i in range(count):
        release = f"{stamp}.{i}"
        out = subprocess.run(
            [*RPMKIT, "build", str(app), "--profile", "offline", "--release", release,
             "--dist", str(dist)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        rpm = next(
            Path(line) for line in out.split() if line.endswith(".rpm") and ".src." not in line
        )
        rpms.append(rpm)
        print(f"  built {rpm.name}", file=sys.stderr)
    return rpms


def timed_check(rpm: Path, *extra: str) -> tuple[float, dict[str, float]]:
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        start = time.monotonic()
        proc = subprocess.run(
            [*RPMKIT, "check", str(rpm), "--profile", "offline", "--json", report.name,
             "--no-cache", *extra],
            capture_output=True, text=True,
        )  # fmt: skip
        elapsed = time.monotonic() - start
        if proc.returncode != 0:
            sys.exit(f"check of {rpm.name} failed:\n{proc.stdout}{proc.stderr}")
        timings = json.loads(Path(report.name).read_text())["timings"]
    return elapsed, timings


def naive(rpm: Path, runtime: str, name: str) -> float:
    """The hand-written path, step by step with the docker CLI."""
    start = time.monotonic()
    cid = subprocess.run(
        ["docker", "run", "-d", *BOOT, "-p", "127.0.0.1::80", runtime, "/sbin/init"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    try:
        # /var/tmp: dnf on the booted instance cannot read a repository under /tmp.
        subprocess.run(
            ["docker", "cp", str(rpm), f"{cid}:/var/tmp/"], check=True, capture_output=True
        )
        subprocess.run(
            ["docker", "exec", cid, "sh", "-c",
             "mkdir -p /var/tmp/repo && cp /var/tmp/*.rpm /var/tmp/repo/ && "
             "createrepo_c -q /var/tmp/repo && "
             "dnf -y -q --nogpgcheck --disablerepo='*' --repofrompath=local,/var/tmp/repo "
             f"--enablerepo=local install {name}"],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            ["docker", "exec", cid, "systemctl", "start", f"{name}.service", "nginx.service"],
            check=True, capture_output=True,
        )  # fmt: skip
        port = (
            subprocess.run(
                ["docker", "port", cid, "80/tcp"], check=True, capture_output=True, text=True
            )
            .stdout.split(":")[-1]
            .strip()
        )
        url = f"http://127.0.0.1:{port}/health_check"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                sys.exit("naive path: health check never passed")
            time.sleep(0.1)
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True)
    return time.monotonic() - start


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="runs per measurement (at least 5)")
    parser.add_argument("--app", type=Path, default=Path("examples/hello-world"))
    args = parser.parse_args()
    name = "hello-world"

    client = engine.connect()
    profile = profiles.get("offline")
    from rpmkit.progress import Reporter

    runtime = images.ensure(client, profile, Reporter(-1), builder=False).runtime.tag
    with tempfile.TemporaryDirectory(prefix="rpmkit-bench-") as tmp:
        print(f"building {3 * args.n} RPMs of {args.app} (not timed)", file=sys.stderr)
        rpms = build_rpms(args.app, 3 * args.n, Path(tmp))
        no_boot, full, baseline = rpms[: args.n], rpms[args.n : 2 * args.n], rpms[2 * args.n :]
        static = [timed_check(rpm, "--no-boot") for rpm in no_boot]
        booted = [timed_check(rpm) for rpm in full]
        hand = [naive(rpm, runtime, name) for rpm in baseline]

    def show(label: str, runs: list[tuple[float, dict[str, float]]], target: float) -> float:
        wall = median([w for w, _ in runs])
        stages = sorted({k for _, t in runs for k in t})
        breakdown = "  ".join(
            f"{k} {median([t.get(k, 0.0) for _, t in runs]):.3f}s" for k in stages
        )
        print(f"{label}: median {wall:.3f}s (target <= {target} s)")
        print(f"    stages (medians, inside the process): {breakdown}")
        print(f"    all runs: {' '.join(f'{w:.3f}' for w, _ in runs)}")
        return wall

    print(f"runs: {args.n} per measurement, app {args.app}, profile offline")
    s = show("rpmkit check --no-boot", static, 0.7)
    f = show("rpmkit check (full)", booted, 1.2)
    b = median(hand)
    print(f"naive path (docker run, dnf install, systemctl start, poll): median {b:.3f}s")
    print(f"    all runs: {' '.join(f'{w:.3f}' for w in hand)}")
    print(f"ratio full check / naive: {f / b:.2f}   no-boot / naive: {s / b:.2f}")


if __name__ == "__main__":
    main()

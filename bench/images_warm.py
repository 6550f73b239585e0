"""Warm `rpmkit images build`: how long an up-to-date profile takes to confirm.

Baseline, measured in the same run: `docker build` of the same runtime
Dockerfile with the engine's layer cache, which is what a hand-written script
would run every time. Prints medians over N runs. Needs the offline images built.

    .venv/bin/python bench/images_warm.py [-n 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from rpmkit import engine, images, profiles


def _time(cmd: list[str]) -> float:
    start = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="runs per measurement")
    args = parser.parse_args()

    profile = profiles.get("offline")
    plans = images.resolve(engine.connect(), profile)
    runtime = next(p for p in plans if p.role == "runtime")
    rpmkit = [sys.executable, "-m", "rpmkit", "-q", "images", "build", "--profile", "offline"]
    subprocess.run(rpmkit, check=True, capture_output=True)  # make sure it is warm
    baseline = [
        "docker", "build", "-q", "-f", str(profile.directory / profile.dockerfiles["runtime"]),
        "--build-arg", f"BASE={runtime.base}", "-t", "rpmkit-bench/baseline:warm",
        str(profile.directory),
    ]  # fmt: skip
    ours = [_time(rpmkit) for _ in range(args.n)]
    theirs = [_time(baseline) for _ in range(args.n)]
    subprocess.run(["docker", "rmi", "rpmkit-bench/baseline:warm"], capture_output=True)
    m_ours, m_theirs = statistics.median(ours), statistics.median(theirs)
    print(f"runs: {args.n}")
    print(f"rpmkit images build (warm, both images): median {m_ours:.3f}s  (target < 3 s)")
    print(f"docker build, layer cache (runtime only): median {m_theirs:.3f}s")
    print(f"ratio rpmkit / baseline: {m_ours / m_theirs:.2f}")


if __name__ == "__main__":
    main()

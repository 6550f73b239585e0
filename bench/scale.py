"""Scale: `rpmkit run --all` of N generated apps, one at a time and two at a time; and two
shards side by side, on one engine and on two.

For each N (default 1, 4, 16, 32) a repository of N static sites (the docs-site example
under new names) is made, and `rpmkit run --all -j J --no-cache` times the whole job for
J = 1 and 2: every app built and checked from scratch (--no-cache also builds again). The
table gives the total, the time per app and the speed-up of -j 2 over -j 1.

With --second-engine, N = --engines-apps apps are cut into two shards (`--shard 1/2`,
`2/2`) run side by side as two CI jobs would: both against this machine's engine, then
one against it and one against a second dockerd started here (its own data root, bridge
and socket; the images copied with docker save | docker load). It needs root, dockerd and
iproute2. rpmkit schedules nothing across engines: the shards are what a CI system
distributes.

Long (the full table takes many minutes): run by hand, never in CI.

    .venv/bin/python bench/scale.py [--sizes 1,4,16,32] [--jobs 1,2] [--second-engine]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RPMKIT = [sys.executable, "-m", "rpmkit", "-q"]
SITE = Path(__file__).resolve().parents[1] / "examples" / "monorepo" / "docs-site"


def generate(repo: Path, n: int) -> None:
    """N static sites below `repo`, each its own app, in one git repository."""
    for i in range(1, n + 1):
        name = f"site{i:03d}"
        shutil.copytree(SITE, repo / name, ignore=shutil.ignore_patterns("dist"))
        config = repo / name / "rpmkit.toml"
        config.write_text(config.read_text().replace('"docs-site"', f'"{name}"'))
        (repo / name / "public" / "index.html").write_text(f"<h1>{name}</h1>\n")
    (repo / ".gitignore").write_text("dist/\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)


def run_all(repo: Path, env: dict[str, str], *extra: str) -> float:
    argv = [*RPMKIT, "run", "--all", ".", "--profile", "offline", "--no-cache", *extra]
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=repo)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"$ {' '.join(argv)}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
    return elapsed


def scale(sizes: list[int], jobs: list[int], tmp: Path, env: dict[str, str]) -> None:
    head = "  ".join(f"-j {j} total  per app" for j in jobs)
    print(f"{'apps':>5}  {head}  speed-up (-j {jobs[-1]} vs -j {jobs[0]})  load average")
    for n in sizes:
        repo = tmp / f"repo-{n}"
        generate(repo, n)
        times = {j: run_all(repo, env, "-j", str(j)) for j in jobs}
        cells = "  ".join(f"{times[j]:10.1f}s {times[j] / n:7.2f}s" for j in jobs)
        # The machine may be shared: the load says when the time per app is not rpmkit's.
        load = os.getloadavg()[1]
        speedup = times[jobs[0]] / times[jobs[-1]]
        print(f"{n:>5}  {cells}  {speedup:24.2f}x  {load:12.1f}", flush=True)
        shutil.rmtree(repo)


def two_engines(n: int, tmp: Path, env: dict[str, str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from rpmkit import engine, images, profiles
    from rpmkit.progress import Reporter
    from tests.integration import second_engine

    made = images.ensure(engine.connect(), profiles.get("offline"), Reporter(-1))
    repo = tmp / "repo-engines"
    generate(repo, n)
    other = second_engine.make(Path("/var/tmp") / f"rpmkit-bench-engine2-{os.getpid()}")
    try:
        other.start()
        start = time.monotonic()
        for tag in (made.runtime.tag, made.builder):
            other.load(tag)
        print(f"second engine started, images loaded in {time.monotonic() - start:.1f}s")

        def shards(hosts: tuple[str | None, str | None]) -> float:
            def one(index: int) -> float:
                host = hosts[index - 1]
                shard_env = {**env, **({"DOCKER_HOST": host} if host else {})}
                return run_all(repo, shard_env, "-j", "1", "--shard", f"{index}/2")

            start = time.monotonic()
            with ThreadPoolExecutor(2) as pool:
                each = list(pool.map(one, (1, 2)))
            total = time.monotonic() - start
            print(f"    shards took {each[0]:.1f}s and {each[1]:.1f}s")
            return total

        whole = run_all(repo, env, "-j", "2")
        one_engine = shards((None, None))
        both = shards((None, other.host))
        print(f"{n} apps: run --all -j 2 on one engine          {whole:6.1f}s")
        print(f"{n} apps: 2 shards at once, both on one engine  {one_engine:6.1f}s")
        print(f"{n} apps: 2 shards at once, one on each engine  {both:6.1f}s")
    finally:
        second_engine.remove(other)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,16,32", help="numbers of apps, comma-separated")
    parser.add_argument("--jobs", default="1,2", help="-j values, comma-separated")
    parser.add_argument("--second-engine", action="store_true", help="also the two-engine run")
    parser.add_argument("--engines-apps", type=int, default=8, help="apps of the two-engine run")
    parser.add_argument("--no-table", action="store_true", help="only the two-engine run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rpmkit-scale-") as name:
        tmp = Path(name)
        env = {**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME": str(tmp / "cache")}
        print(f"machine: {os.cpu_count()} CPUs; apps: static sites; profile offline")
        if not args.no_table:
            sizes = [int(x) for x in args.sizes.split(",")]
            scale(sizes, [int(x) for x in args.jobs.split(",")], tmp, env)
        if args.second_engine:
            two_engines(args.engines_apps, tmp, env)


if __name__ == "__main__":
    main()

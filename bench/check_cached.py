"""Checks that are not repeated: a cached check against a full one, and `run --all` of a
monorepo with nothing changed against one app changed.

1. `rpmkit check RPM` of an RPM that passed this exact check before (it answers from its
   receipt: goal under 0.5 s), against the same check with --no-cache (the baseline,
   measured in the same run) and `rpmkit --version` (the interpreter's start-up, the floor).
2. `rpmkit run --all -j 2` of a generated monorepo of three static sites: the first run
   (everything built and checked), again with nothing changed (no build, every check
   cached), and with one app's page edited (one app built and checked).

Times are the wall time of the whole process, measured from outside it, with the images
built. A private check cache (XDG_CACHE_HOME) is used, so nothing of an earlier run counts.

    .venv/bin/python bench/check_cached.py [-n 5] [--app examples/hello-world]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RPMKIT = [sys.executable, "-m", "rpmkit", "-q"]
SITE = Path(__file__).resolve().parents[1] / "examples" / "monorepo" / "docs-site"


def timed(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"$ {' '.join(argv)}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
    return elapsed


def report(path: Path) -> dict[str, bool]:
    """Each app of a --json report: whether its check was cached."""
    return {a["name"]: a["cached"] for a in json.loads(path.read_text())["apps"]}


def show(label: str, runs: list[float]) -> None:
    print(
        f"  {label:<44} median {statistics.median(runs):6.3f}s   "
        f"min {min(runs):6.3f}s  max {max(runs):6.3f}s  (n={len(runs)})"
    )


def cached_check(app: Path, n: int, tmp: Path, env: dict[str, str]) -> None:
    dist = tmp / "dist"
    out = subprocess.run(
        [*RPMKIT, "build", str(app), "--profile", "offline", "--dist", str(dist)],
        check=True, capture_output=True, text=True, env=env,
    ).stdout  # fmt: skip
    rpm = next(Path(w) for w in out.split() if w.endswith(".rpm") and ".src." not in w)
    check = [*RPMKIT, "check", str(rpm), "--profile", "offline", "--json", str(tmp / "c.json")]
    floor = [timed([*RPMKIT, "--version"], env) for _ in range(n)]
    full = []
    for _ in range(n):
        full.append(timed([*check, "--no-cache"], env))
        if any(report(tmp / "c.json").values()):
            sys.exit("a --no-cache check answered from the cache")
    cached = []
    for _ in range(n):
        cached.append(timed(check, env))
        if not all(report(tmp / "c.json").values()):
            sys.exit("a check that should answer from its receipt was not cached")
    print(f"rpmkit check {rpm.name} (profile offline)")
    show("rpmkit --version (start-up floor)", floor)
    show("rpmkit check --no-cache (baseline)", full)
    show("rpmkit check, cached (goal < 0.5 s)", cached)
    ratio = statistics.median(full) / statistics.median(cached)
    print(f"  cached check is {ratio:.1f}x faster than the full check")


def monorepo(tmp: Path, env: dict[str, str]) -> None:
    repo = tmp / "monorepo"
    names = ("alpha", "beta", "gamma")
    for name in names:
        shutil.copytree(SITE, repo / name, ignore=shutil.ignore_patterns("dist"))
        config = repo / name / "rpmkit.toml"
        config.write_text(config.read_text().replace('"docs-site"', f'"{name}"'))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    argv = [*RPMKIT, "run", "--all", ".", "-j", "2", "--profile", "offline", "--json", "r.json"]
    rows = []
    first = timed(argv, env, repo)
    rows.append(("first run (3 built, 3 checked)", first, report(repo / "r.json")))
    same = timed(argv, env, repo)
    rows.append(("nothing changed", same, report(repo / "r.json")))
    page = repo / "beta" / "public" / "index.html"
    page.write_text(page.read_text() + "<p>changed</p>\n")
    one = timed(argv, env, repo)
    rows.append(("beta changed", one, report(repo / "r.json")))
    print("rpmkit run --all -j 2, a monorepo of 3 static sites")
    for label, seconds, cached in rows:
        rechecked = [n for n, c in cached.items() if not c]
        print(f"  {label:<32} {seconds:6.2f}s   rechecked: {', '.join(rechecked) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="runs per measurement")
    parser.add_argument("--app", type=Path, default=Path("examples/hello-world"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rpmkit-bench-") as name:
        tmp = Path(name)
        env = {**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME": str(tmp / "cache")}
        env.pop("RPMKIT_RECEIPT_KEY", None)
        cached_check(args.app, args.n, tmp, env)
        monorepo(tmp, env)


if __name__ == "__main__":
    main()

"""How fast is the answer? `rpmkit check` of hello-world, cold and warm, against the naive path.

Side by side, in one run, the median of `-n` whole-process runs of each:

- the full check and `--no-boot`, cold (`--no-spare`: the instance is started
  on demand) and warm (the instance a previous run left started and waiting);
- the naive baseline: what a developer would script by hand (docker run the
  runtime image booting systemd, copy the RPM in, dnf install it from a local
  repository, start the services, poll the health URL, remove the container);
- the fail-fast figures (bench/fail_fast.py's broken packages, warm), unless
  `--no-fail-fast`.

Two times per run: "verdict", when the verdict line (`PASS: ...` / `FAIL at
...: ...`) reached the pipe, and "wall", when the process ended (interpreter
start-up and imports included in both; output is unbuffered so the pipe sees
each line when it is printed). Every check runs with `--no-cache`, so no
earlier result can serve; the RPMs are built up front. Runs are interleaved
(one of each kind per round), so a slow moment of this shared machine hits
every kind alike; the load average is printed before and after.

A line says how the engine stores the instances' files (`rpmkit doctor`'s
storage line): on ext4 without a journal, marking the layer folder a top
directory makes the install 3-4 times faster, so compare runs of the same
setting. The last line gives the import time of `rpmkit check --no-boot` (the sum of
`python -X importtime`'s top-level entries, median), and whether `rpmkit
--help` imported docker, requests or pydantic.

    .venv/bin/python bench/check_speed.py [-n 5] [--app examples/hello-world] [--no-fail-fast]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from rpmkit import doctor, engine, images, profiles
from rpmkit.progress import Reporter

RPMKIT = [sys.executable, "-m", "rpmkit", "-q"]
BOOT = [
    "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
    "--tmpfs", "/run", "--tmpfs", "/run/lock",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "-e", "container=docker",
    "--stop-signal", "SIGRTMIN+3",
]  # fmt: skip
VERDICT = re.compile(r"^(PASS|FAIL at [\w.-]+): ")
ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
ENV.pop("CI", None)  # the spare is off in CI unless asked: the warm figures need it
ENV.pop("RPMKIT_SPARE", None)


def build_rpms(app: Path, count: int, dist: Path) -> list[Path]:
    """Build `count` RPMs of the app, each with a release never used before."""
    stamp = time.strftime("%H%M%S")
    rpms = []
    for i in range(count):
        release = f"{stamp}.{i}"
        for _ in range(3):  # a shared engine may fail one build (another process's clean-up)
            done = subprocess.run(
                [*RPMKIT, "build", str(app), "--profile", "offline", "--release", release,
                 "--dist", str(dist)],
                capture_output=True, text=True,
            )  # fmt: skip
            if done.returncode == 0:
                break
            print(f"  build failed, again: {done.stderr.strip()[-300:]}", file=sys.stderr)
        else:
            sys.exit(f"could not build {app}:\n{done.stdout}{done.stderr}")
        out = done.stdout
        rpm = next(
            Path(line) for line in out.split() if line.endswith(".rpm") and ".src." not in line
        )
        rpms.append(rpm)
        print(f"  built {rpm.name}", file=sys.stderr)
    return rpms


def timed(
    argv: list[str], ok: Callable[[int, str], bool], cwd: Path | None = None
) -> tuple[float, float]:
    """(seconds to the verdict line, seconds to the process's end) of one whole process.

    `cwd`: another checkout of rpmkit, whose package `python -m rpmkit` runs there.
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV, cwd=cwd
    )
    assert proc.stdout is not None
    verdict = None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if verdict is None and VERDICT.match(line):
            verdict = time.monotonic() - start
    rc = proc.wait()
    wall = time.monotonic() - start
    output = "".join(lines)
    if not ok(rc, output) or verdict is None:
        sys.exit(f"unexpected outcome of {' '.join(argv)} (exit {rc}):\n{output}")
    return verdict, wall


def check_argv(rpm: Path, *extra: str) -> list[str]:
    return [*RPMKIT, "check", str(rpm), "--profile", "offline", "--no-cache", *extra]


def passed(rc: int, output: str) -> bool:
    return rc == 0 and "\nPASS: " in f"\n{output}"


def naive(rpm: Path, runtime: str, name: str) -> tuple[float, float]:
    """The hand-written path, step by step with the docker CLI (verdict = its end)."""
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
    took = time.monotonic() - start
    return took, took


def import_seconds(rpm: Path) -> float:
    """The import time of one `rpmkit check --no-boot` (sum of the top-level entries)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *RPMKIT[1:], "check", str(rpm), "--profile",
         "offline", "--no-cache", "--no-boot", *spare_flag()],
        capture_output=True, text=True, env=ENV,
    )  # fmt: skip
    return importtime_total(proc.stderr)


def importtime_total(stderr: str) -> float:
    total = 0
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match:  # no indentation: imported by the program itself
            total += int(match[1])
    return total / 1e6


def help_imports() -> list[str]:
    """Which heavy modules `rpmkit --help` and `rpmkit check --help` import."""
    code = (
        "import sys\nfrom rpmkit.cli import main\n"
        "for argv in (['--help'], ['check', '--help']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "print(*sorted(m for m in ('docker', 'requests', 'pydantic', 'testinfra', 'jinja2')"
        " if m in sys.modules), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV)
    return proc.stderr.split()


_SPARE: list[bool] = []


def spare_flag() -> list[str]:
    """`--no-spare` when this rpmkit has the spare (before it, every run was cold)."""
    if not _SPARE:
        out = subprocess.run(
            [*RPMKIT, "check", "--help"], capture_output=True, text=True, env=ENV
        ).stdout
        _SPARE.append("--no-spare" in out)
    return ["--no-spare"] if _SPARE[0] else []


def fail_fast_kinds(n: int, out: Path) -> dict[str, tuple[Callable[[], tuple[float, float]], ...]]:
    """bench/fail_fast.py's packages, one timed run per RPM (warm, with its verdict verified)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import fail_fast

    client = engine.connect()
    built = images.build(client, profiles.get("offline"), Reporter(-1))
    builder = next(plan.tag for plan, _ in built if plan.role == "builder")
    rpms = fail_fast.build_all(builder, n, out)

    def run(key: str, rpm: Path) -> tuple[float, float]:
        kind = fail_fast.KINDS[key]
        with tempfile.NamedTemporaryFile(suffix=".json") as report:
            argv = check_argv(rpm, "--health-port", "8000", "--json", report.name)
            want = 0 if kind.stage is None else 1
            figures = timed(argv, lambda rc, _out: rc == want)
            import json

            data = json.loads(Path(report.name).read_text() or "{}")
        fail_fast._verify(rpm, kind, subprocess.CompletedProcess(argv, want, "", ""), data)
        return figures

    return {
        key: tuple((lambda k=key, r=rpm: run(k, r)) for rpm in rpms[key]) for key in fail_fast.KINDS
    }


AGAIN: list[str] = []


def _again(label: str, run: Callable[[], tuple[float, float]]) -> tuple[float, float]:
    """One run; on this shared machine a run another process broke is run again (and named)."""
    for _ in range(2):
        try:
            return run()
        except (SystemExit, subprocess.CalledProcessError) as exc:
            AGAIN.append(f"{label}: {str(exc)[-300:]}")
    return run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="runs per measurement (at least 5)")
    parser.add_argument("--app", type=Path, default=Path("examples/hello-world"))
    parser.add_argument("--no-fail-fast", action="store_true", help="skip the fail-fast kinds")
    parser.add_argument(
        "--before",
        type=Path,
        help="another checkout of rpmkit (e.g. a worktree of main): its full check and "
        "--no-boot run interleaved with these, as 'before'",
    )
    args = parser.parse_args()
    name = "hello-world"
    load_before = Path("/proc/loadavg").read_text().split()[:3]

    client = engine.connect()
    storage = doctor.storage_finding(client).detail
    profile = profiles.get("offline")
    runtime = images.ensure(client, profile, Reporter(-1), builder=False).runtime.tag
    cold = spare_flag()
    warm_available = bool(cold)
    with tempfile.TemporaryDirectory(prefix="rpmkit-bench-") as tmp:
        print(f"building {args.n} RPMs of {args.app} (not timed)", file=sys.stderr)
        rpms = build_rpms(args.app, args.n, Path(tmp))
        kinds: dict[str, list[Callable[[], tuple[float, float]]]] = {}

        def add(label: str, make: Callable[[Path], Callable[[], tuple[float, float]]]) -> None:
            kinds[label] = [make(rpm) for rpm in rpms]

        add("check (full), cold", lambda r: lambda: timed(check_argv(r, *cold), passed))
        if warm_available:
            add("check (full), warm", lambda r: lambda: timed(check_argv(r), passed))
        add("check --no-boot, cold", lambda r: lambda: timed(check_argv(r, "--no-boot", *cold), passed))  # fmt: skip  # noqa: E501
        if warm_available:
            add("check --no-boot, warm", lambda r: lambda: timed(check_argv(r, "--no-boot"), passed))  # fmt: skip  # noqa: E501
        if args.before is not None:
            before = args.before.resolve()
            add("before: check (full)", lambda r: lambda: timed(check_argv(r), passed, before))
            add("before: check --no-boot", lambda r: lambda: timed(check_argv(r, "--no-boot"), passed, before))  # fmt: skip  # noqa: E501
        add("naive path", lambda r: lambda: naive(r, runtime, name))
        failing: dict[str, list[Callable[[], tuple[float, float]]]] = {}
        if not args.no_fail_fast:
            print("building the fail-fast packages (not timed)", file=sys.stderr)
            for key, runs in fail_fast_kinds(args.n, Path(tmp)).items():
                failing[f"fail-fast {key}, {'warm' if warm_available else 'cold'}"] = list(runs)
        results: dict[str, list[tuple[float, float]]] = {}
        # Two blocks: a spare is made for one health check port (80 here, 8000 there).
        warm_ups = (
            lambda: timed(check_argv(rpms[0], "--no-boot"), passed),
            lambda: failing[next(k for k in failing if k.startswith("fail-fast pass"))][0](),
        )
        for block, warm_up in zip((kinds, failing), warm_ups, strict=True):
            if not block:
                continue
            if warm_available:
                warm_up()  # not counted: the first warm run finds the spare this one leaves
            for label in block:
                results[label] = []
            for i in range(args.n):
                for label, runs in block.items():
                    results[label].append(_again(label, runs[i]))
        imports = [import_seconds(rpms[i % len(rpms)]) for i in range(args.n)]
    heavy = help_imports()
    load_after = Path("/proc/loadavg").read_text().split()[:3]

    print(
        f"runs: {args.n} per kind, interleaved, whole processes, app {args.app}, profile offline;"
        f" load average {' '.join(load_before)} before, {' '.join(load_after)} after"
    )
    # Where the instances' files are made changes the install's time 3-4x (`rpmkit doctor`).
    print(f"storage: {storage}")
    print(f"{'':<34}{'verdict':>9}{'wall':>9}   all runs (wall)")
    base = statistics.median(w for _, w in results["naive path"])
    for label, runs in results.items():
        verdict = statistics.median(v for v, _ in runs)
        wall = statistics.median(w for _, w in runs)
        all_runs = " ".join(f"{w:.2f}" for _, w in runs)
        print(f"{label:<34}{verdict:8.3f}s{wall:8.3f}s   {all_runs}   ({wall / base:.2f}x naive)")
    if not warm_available:
        print("(this rpmkit has no spare instance: every run is cold)")
    for again in AGAIN:
        print(f"run again after an unexpected outcome: {again}")
    print(
        f"imports of `rpmkit check --no-boot`: median {statistics.median(imports):.3f}s "
        f"(runs: {' '.join(f'{s:.3f}' for s in imports)}); "
        f"`rpmkit --help` imports: {', '.join(heavy) or 'none of docker, requests, pydantic'}"
    )


if __name__ == "__main__":
    main()

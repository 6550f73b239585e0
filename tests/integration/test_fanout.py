"""A monorepo of three apps fanned out as a CI matrix would: shards, the merged report, and
`run --all` rebuilding and rechecking only the app that changed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.reports import read_junit, read_report

pytestmark = [pytest.mark.docker, pytest.mark.slow]

DOCS_SITE = Path(__file__).resolve().parents[2] / "examples" / "monorepo" / "docs-site"
APPS = ("alpha", "beta", "gamma")


@pytest.fixture(scope="module")
def monorepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three static sites in one git repository, with a check cache of their own."""
    repo = tmp_path_factory.mktemp("fanout") / "repo"
    for name in APPS:
        shutil.copytree(DOCS_SITE, repo / name, ignore=shutil.ignore_patterns("dist"))
        config = repo / name / "rpmkit.toml"
        config.write_text(config.read_text().replace('"docs-site"', f'"{name}"'))
    (repo / ".gitignore").write_text("dist/\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def rpmkit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME": str(repo.parent / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "rpmkit", *args], capture_output=True, text=True, timeout=600,
        env=env, cwd=repo,
    )  # fmt: skip


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


_TIME = re.compile(r"\d+(\.\d+)?s\b")
_PORT = re.compile(r"(//[\w.-]+):\d+")  # the port the engine published for this run


def set_aside(doc: dict[str, Any]) -> dict[str, Any]:
    """The report without its times, timestamps, host names and published ports."""
    kept = {k: v for k, v in doc.items() if k not in {"started", "finished", "seconds", "host"}}
    apps = []
    for app in doc["apps"]:
        apps.append({
            **{k: v for k, v in app.items() if k != "seconds"},
            "stages": [{**s, "seconds": None} for s in app["stages"]],
            "checks": [
                {**c, "offset": None, "seconds": None, "time": None,
                 "detail": _PORT.sub(r"\1:<port>", _TIME.sub("<time>", c["detail"]))}
                for c in app["checks"]
            ],
        })  # fmt: skip
    return {**kept, "apps": apps}


def test_three_shards_merged_equal_one_run_all(
    offline_images: dict[str, str], monorepo: Path
) -> None:
    matrix = rpmkit(monorepo, "matrix", ".", "--shards", "3")
    assert matrix.returncode == 0, output(matrix)
    jobs = json.loads(matrix.stdout)["include"]
    assert [(j["shard"], j["apps"]) for j in jobs] == [("1/3", "alpha"), ("2/3", "beta"),
                                                      ("3/3", "gamma")]  # fmt: skip
    whole = rpmkit(
        monorepo, "run", "--all", ".", "-j", "2", "--profile", "offline", "--no-cache",
        "--json", "whole.json",
    )  # fmt: skip
    assert whole.returncode == 0, output(whole)
    # The shards side by side, as a CI matrix runs them.
    with ThreadPoolExecutor(len(jobs)) as pool:
        procs = list(pool.map(lambda job: rpmkit(
            monorepo, "run", "--all", ".", "--shard", job["shard"], "--profile", "offline",
            "--no-cache", "--json", f"reports/{job['slug']}.json",
        ), jobs))  # fmt: skip
    for job, proc in zip(jobs, procs, strict=True):
        assert proc.returncode == 0, output(proc)
        assert read_report(monorepo / "reports" / f"{job['slug']}.json")["shard"] == job["shard"]
    shards = sorted(str(p) for p in (monorepo / "reports").glob("*.json"))
    merged = rpmkit(monorepo, "report", "merge", *shards, "--json", "merged.json",
                    "--junit-xml", "merged.xml")  # fmt: skip
    assert merged.returncode == 0, output(merged)
    one, joined = read_report(monorepo / "whole.json"), read_report(monorepo / "merged.json")
    assert [a["name"] for a in joined["apps"]] == list(APPS)
    assert set_aside(joined) == set_aside(one)
    assert list(read_junit(monorepo / "merged.xml")) == list(APPS)


def test_run_all_rebuilds_and_rechecks_only_the_app_that_changed(
    offline_images: dict[str, str], monorepo: Path
) -> None:
    def run_all() -> dict[str, dict[str, Any]]:
        proc = rpmkit(
            monorepo, "run", "--all", ".", "-j", "2", "--profile", "offline", "--json", "r.json"
        )
        assert proc.returncode == 0, output(proc)
        return {a["name"]: a for a in read_report(monorepo / "r.json")["apps"]}

    def rpms() -> dict[str, int]:
        return {n: (monorepo / n / "dist" / f"{n}-1.0.0-1.noarch.rpm").stat().st_mtime_ns
                for n in APPS}  # fmt: skip

    run_all()  # whatever ran before: every app built and checked now
    built = rpms()
    unchanged = run_all()
    assert {n: a["cached"] for n, a in unchanged.items()} == dict.fromkeys(APPS, True)
    for app in unchanged.values():
        assert "sources unchanged" in app["checks"][0]["detail"], app["checks"][0]
    assert rpms() == built

    page = monorepo / "beta" / "public" / "index.html"
    page.write_text(page.read_text() + "<p>changed</p>\n")
    changed = run_all()
    assert {n: a["cached"] for n, a in changed.items()} == {
        "alpha": True,
        "beta": False,
        "gamma": True,
    }
    assert "sources unchanged" not in changed["beta"]["checks"][0]["detail"]
    after = rpms()
    assert after["beta"] != built["beta"]
    assert {n: after[n] for n in ("alpha", "gamma")} == {n: built[n] for n in ("alpha", "gamma")}

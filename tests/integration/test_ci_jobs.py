"""The example CI jobs' rpmkit commands, run as their shells run them, on a copy of hello-world."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from rpmkit.images import archive as image_archive
from tests.ci_examples import FANOUT, JOBS, rpmkit_commands
from tests.junit_xml import cases, problems
from tests.reports import read_junit, read_report

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"


def test_the_ci_job_commands_pass_and_leave_a_valid_junit_report(
    offline_images: dict[str, str], tmp_path: Path
) -> None:
    shutil.copytree(HELLO, tmp_path / "app", ignore=shutil.ignore_patterns("dist", "__pycache__"))
    env = {
        **os.environ,
        "APP": "app",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CI": "true",
    }
    commands = rpmkit_commands(JOBS[0])
    assert commands == rpmkit_commands(JOBS[1])
    outputs = []
    for command in commands:
        proc = subprocess.run(
            ["sh", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        outputs.append(proc)
        assert proc.returncode == 0, f"$ {command}\n{proc.stdout}\n{proc.stderr}"
    run, gate = outputs[1], outputs[2]
    report = tmp_path / "report.xml"
    assert problems(report) == []
    passes = [line for line in run.stdout.splitlines() if line.startswith(("PASS  ", "WARN  "))]
    assert len(cases(report)) == len(passes) > 5
    assert "offline" in gate.stdout + gate.stderr


SITE = Path(__file__).resolve().parents[2] / "examples" / "monorepo" / "docs-site"


def _monorepo(repo: Path) -> None:
    for name in ("alpha", "beta"):
        shutil.copytree(SITE, repo / name, ignore=shutil.ignore_patterns("dist"))
        config = repo / name / "rpmkit.toml"
        config.write_text(config.read_text().replace('"docs-site"', f'"{name}"'))
    git = ["git", "-C", str(repo), "-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "apps"], check=True)


def _sh(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["sh", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"$ {command}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_the_fanout_pipelines_run_their_shards_and_the_second_answers_from_the_caches(
    offline_images: dict[str, str], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    _monorepo(repo)
    env = {
        **os.environ,
        "APPS": ".",
        "SHARDS": "2",
        "RPMKIT_IMAGES": str(tmp_path / "images"),
        "XDG_CACHE_HOME": str(repo / ".rpmkit" / "cache"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CI": "true",
    }
    env.pop("RPMKIT_RECEIPT_KEY", None)

    # GitHub Actions: the plan job's matrix, then its jobs side by side, then the merge.
    for command in rpmkit_commands(FANOUT[0]):
        if "--shard " not in command:
            _sh(command, repo, env)
            continue
        jobs = json.loads((repo / "matrix.json").read_text())["include"]
        assert [j["apps"] for j in jobs] == ["alpha", "beta"]
        envs = [{**env, "SHARD": j["shard"], "SLUG": j["slug"]} for j in jobs]
        with ThreadPoolExecutor(len(jobs)) as pool:
            list(pool.map(_sh, [command] * len(jobs), [repo] * len(jobs), envs))
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == sorted(
        image_archive.file_name(tag) for tag in offline_images.values()
    )
    report = read_report(repo / "junit" / "rpmkit.json")
    assert [(a["name"], a["cached"]) for a in report["apps"]] == [("alpha", False), ("beta", False)]
    assert problems(repo / "junit" / "rpmkit.xml") == []
    assert list(read_junit(repo / "junit" / "rpmkit.xml")) == ["alpha", "beta"]

    # GitLab CI on the same caches: `parallel` shards (more than apps), every app cached.
    shutil.rmtree(repo / "reports")
    total = yaml.safe_load(FANOUT[1].read_text())["check"]["parallel"]
    for command in rpmkit_commands(FANOUT[1]):
        nodes = range(1, total + 1) if "--shard " in command else [0]
        for node in nodes:
            node_env = {**env, "CI_NODE_INDEX": str(node), "CI_NODE_TOTAL": str(total)}
            _sh(command, repo, node_env if node else env)
    report = read_report(repo / "junit" / "rpmkit.json")
    assert [(a["name"], a["cached"]) for a in report["apps"]] == [("alpha", True), ("beta", True)]
    assert list(read_junit(repo / "junit" / "rpmkit.xml")) == ["alpha", "beta"]

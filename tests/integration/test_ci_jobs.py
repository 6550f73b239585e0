"""The example CI jobs' rpmkit commands, run as their shells run them, on a copy of hello-world."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci_examples import JOBS, rpmkit_commands
from tests.junit_xml import cases, problems

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

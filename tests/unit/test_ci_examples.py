"""The example CI jobs for GitHub Actions and GitLab CI run the same rpmkit commands."""

from __future__ import annotations

from tests.ci_examples import JOBS, rpmkit_commands

COMMANDS = [
    "rpmkit images build --profile offline",
    'rpmkit run "$APP" --settle 5 --junit-xml report.xml',
    'rpmkit gate "$APP" --accept-profile offline',
]


def test_both_jobs_run_the_gate_commands_tests_run() -> None:
    # tests/integration/test_ci_jobs.py runs exactly these lines.
    for job in JOBS:
        assert rpmkit_commands(job) == COMMANDS, job


def test_both_jobs_keep_the_junit_report_even_when_the_gate_fails() -> None:
    github, gitlab = (job.read_text() for job in JOBS)
    assert "if: always()" in github
    assert "path: report.xml" in github
    assert "when: always" in gitlab
    assert "junit: report.xml" in gitlab

"""The example CI jobs for GitHub Actions and GitLab CI run the same rpmkit commands."""

from __future__ import annotations

import yaml

from tests.ci_examples import FANOUT, JOBS, rpmkit_commands

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


def test_both_fanout_pipelines_shard_merge_and_keep_the_caches() -> None:
    # tests/integration/test_ci_jobs.py runs these lines, each shard's once per shard.
    github, gitlab = (rpmkit_commands(job) for job in FANOUT)
    shared = [
        'rpmkit images load "$RPMKIT_IMAGES"',
        "rpmkit images build --profile offline",
        'rpmkit images save "$RPMKIT_IMAGES" --profile offline',
        'rpmkit images load "$RPMKIT_IMAGES"',
    ]
    merge = (
        "rpmkit report merge reports/*.json --junit-xml junit/rpmkit.xml --json junit/rpmkit.json"
    )
    run = 'rpmkit run --all "$APPS" --shard {} --profile offline --settle 5 --dist .rpmkit/dist'
    assert github == [
        'rpmkit matrix "$APPS" --shards "$SHARDS" > matrix.json',
        *shared,
        run.format('"$SHARD"') + ' --json "reports/$SLUG.json"',
        merge,
    ]
    assert gitlab == [
        *shared,
        run.format('"$CI_NODE_INDEX/$CI_NODE_TOTAL"')
        + ' --json "reports/shard-$CI_NODE_INDEX.json"',
        merge,
    ]


def test_the_fanout_pipelines_cache_images_and_checks_and_publish_the_junit_report() -> None:
    github, gitlab = (yaml.safe_load(job.read_text()) for job in FANOUT)
    check = github["jobs"]["check"]
    assert check["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    uses = [step.get("uses", "") for step in check["steps"]]
    assert uses.count("actions/cache/restore@v4") == 2  # images, check cache
    assert github["env"]["XDG_CACHE_HOME"].endswith("/.rpmkit/cache")
    report = github["jobs"]["report"]
    assert report["if"] == "always()"
    assert any("junit" in step.get("uses", "") for step in report["steps"])
    assert gitlab["variables"]["XDG_CACHE_HOME"].endswith("/.rpmkit/cache")
    assert [c["paths"] for c in gitlab["check"]["cache"]] == [[".rpmkit-images/"], [".rpmkit/"]]
    assert gitlab["report"]["artifacts"]["reports"]["junit"] == "junit/rpmkit.xml"
    assert gitlab["report"]["when"] == "always"

"""The team's yum repositories during the install, on real dnf, rpm and gpg.

An app RPM that requires another RPM found only in the team's repository
installs from it (served over HTTP by a container on the test's own network,
and as a file:// folder), with its signatures checked against the repository's
key; without the repository the install names the missing dependency; with
the wrong key it names the repository.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docker.errors import APIError

from rpmkit import labels
from rpmkit.install import repos
from rpmkit.verify import Expectations
from tests.integration import repo_helpers
from tests.integration.conftest import check_paths, rpmkit_cli

pytestmark = [pytest.mark.docker, pytest.mark.slow]

NO_PROBE = Expectations(probe=None)


@pytest.fixture
def team(team_repo: repo_helpers.TeamRepo) -> repo_helpers.TeamRepo:
    return team_repo


@pytest.fixture
def served(
    docker_client: Any, offline_images: dict[str, str], team: repo_helpers.TeamRepo
) -> Iterator[tuple[str, str]]:
    """The repository over HTTP from a container on a network of the test's: (network, url)."""
    run = labels.Run(labels.new_run_id(), "tests")
    network = docker_client.networks.create(f"rk-net-{run.id}", labels=run.labels())
    name = f"rk-repo-{run.id}"
    server = docker_client.containers.create(
        offline_images["runtime"],
        ["python3", "-m", "http.server", "8080", "--directory", "/srv"],
        name=name, network=network.name, labels=run.labels(),
    )  # fmt: skip
    try:
        import io
        import tarfile

        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(str(team.repo), arcname="srv")
        server.put_archive("/", buf.getvalue())
        server.start()
        ready = (
            "import urllib.request as u\n"
            "u.urlopen('http://127.0.0.1:8080/repodata/repomd.xml', timeout=1)\n"
        )
        for _ in range(100):
            if server.exec_run(["python3", "-c", ready])[0] == 0:
                break
            time.sleep(0.1)
        yield network.name, f"http://{name}:8080/"
    finally:
        server.remove(force=True)
        # The check's own teardown may still be detaching its instance from the network.
        for _ in range(75):
            try:
                network.remove()
                break
            except APIError:
                time.sleep(0.2)


def _check(engine: Any, runtime: str, rpms: tuple[Path, ...], found: tuple[Any, ...]) -> Any:
    return check_paths(engine, runtime, rpms, "rk-app", NO_PROBE, boot=False, repos=found).report


def _sources(report: Any) -> str:
    (line,) = [c for c in report.checks if c.id == "install.dependency-sources"]
    return str(line.detail)


def test_a_dependency_from_a_signed_file_repository_installs_with_what_it_recommends(
    engine: Any, offline_images: dict[str, str], team: repo_helpers.TeamRepo, tmp_path: Path
) -> None:
    found = repos.from_file(
        repo_helpers.repo_file(tmp_path / "team.repo", "team", team.repo.as_uri(), team.key)
    )
    outcome = check_paths(
        engine, offline_images["runtime"], (team.app, team.weak), "rk-app", NO_PROBE,
        repos=found, keep=True,
    )  # fmt: skip
    try:
        report = outcome.report
        assert report.ok, report.checks
        # rk-app's Requires and rk-weak's Recommends, each from the repository it came from.
        assert "rk-dep-1.0-1.noarch from team" in _sources(report)
        assert "rk-rec-1.0-1.noarch from team" in _sources(report)
        # The repository left before boot, with its copies: the instance has neither.
        container = engine.container(outcome.kept)
        left = container.exec(["sh", "-c", f"ls {repos.REPO_FILE} {repos.COPIES} 2>&1; true"])
        assert left.stdout.count("No such file") == 2, left.stdout
        # The signatures were checked: the key was imported into rpm's database.
        keys = container.exec(["rpm", "-q", "gpg-pubkey", "--qf", "%{SUMMARY}\n"])
        assert "team@example.com" in keys.stdout
    finally:
        engine.remove_run(engine.container(outcome.kept).labels[labels.RUN])


def test_a_dependency_served_over_http_on_the_tests_network_installs(
    team: repo_helpers.TeamRepo, served: tuple[str, str], tmp_path: Path
) -> None:
    network, url = served
    repo_file = repo_helpers.repo_file(tmp_path / "bake.repo", "team", url, team.key)
    rpm = tmp_path / team.app.name
    rpm.write_bytes(team.app.read_bytes())
    proc = rpmkit_cli(
        "check", str(rpm), "--profile", "offline", "--no-health", "--no-boot",
        "--repo-file", str(repo_file), "--network", network,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rk-dep-1.0-1.noarch from team" in proc.stdout
    receipt = json.loads((tmp_path / f"{rpm.name}.receipt.json").read_text())
    assert receipt["check"]["repositories"] == [f"team={url}"]


def test_without_the_repository_the_install_names_the_missing_dependency(
    engine: Any, offline_images: dict[str, str], team: repo_helpers.TeamRepo
) -> None:
    report = _check(engine, offline_images["runtime"], (team.app,), ())
    assert report.failed_stage == "install"
    (failed,) = [c for c in report.checks if not c.ok]
    assert "missing dependencies: rk-dep" in failed.detail


def test_a_wrong_key_fails_the_install_naming_the_repository(
    engine: Any, offline_images: dict[str, str], team: repo_helpers.TeamRepo, tmp_path: Path
) -> None:
    path = tmp_path / "team.repo"
    found = repos.from_file(
        repo_helpers.repo_file(path, "team", team.repo.as_uri(), team.other_key)
    )
    report = _check(engine, offline_images["runtime"], (team.app,), found)
    assert report.failed_stage == "install"
    (failed,) = [c for c in report.checks if not c.ok]
    assert f"repository team ({path} [team]): GPG check failed for rk-dep" in failed.detail


def test_an_unreachable_repository_fails_the_install_naming_it(
    engine: Any, offline_images: dict[str, str], team: repo_helpers.TeamRepo, tmp_path: Path
) -> None:
    path = repo_helpers.repo_file(tmp_path / "far.repo", "far", "http://rk-nowhere.invalid/", None)
    report = _check(engine, offline_images["runtime"], (team.app,), repos.from_file(path))
    assert report.failed_stage == "install"
    (failed,) = [c for c in report.checks if not c.ok]
    assert "repository far (" in failed.detail
    assert "could not be read at http://rk-nowhere.invalid/" in failed.detail

"""The Amazon Linux profiles run end to end on stand-in bases (tests/integration/stand_in_al.py).

`images build --profile al2023|al2 --base-image <stand-in>` runs the profiles'
own Dockerfiles (dnf, and yum through a logged shim), and full checks run on
the runtime images they make: hello-world on al2023, a SysV worker on al2,
and an install that pulls a dependency from the team's repository through
al2's yum command line. Images built on a stand-in base are marked so: their
receipts say so, and the gate refuses them.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rpmkit import labels
from tests.integration import repo_helpers, stand_in_al
from tests.integration.apps import SYSV_WORKER, rpmkit

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"
BUILT = re.compile(r"^(builder|runtime)\s+(\S+)\s+(built|up to date)$", re.M)


@pytest.fixture(scope="module")
def stand_ins(
    docker_client: Any, offline_images: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """Both stand-in bases and the profile images built on them from the mirror; all removed
    after. The mirror's variables stay set for the module's tests (the images' tags
    depend on them)."""
    made = stand_in_al.make(docker_client, offline_images, labels.new_run_id())
    mirror = tmp_path_factory.mktemp("mirror") / "al-mirror.repo"
    mirror.write_text(stand_in_al.MIRROR)
    built: dict[str, dict[str, str]] = {}
    patch = pytest.MonkeyPatch()
    try:
        # Without the mirror the base's own repository cannot be read: the build says so.
        failed = rpmkit("images", "build", "--profile", "al2023", "--base-image", made.al2023)
        assert failed.returncode == 1, _output(failed)
        assert "Failed to download metadata for repo 'amazonlinux'" in failed.stderr
        for name in ("RPMKIT_AL2023_REPO_FILE", "RPMKIT_AL2_REPO_FILE"):
            patch.setenv(name, str(mirror))
        for profile, base in (("al2023", made.al2023), ("al2", made.al2)):
            proc = rpmkit("images", "build", "--profile", profile, "--base-image", base)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            built[profile] = {role: tag for role, tag, _ in BUILT.findall(proc.stdout)}
            assert [s for *_, s in BUILT.findall(proc.stdout)] == ["built", "built"]
        yield made, built
    finally:
        patch.undo()
        for tags in built.values():
            for tag in tags.values():
                docker_client.images.remove(tag, force=True)
        for base in (made.al2, made.al2023):
            docker_client.images.remove(base, force=True)


def _run(docker_client: Any, image: str, script: str) -> str:
    out = docker_client.containers.run(
        image, ["sh", "-c", script], remove=True,
        labels=labels.Run(labels.new_run_id(), "tests").labels(),
    )  # fmt: skip
    return str(out.decode())


def _output(proc: Any) -> str:
    return f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def _gate_refuses_the_stand_in(rpm: Path) -> None:
    receipt = json.loads(Path(f"{rpm}.receipt.json").read_text())
    assert receipt["target"]["stand_in"] is True
    gate = rpmkit("gate", rpm)
    assert gate.returncode == 1, _output(gate)
    assert "built on a stand-in base" in gate.stderr


def test_al2023_images_install_the_profile_s_packages_with_dnf(
    docker_client: Any, stand_ins: Any
) -> None:
    made, built = stand_ins
    runtime = built["al2023"]["runtime"]
    names = " ".join(p for p in made.names if p in _runtime_packages("al2023"))
    out = _run(docker_client, runtime, f"rpm -q --qf '%{{NAME}} %{{RELEASE}}\\n' {names}")
    # Every package of the profile's runtime list came from the base's own repository.
    assert sorted(out.split()) == sorted(
        [*names.split(), *[stand_in_al.RELEASE] * len(names.split())]
    )
    # The package manager's caches were dropped from the layer ({{ clean }}).
    assert _run(docker_client, runtime, "ls /var/cache/dnf 2>&1; true").startswith("ls:")
    # The mirror replaced the base's own repositories, for the instances' installs too.
    repos = _run(docker_client, runtime, "cd /etc/yum.repos.d && ls *.repo && ls rpmkit-set-aside")
    assert repos.split() == ["rpmkit-mirror.repo", "amazonlinux.repo"]


def test_hello_world_passes_on_the_al2023_stand_in_and_the_gate_refuses_it(
    stand_ins: Any, tmp_path: Path
) -> None:
    made, _ = stand_ins
    app = tmp_path / "hello-world"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    build = rpmkit("build", app, "--profile", "offline")
    assert build.returncode == 0, _output(build)
    proc = rpmkit("check", app, "--profile", "al2023", "--base-image", made.al2023)
    assert proc.returncode == 0, _output(proc)
    assert "PASS  health" in proc.stdout
    assert "is not al2023's target system" in proc.stderr  # said once, as a warning
    (rpm,) = [p for p in (app / "dist").glob("hello-world-1.0.0-1*.rpm") if ".src." not in p.name]
    _gate_refuses_the_stand_in(rpm)


def test_al2_images_run_yum_in_the_dockerfile_s_order_and_mask_the_units(
    docker_client: Any, stand_ins: Any
) -> None:
    _, built = stand_ins
    runtime = built["al2"]["runtime"]
    log = _run(docker_client, runtime, f"cat {stand_in_al.LOG}").splitlines()
    packages = " ".join(_runtime_packages("al2"))
    assert log == [
        f"yum -y --setopt=skip_missing_names_on_install=False install {packages}",
        "yum clean all",
    ]
    masked = _run(
        docker_client, runtime,
        "systemctl is-enabled systemd-remount-fs.service getty.target console-getty.service"
        " 2>&1; true",
    )  # fmt: skip
    assert masked.split() == ["masked"] * 3


def test_a_sysv_worker_passes_on_the_al2_stand_in(stand_ins: Any, tmp_path: Path) -> None:
    made, _ = stand_ins
    app = tmp_path / "rk-al-worker"
    app.mkdir()
    (app / "rpmkit.toml").write_text(SYSV_WORKER)
    build = rpmkit("build", app, "--profile", "offline")
    assert build.returncode == 0, _output(build)
    proc = rpmkit("check", app, "--profile", "al2", "--base-image", made.al2, "--no-health")
    assert proc.returncode == 0, _output(proc)
    assert "PASS  verify    init script rk-al-worker started at boot" in proc.stdout


def test_a_dependency_from_the_team_s_repository_installs_through_al2_s_yum(
    stand_ins: Any, team_repo: repo_helpers.TeamRepo, tmp_path: Path
) -> None:
    made, _ = stand_ins
    repo_file = repo_helpers.repo_file(
        tmp_path / "bake.repo", "team", team_repo.repo.as_uri(), team_repo.key
    )
    rpm = tmp_path / team_repo.app.name
    rpm.write_bytes(team_repo.app.read_bytes())
    proc = rpmkit(
        "check", rpm, "--profile", "al2", "--base-image", made.al2, "--no-health", "--no-boot",
        "--repo-file", repo_file, "-v",
    )  # fmt: skip
    assert proc.returncode == 0, _output(proc)
    # yum's own record (repoquery's @REPO) says where the dependency came from.
    assert "rk-dep-1.0-1.noarch from team" in proc.stdout


def _runtime_packages(profile: str) -> list[str]:
    from rpmkit import profiles

    return list(profiles.get(profile).packages["runtime"])

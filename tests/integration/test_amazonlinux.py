"""The Amazon Linux profiles on their real base images, where those are present.

No registry is reachable from this project's CI, so these skip there (and on
any machine without the image); provide it with `docker pull amazonlinux:2023`
or `docker load -i FILE` and run `pytest -m amazonlinux`. hello-world's check
installs nginx from the image's own repositories, so it also needs them to be
reachable from the container; the SysV worker needs nothing beyond the image
(and, unlike hello-world, whose Flask needs Python 3.9, it runs on al2's 3.7).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from rpmkit import images, labels, profiles
from tests.integration.apps import SYSV_WORKER
from tests.integration.conftest import rpmkit_cli

pytestmark = [pytest.mark.docker, pytest.mark.amazonlinux, pytest.mark.slow]

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"


def _needs(engine: Any, image: str) -> None:
    if images.image_id(engine, image) is None:
        pytest.skip(f"needs {image} locally (docker pull {image} or docker load -i FILE)")


@pytest.fixture(scope="module", autouse=True)
def _al2023_present(engine: Any) -> None:
    _needs(engine, "amazonlinux:2023")


def _output(proc: Any) -> str:
    return f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def _sysv_hello(tmp_path: Path) -> Path:
    app = tmp_path / "hello-world"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    config = app / "rpmkit.toml"
    config.write_text(
        config.read_text().replace(
            'template = "python-web"\n', 'template = "python-web"\ninit = "sysv"\n'
        )
    )
    return app


def _worker(tmp_path: Path) -> Path:
    app = tmp_path / "rk-al-worker"
    app.mkdir()
    (app / "rpmkit.toml").write_text(SYSV_WORKER)
    return app


def test_al2023_images_build_and_are_up_to_date_after() -> None:
    first = rpmkit_cli("images", "build", "--profile", "al2023", timeout=1800)
    assert first.returncode == 0, _output(first)
    second = rpmkit_cli("images", "build", "--profile", "al2023")
    assert second.returncode == 0, _output(second)
    assert second.stdout.count("up to date") == 2, second.stdout


def test_al2023_runtime_has_what_the_ami_has(engine: Any, docker_client: Any) -> None:
    runtime = images.ensure(engine, profiles.get("al2023"), _quiet()).runtime.tag
    out = docker_client.containers.run(
        runtime,
        ["sh", "-c", "rpm -q systemd shadow-utils chkconfig initscripts procps-ng && "
         "test -x /usr/lib/systemd/systemd && ! rpm -q nginx"],
        remove=True,
        labels=labels.Run(labels.new_run_id(), "tests").labels(),
    )  # fmt: skip
    assert b"not installed" in out  # nginx: the app brings it


def test_sysv_worker_passes_on_al2023(tmp_path: Path) -> None:
    proc = rpmkit_cli("run", str(_worker(tmp_path)), "--profile", "al2023", "--no-health")
    assert proc.returncode == 0, _output(proc)
    assert "PASS  verify    init script rk-al-worker on for runlevel 3" in proc.stdout
    assert "PASS  verify    init script rk-al-worker started at boot" in proc.stdout


def test_hello_world_passes_on_al2023(tmp_path: Path) -> None:
    proc = rpmkit_cli("run", str(HELLO), "--profile", "al2023", "--dist", str(tmp_path))
    assert proc.returncode == 0, _output(proc)
    assert "PASS: hello-world-1.0.0-1." in proc.stdout


def test_sysv_hello_world_passes_on_al2023(tmp_path: Path) -> None:
    app = _sysv_hello(tmp_path)
    proc = rpmkit_cli("run", str(app), "--profile", "al2023", "--dist", str(tmp_path / "dist"))
    assert proc.returncode == 0, _output(proc)
    assert "PASS  verify    init script hello-world started at boot" in proc.stdout


def test_sysv_worker_passes_on_al2(engine: Any, tmp_path: Path) -> None:
    _needs(engine, "amazonlinux:2")
    limit = profiles.boot_limit(profiles.get("al2"))
    if limit:
        pytest.skip(limit)
    proc = rpmkit_cli("run", str(_worker(tmp_path)), "--profile", "al2", "--no-health")
    assert proc.returncode == 0, _output(proc)
    assert "PASS  verify    init script rk-al-worker started at boot" in proc.stdout


def test_base_image_override_builds_on_a_local_copy(docker_client: Any) -> None:
    hardened = "rpmkit-test/al2023:hardened"
    docker_client.images.get("amazonlinux:2023").tag(hardened)
    try:
        proc = rpmkit_cli(
            "images", "build", "--profile", "al2023", "--base-image", hardened, timeout=1800
        )
        assert proc.returncode == 0, _output(proc)
        assert "rpmkit/al2023-runtime:" in proc.stdout
    finally:
        docker_client.images.remove(hardened)


def _quiet() -> Any:
    from rpmkit.progress import Reporter

    return Reporter(verbosity=-1)

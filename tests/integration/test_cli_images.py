"""`rpmkit images build` is content-addressed and `rpmkit doctor` reports a ready machine."""

from __future__ import annotations

import io
import secrets
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import rpmkit_cli

pytestmark = pytest.mark.docker


def test_second_images_build_rebuilds_nothing(
    offline_images: dict[str, str], docker_client: Any
) -> None:
    before = {role: docker_client.images.get(tag).id for role, tag in offline_images.items()}
    started = time.monotonic()
    proc = rpmkit_cli("images", "build", "--profile", "offline")
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("up to date") == 2, proc.stdout
    assert "building" not in proc.stderr
    assert "mmdebstrap" not in proc.stderr
    after = {role: docker_client.images.get(tag).id for role, tag in offline_images.items()}
    assert before == after
    print(f"warm `rpmkit images build`: {elapsed:.2f}s")


def test_doctor_with_the_engine_up(offline_images: dict[str, str]) -> None:
    proc = rpmkit_cli("doctor", "--profile", "offline")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "engine: Docker " in proc.stdout
    assert f"{offline_images['runtime']} up to date" in proc.stdout
    assert "FAIL" not in proc.stdout


def test_images_list_shows_cached_images(offline_images: dict[str, str]) -> None:
    proc = rpmkit_cli("images", "list")
    assert proc.returncode == 0, proc.stderr
    for tag in offline_images.values():
        assert tag in proc.stdout


def test_prune_keep_current_removes_leftovers_and_stale_caches(
    offline_images: dict[str, str], docker_client: Any
) -> None:
    import contextlib
    import io

    from docker import errors as docker_errors

    from rpmkit import labels

    docker_client.images.build(
        fileobj=io.BytesIO(b"FROM scratch\nLABEL rpmkit.cache=image rpmkit.profile=offline\n"),
        tag="rpmkit/offline-runtime:000000stale0",
        rm=True,
    )
    # A run whose process died without cleaning up, an instance such a run kept
    # (`--keep`), and a run still in progress.
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead_owner = f"{labels.owner().split(':')[0]}:{gone.pid}"
    crashed = {**labels.Run("prunetest", "tests").labels(), labels.OWNER: dead_owner}
    kept = {**labels.Run("prunekept", "tests", keep=True).labels(), labels.OWNER: dead_owner}
    runtime = offline_images["runtime"]
    leftover = docker_client.containers.create(runtime, ["true"], labels=crashed)
    kept_instance = docker_client.containers.create(runtime, ["true"], labels=kept)
    live = docker_client.containers.create(
        runtime, ["true"], labels=labels.Run("prunelive", "tests").labels()
    )
    try:
        proc = rpmkit_cli("images", "prune", "--keep-current")
        assert proc.returncode == 0, proc.stderr
        # Another rpmkit on this engine reaps a dead run's objects when it starts, so
        # the crashed run's container may be gone before prune lists it; gone it must be.
        # Reaping spares kept instances: prune is what removes that one.
        assert f"container {kept_instance.name}" in proc.stdout
        assert "rpmkit/offline-runtime:000000stale0" in proc.stdout
        for run in ("prunetest", "prunekept"):
            selector = {"label": f"rpmkit.run={run}"}
            assert docker_client.containers.list(all=True, filters=selector) == []
        assert f"container {live.name}" not in proc.stdout
        live.reload()  # still there: NotFound otherwise
    finally:
        for container in (leftover, kept_instance, live):
            with contextlib.suppress(docker_errors.NotFound):
                container.remove(force=True)
    assert not any(
        "rpmkit/offline-runtime:000000stale0" in image.tags for image in docker_client.images.list()
    )
    for tag in offline_images.values():
        assert docker_client.images.get(tag) is not None  # the current images stay


def test_images_build_without_the_amazon_linux_base_exits_2_with_a_hint(engine: Any) -> None:
    from rpmkit import images

    if images.image_id(engine, "amazonlinux:2023") is not None:
        pytest.skip("amazonlinux:2023 is present here: nothing to hint")
    proc = rpmkit_cli("images", "build", "--profile", "al2023")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("error: base image amazonlinux:2023 for profile al2023 is not present")
    for way in ("`docker pull amazonlinux:2023`", "`docker load -i FILE`", "--base-image NAME"):
        assert way in line


def test_images_save_and_load_round_trip_a_content_addressed_tag(
    docker_client: Any, tmp_path: Path
) -> None:
    from rpmkit import engine, labels
    from rpmkit.images import archive as image_archive

    rootfs = tmp_path / "rootfs.tar"
    with tarfile.open(rootfs, "w") as tar:
        info = tarfile.TarInfo("etc/marker")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    tag = f"rpmkit-test/archive:{secrets.token_hex(6)}"
    client = engine.connect()
    client.import_rootfs(str(rootfs), tag, labels.Run(labels.new_run_id(), "tests").labels())
    try:
        saved, _ = image_archive.save(client, [tag], tmp_path / "cache")
        assert [o.status for o in saved] == ["saved"]
        image_id = client.image_id(tag)
        assert client.remove_image(tag)
        assert client.image_id(tag) is None
        loaded = image_archive.load(client, tmp_path / "cache")
        assert [(o.tag, o.status) for o in loaded] == [(tag, "loaded")]
        assert client.image_id(tag) == image_id  # the same image, not a rebuilt one
        proc = rpmkit_cli("images", "load", str(tmp_path / "cache"))
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.split() == ["present", tag]
    finally:
        docker_client.images.remove(tag, force=True)

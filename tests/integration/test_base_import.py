"""`rpmkit images import`: a root filesystem tarball becomes a base image only with its digest."""

from __future__ import annotations

import hashlib
import io
import lzma
import tarfile
from pathlib import Path
from typing import Any

import pytest

from rpmkit import labels
from rpmkit.images import base_import
from tests.integration.conftest import rpmkit_cli

pytestmark = pytest.mark.docker

OS_RELEASE = b'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nVERSION_ID="2023"\n'


def _tarball(path: Path) -> str:
    """A tiny root filesystem (just its os-release), xz-compressed; returns its sha256."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("etc/os-release", OS_RELEASE), ("etc/system-release", b"AL\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(lzma.compress(buf.getvalue()))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_import_with_the_right_digest_and_never_with_a_wrong_one(
    engine: Any, tmp_path: Path
) -> None:
    tarball = tmp_path / "al2023-container-test.tar.xz"
    digest = _tarball(tarball)
    tag = f"rpmkit-test/al2023-import:{labels.new_run_id()}"
    wrong = "0" * 64
    refused = rpmkit_cli(
        "images", "import", str(tarball), "--profile", "al2023", "--sha256", wrong, "--tag", tag
    )
    assert refused.returncode == 2, refused.stderr
    said = [line for line in refused.stderr.splitlines() if not line.startswith("[")]
    assert said == [
        f"error: {tarball}: sha256 is {digest}, not the expected {wrong}: nothing imported"
    ]
    assert engine.image_id(tag) is None
    try:
        done = rpmkit_cli(
            "images", "import", str(tarball), "--profile", "al2023", "--sha256",
            digest.upper(), "--tag", tag,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == (
            f"imported {tarball.name} as {tag} (sha256 {digest}, verified)"
        )
        assert "stand in" not in done.stderr  # its os-release says Amazon Linux 2023
        image = engine.images(repository=tag.split(":")[0])
        assert [i.labels[base_import.SHA256] for i in image] == [digest]
    finally:
        if engine.image_id(tag):
            engine.remove_image(tag)

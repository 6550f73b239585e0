"""`rpmkit init` on hello-world without its rpmkit.toml writes a config `rpmkit run` passes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.integration.conftest import rpmkit_cli

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello-world"


def test_init_then_run_passes(offline_images: dict[str, str], tmp_path: Path) -> None:
    app = tmp_path / "hello-world"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    (app / "rpmkit.toml").unlink()

    made = rpmkit_cli("init", str(app))  # no terminal: asks nothing
    assert made.returncode == 0, made.stderr
    assert (
        made.stdout.strip() == f"wrote {app / 'rpmkit.toml'} (python-web); next: rpmkit run {app}"
    )
    assert "gunicorn --bind 127.0.0.1:8000 app:app" in (app / "rpmkit.toml").read_text()

    proc = rpmkit_cli("run", str(app), "--profile", "offline")
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    for stage, name in [
        ("verify", "unit hello-world.service active"),
        ("verify", "port 8000 listening"),
        ("verify", "port 80 listening"),
        ("health", "health check"),
    ]:
        assert re.search(rf"^PASS\s+{stage}\s+{re.escape(name)}", proc.stdout, re.M), proc.stdout
    assert re.search(r"^PASS: hello-world-0\.1\.0-1\.\S+ on offline$", proc.stdout, re.M)

    again = rpmkit_cli("init", str(app))
    assert again.returncode == 2
    assert "already configures this app; pass --force to replace it" in again.stderr

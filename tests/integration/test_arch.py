"""Architecture from the payload, end to end: pure-Python apps noarch, compiled wheels x86_64."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rpmkit import labels
from rpmkit.build.arch import machine_arch
from tests.integration.apps import BOTTLE, WSGI, config, rpmkit, shown, write

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def rpm_query(client: Any, image: str, rpm: Path, *args: str) -> str:
    """`rpm -qp ARGS` of a built RPM, in the builder, with no network."""
    out = client.containers.run(
        image,
        ["rpm", "-qp", *args, f"/rpms/{rpm.name}"],
        volumes={str(rpm.parent): {"bind": "/rpms", "mode": "ro"}},
        labels=labels.Run(labels.new_run_id(), "tests").labels(),
        network_disabled=True,
        remove=True,
    )
    return str(out.decode())


def test_pure_python_app_builds_noarch_ships_no_droppings_and_passes(
    docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = write(
        tmp_path / "purewsgi",
        {
            "rpmkit.toml": config("purewsgi", "gunicorn --bind 127.0.0.1:8000 app:application"),
            "requirements.txt": "gunicorn==23.0.0\n",
            "app.py": WSGI,
            ".gitignore": "*.log\n",
            ".gitattributes": "* text=auto\n",
            ".env": "SECRET_KEY=not-for-the-rpm\n",
            ".DS_Store": "\0\0",
            "app.py~": "old\n",
            ".app.py.swp": "swap\n",
            "server.log": "ignored by .gitignore\n",
        },
    )
    proc = rpmkit("run", app, "--profile", "offline")
    assert proc.returncode == 0, shown(proc)
    assert "architecture noarch: no file in the payload is compiled code" in proc.stderr
    withheld = [line for line in proc.stderr.splitlines() if "may hold secrets" in line]
    assert len(withheld) == 1
    assert withheld[0].endswith(
        "warning: left out of the source tarball as they may hold secrets: .env "
        "(list them in `include` to ship them)"
    )
    rpm = app / "dist" / "purewsgi-1.0-1.noarch.rpm"
    assert rpm.is_file(), sorted(p.name for p in (app / "dist").iterdir())
    assert (
        rpm_query(docker_client, offline_images["builder"], rpm, "--qf", "%{ARCH}\n").strip()
        == "noarch"
    )
    files = rpm_query(docker_client, offline_images["builder"], rpm, "-l").split()
    shipped = sorted(f for f in files if f.startswith("/opt/purewsgi/app/"))
    assert shipped == [
        "/opt/purewsgi/app/__pycache__",
        "/opt/purewsgi/app/__pycache__/app.cpython-311.pyc",
        "/opt/purewsgi/app/app.py",
        "/opt/purewsgi/app/requirements.txt",
        "/opt/purewsgi/app/rpmkit.toml",
    ]
    assert "/opt/purewsgi/venv/bin/gunicorn" in files


def test_an_app_pulling_a_compiled_wheel_builds_for_this_machine(
    docker_client: Any, offline_images: dict[str, str], tmp_path: Path
) -> None:
    app = write(
        tmp_path / "speedups",
        {
            "rpmkit.toml": config("speedups", "gunicorn --bind 127.0.0.1:8000 app:app"),
            # bottle.py is a mode-644 module with a shebang: rpmlint's non-executable-script.
            "requirements.txt": "bottle==0.13.4\ngunicorn==23.0.0\nmarkupsafe==3.0.3\n",
            "app.py": BOTTLE,
        },
    )
    proc = rpmkit("run", app, "--profile", "offline")
    assert proc.returncode == 0, shown(proc)
    machine = machine_arch()
    assert f"architecture {machine}: the payload holds compiled code (markupsafe-3.0.3-" in (
        proc.stderr
    )
    (rpm,) = (app / "dist").glob(f"speedups-1.0-1.{machine}.rpm")
    assert (
        rpm_query(docker_client, offline_images["builder"], rpm, "--qf", "%{ARCH}\n").strip()
        == machine
    )
    # The third-party finding is accepted, and shown with its reason: never hidden.
    accepted = [line for line in proc.stderr.splitlines() if "non-executable-script" in line]
    assert len(accepted) == 1
    assert "/opt/speedups/venv/lib/python3.11/site-packages/bottle.py" in accepted[0]
    assert "it is imported, never run" in accepted[0]
    log = (app / "dist" / "speedups-1.0-1.build.log").read_text()
    assert "# rpmlint: 1 finding(s) accepted, each with its rule" in log
    assert "E: non-executable-script /opt/speedups/venv/lib/python3.11/site-packages/bottle.py" in (
        log
    )

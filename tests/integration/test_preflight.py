"""Config checks that belong to config: caught by `rpmkit build` and `spec` before any container."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.apps import STDLIB, config, errors, rpmkit, shown, write

pytestmark = [pytest.mark.docker]

FILES = """
[[files]]
source = "deploy/nginx/upstream.conf"
dest = "/etc/nginx/conf.d/upstream.conf"
config = true
"""


@pytest.mark.parametrize("command", ["build", "spec"])
def test_a_files_source_left_out_of_the_tarball_is_exit_2_naming_the_key(
    tmp_path: Path, command: str
) -> None:
    text = config("exclsrc", "python3 app.py", 'exclude = ["deploy/"]', requirements=False)
    app = write(
        tmp_path / "exclsrc",
        {
            "rpmkit.toml": text + FILES,
            "app.py": STDLIB,
            "deploy/nginx/upstream.conf": "upstream app { server 127.0.0.1:8000; }\n",
        },
    )
    proc = rpmkit(command, app, "--profile", "offline")
    assert proc.returncode == 2, shown(proc)
    assert errors(proc.stderr) == [
        f"error: {app / 'rpmkit.toml'}: files[0].source: 'deploy/nginx/upstream.conf' is not in "
        "the source tarball, so %install cannot install it: exclude pattern 'deploy/' leaves it out"
    ]
    assert "building" not in proc.stderr
    assert not (app / "dist").exists()  # nothing made, nothing left behind


def test_a_shipped_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path / "home", {"settings.py": "DEBUG = False\n"}) / "settings.py"
    app = write(
        tmp_path / "linked",
        {"rpmkit.toml": config("linked", "python3 app.py", requirements=False), "app.py": STDLIB},
    )
    (app / "settings.py").symlink_to(outside)
    proc = rpmkit("build", app, "--profile", "offline")
    assert proc.returncode == 2, shown(proc)
    (line,) = errors(proc.stderr)
    assert f"settings.py is a symlink to {outside}, outside the repository ({app})" in line
    assert not list(app.rglob("*.rpm"))

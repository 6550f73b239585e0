"""Config against folder, before any container: [[files]] left out, symlinks out of the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

from rpmkit import config
from rpmkit.build import preflight
from rpmkit.errors import ConfigError

CONFIG = """\
name = "web"
version = "1.0"
summary = "Web"
license = "MIT"
template = "python-web"
requirements = "requirements.txt"
exclude = ["nginx/"]

[[services]]
command = "python3 app.py"
port = 8000

[[files]]
source = "conf/web.conf"
dest = "/etc/web/web.conf"

[[files]]
source = "nginx/web.conf"
dest = "/etc/nginx/conf.d/web.conf"

[[files]]
source = "tls/web.key"
dest = "/etc/web/web.key"
mode = "0640"
"""


def app(root: Path, text: str = CONFIG) -> Path:
    for rel in ("app.py", "requirements.txt", "conf/web.conf", "nginx/web.conf", "tls/web.key"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x\n")
    (root / "rpmkit.toml").write_text(text)
    return root


def test_files_the_tarball_leaves_out_are_named_with_their_key(tmp_path: Path) -> None:
    loaded = config.load(app(tmp_path))
    with pytest.raises(ConfigError) as info:
        preflight.check(loaded)
    lines = info.value.message.splitlines()
    assert lines == [
        f"{loaded.source}: files[1].source: 'nginx/web.conf' is not in the source tarball, so "
        "%install cannot install it: exclude pattern 'nginx/' leaves it out",
        f"{loaded.source}: files[2].source: 'tls/web.key' is not in the source tarball, so "
        "%install cannot install it: it may hold secrets, so rpmkit leaves it out unless "
        "`include` names it",
    ]
    assert info.value.exit_code == 2


def test_include_and_a_narrower_exclude_make_it_pass(tmp_path: Path) -> None:
    text = CONFIG.replace('exclude = ["nginx/"]', 'exclude = ["nginx/*.bak"]\ninclude = ["tls/"]')
    preflight.check(config.load(app(tmp_path, text)))


def test_a_hand_written_spec_installs_its_own_files(tmp_path: Path) -> None:
    text = CONFIG.replace('template = "python-web"', 'spec = "web.spec"')
    root = app(tmp_path, text)
    (root / "web.spec").write_text("Name: web\n")
    preflight.check(config.load(root))

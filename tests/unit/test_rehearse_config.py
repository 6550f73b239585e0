"""`[rehearse]`: defaults, overrides and every invalid value named."""

from __future__ import annotations

from pathlib import Path

import pytest

from rpmkit import config
from rpmkit.errors import ConfigError

APP = """\
name = "shop"
version = "1.0"
summary = "A shop"
license = "MIT"
template = "python-web"

[[services]]
command = "gunicorn app:app"
port = 8000
"""


def load(tmp_path: Path, extra: str = "") -> config.AppConfig:
    (tmp_path / "rpmkit.toml").write_text(APP + extra)
    return config.load(tmp_path).app


def test_defaults(tmp_path: Path) -> None:
    r = load(tmp_path).rehearse
    assert (r.instances, r.requests_per_second, r.clients) == (2, 50, 4)
    assert (r.steady_seconds, r.after_seconds, r.error_budget) == (10.0, 5.0, 0)
    assert (r.path, r.check_interval, r.disposable) == ("/", 0.2, [])


def test_a_section_sets_them(tmp_path: Path) -> None:
    r = load(
        tmp_path,
        '[rehearse]\ninstances = 3\nrequests_per_second = 80\nclients = 8\npath = "/api"\n'
        "steady_seconds = 20\nerror_budget = 2\n"
        'disposable = ["/opt/shop/spool", "/srv/*/thumbs", "/**/.cache"]\n',
    ).rehearse
    assert (r.instances, r.requests_per_second, r.clients, r.path) == (3, 80, 8, "/api")
    assert (r.steady_seconds, r.error_budget) == (20.0, 2)
    assert r.disposable == ["/opt/shop/spool", "/srv/*/thumbs", "/**/.cache"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("instances = 0", "rehearse.instances: Input should be greater than or equal to 1"),
        ("clients = 65", "rehearse.clients: Input should be less than or equal to 64"),
        ("error_budget = -1", "rehearse.error_budget: Input should be greater than or equal to 0"),
        ('steady_seconds = "10"', "rehearse.steady_seconds: Input should be a valid number"),
        ("requests = 5", "rehearse.requests: unknown field"),
        ('disposable = ["opt/shop"]', "rehearse.disposable[0]: 'opt/shop' must be an absolute"),
        ('disposable = ["/opt/../etc"]', "must not contain '.' or '..' components"),
        ('disposable = ["/opt/a**"]', "** must be a whole path component"),
        ('disposable = ["/**"]', "would make every path disposable"),
        ('disposable = ["/opt/$(x)"]', "must be an absolute path of letters"),
    ],
)
def test_invalid_values_are_named(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, f"[rehearse]\n{line}\n")
    assert message in raised.value.message
    assert str(tmp_path / "rpmkit.toml") in raised.value.message

"""Builds are not repeated: each input of the source digest changes it; only untouched
outputs of the same digest are reused."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from rpmkit import config, profiles
from rpmkit.build import reuse, spec
from rpmkit.build.rpmbuild import Rpm, log_name

OFFLINE = profiles.get("offline")


@pytest.fixture
def app(tmp_path: Path) -> Path:
    folder = tmp_path / "repo" / "web"
    (folder / "static").mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    (folder / "rpmkit.toml").write_text(
        'name = "web"\nversion = "1.0.0"\nsummary = "Web"\nlicense = "MIT"\n'
        'template = "python-web"\n'
        'requirements = "requirements.txt"\nexclude = ["notes/"]\n\n[[services]]\n'
        'command = "gunicorn --bind 127.0.0.1:8080 app:app"\nport = 8080\n'
    )
    (folder / "requirements.txt").write_text("requests==2.31.0\n")
    (folder / "app.py").write_text("print('hi')\n")
    (folder / "static" / "index.html").write_text("<p>hi</p>\n")
    (folder / ".gitignore").write_text("*.log\n")
    return folder


def digest(app: Path, **inputs: object) -> str | None:
    loaded = config.load(app)
    fields: dict[str, object] = {
        "builder": "rpmkit/offline-builder:abc", "epoch": 315532800, "dist": app / "dist",
        "defines": {},
    }  # fmt: skip
    fields.update(inputs)
    return reuse.digest(loaded, spec.render(loaded), OFFLINE, reuse.Inputs(**fields))  # type: ignore[arg-type]


def _write(path: Path, text: str) -> dict[str, object]:
    path.write_text(text)
    return {}


def _config(a: Path) -> dict[str, object]:
    return _write(a / "rpmkit.toml", (a / "rpmkit.toml").read_text().replace("8080", "8081"))


def _included(a: Path) -> dict[str, object]:
    _write(a / "more.txt", "idna==3.7\n")
    return _write(a / "requirements.txt", "requests==2.31.0\n-r more.txt\n")


def _mode(a: Path) -> dict[str, object]:
    os.chmod(a / "app.py", 0o755)
    return {}


CHANGES: dict[str, Callable[[Path], dict[str, object]]] = {
    "a shipped file's content": lambda a: _write(a / "app.py", "print('bye')\n"),
    "a new shipped file": lambda a: _write(a / "static" / "new.css", "p{}"),
    "a file's mode": _mode,
    "the config": _config,
    "the requirements": lambda a: _write(a / "requirements.txt", "requests==2.32.0\n"),
    "an included requirements file": _included,
    "the builder image's tag": lambda a: {"builder": "rpmkit/offline-builder:def"},
    "SOURCE_DATE_EPOCH": lambda a: {"epoch": 315532801},
    "a --define": lambda a: {"defines": {"with_tests": "1"}},
    "the index": lambda a: {"index_url": "https://pypi.example.com/simple"},
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_input_changes_the_digest(app: Path, change: str) -> None:
    before = digest(app)
    extra = CHANGES[change](app)
    assert before is not None
    assert digest(app, **extra) != before


def test_what_does_not_ship_does_not_change_it(app: Path) -> None:
    before = digest(app)
    (app / "notes").mkdir()
    (app / "notes" / "todo.txt").write_text("later\n")  # excluded by the config
    (app / "debug.log").write_text("x\n")  # ignored by .gitignore
    (app / "dist").mkdir()
    (app / "dist" / "web-1.0.0-1.noarch.rpm").write_bytes(b"rpm")  # the output folder
    (app / "__pycache__").mkdir()
    (app / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    assert digest(app) == before


def test_credentials_in_the_index_url_are_not_part_of_it(app: Path) -> None:
    plain = digest(app, index_url="https://pypi.example.com/simple")
    assert digest(app, index_url="https://u:secret@pypi.example.com/simple") == plain


def test_the_wheels_of_a_wheelhouse_are_part_of_it(app: Path, tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "requests-2.31.0-py3-none-any.whl").write_bytes(b"one")
    before = digest(app, wheelhouse=wheels)
    (wheels / "requests-2.31.0-py3-none-any.whl").write_bytes(b"two")
    assert digest(app, wheelhouse=wheels) != before


def test_local_projects_in_the_requirements_mean_building_again(app: Path) -> None:
    lib = app.parent / "lib"
    lib.mkdir()
    (lib / "pyproject.toml").write_text('[project]\nname = "lib"\nversion = "1"\n')
    (app / "requirements.txt").write_text("../lib\n")
    assert digest(app) is None


def built(dist: Path) -> Rpm:
    dist.mkdir(parents=True, exist_ok=True)
    files = {
        "web-1.0.0-1.noarch.rpm": b"rpm", "web-docs-1.0.0-1.noarch.rpm": b"docs",
        "web-1.0.0-1.src.rpm": b"srpm", log_name("web", "1.0.0", "1"): b"log",
    }  # fmt: skip
    for name, data in files.items():
        (dist / name).write_bytes(data)
    from rpmkit.rpm import sha256_file

    return Rpm(
        "web", "1.0.0", "1", dist / "web-1.0.0-1.noarch.rpm",
        sha256_file(dist / "web-1.0.0-1.noarch.rpm"), dist / "web-1.0.0-1.src.rpm",
        dist / log_name("web", "1.0.0", "1"), "offline",
        (dist / "web-docs-1.0.0-1.noarch.rpm",), arch="noarch",
    )  # fmt: skip


def test_the_recorded_build_is_reused_only_for_its_digest_and_untouched_files(
    tmp_path: Path,
) -> None:
    dist = tmp_path / "dist"
    rpm = built(dist)
    reuse.record(rpm, "d1", dist, "web")
    assert reuse.reusable("d1", dist, "web") == rpm
    assert reuse.reusable("d2", dist, "web") is None
    assert reuse.reusable("d1", dist, "other") is None
    for name in [p.name for p in (*rpm.paths, rpm.srpm, rpm.log)]:
        original = (dist / name).read_bytes()
        (dist / name).write_bytes(original + b"edited")
        assert reuse.reusable("d1", dist, "web") is None, name
        (dist / name).unlink()
        assert reuse.reusable("d1", dist, "web") is None, name
        (dist / name).write_bytes(original)
    assert reuse.reusable("d1", dist, "web") == rpm
    reuse.forget(dist, "web")
    assert reuse.reusable("d1", dist, "web") is None


def test_a_record_naming_files_outside_dist_is_not_trusted(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    rpm = built(dist)
    reuse.record(dataclasses.replace(rpm, subpackages=()), "d1", dist, "web")
    path = reuse.record_path(dist, "web")
    path.write_text(path.read_text().replace('"web-1.0.0-1.src.rpm"', '"../x.src.rpm"'))
    assert reuse.reusable("d1", dist, "web") is None
    path.write_text("{not json")
    assert reuse.reusable("d1", dist, "web") is None

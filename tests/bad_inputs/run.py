"""Running one case in-process, in its own folder, with no engine to reach."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rpmkit import cli
from tests.bad_inputs.case import Case, Outcome
from tests.bad_inputs.config import BASE_CONFIG


class ReachedTheEngine(Exception):
    """A case got as far as asking for the Docker engine: it was not refused early."""


def workspace(root: Path, case: Case) -> dict[str, str]:
    """The case's repository: a git work tree with a valid app; returns the placeholders."""
    repo = root / "repo"
    app = repo / "app"
    (repo / ".git").mkdir(parents=True)
    (app / "conf").mkdir(parents=True)
    (app / "public").mkdir()
    (app / "conf/app.ini").write_text("[app]\n")
    (app / "conf/team.asc").write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\n")
    (app / "conf/bake.repo").write_text("[bake]\nbaseurl=https://repo.example.com/bake\n")
    (app / "requirements.txt").write_text("")
    (app / "app.py").write_text("print('hello')\n")
    (app / "catalogue.spec").write_text("Name: catalogue\n")
    (app / "dist").mkdir()
    (app / "dist/catalogue-0.9.0-1.noarch.rpm").write_bytes(b"\xed\xab\xee\xdb not an RPM")
    (root / "home").mkdir()
    outside = root / "outside"
    outside.mkdir()
    (outside / "host.txt").write_text("host-only\n")
    config = case.config if case.config is not None else BASE_CONFIG
    (app / "rpmkit.toml").write_text(to_toml(config))
    if case.link:
        (app / case.link).symlink_to(outside / "host.txt")
    return {"{app}": str(app), "{repo}": str(repo), "{outside}": str(outside)}


def _snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def run_case(case: Case, root: Path) -> Outcome:
    """Run one case in-process through the console entry point, in its own folder under `root`."""
    places = workspace(root, case)
    argv = []
    for arg in case.argv:
        for key, value in places.items():
            arg = arg.replace(key, value)
        argv.append(arg)
    before = _snapshot(root)
    # Text streams over bytes, as a terminal's or a pipe's are (click may write to .buffer).
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    code = 0
    with _sealed(root), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli.main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    left = sorted(_snapshot(root) - before)
    return Outcome(code, _text(out), _text(err), left)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8", "replace")


@contextlib.contextmanager
def _sealed(root: Path) -> Iterator[None]:
    """No engine, the case's own home, cache and working folder."""
    from rpmkit import engine

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ReachedTheEngine("the case reached the Docker engine")

    saved = dict(os.environ)
    cwd = os.getcwd()
    connect = engine.connect
    engine.connect = refuse  # type: ignore[assignment]
    home = root / "home"
    os.environ.update({"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "NO_COLOR": "1"})
    os.environ.pop("DOCKER_HOST", None)
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(cwd)
        engine.connect = connect  # type: ignore[assignment]
        os.environ.clear()
        os.environ.update(saved)


def to_toml(data: dict[str, Any]) -> str:
    """A TOML document for `data` (tables, lists, strings, numbers, booleans)."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in data.items())


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are TOML's (\u0000 included)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))

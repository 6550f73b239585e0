"""--json and --junit-xml: written whatever the outcome, atomically, `-` for stdout."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rpmkit.commands.reporting import STDOUT, Reports, write_atomic
from rpmkit.errors import ConfigError
from tests.junit_xml import cases, problems


def rpmkit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITLAB_CI")}
    return subprocess.run(
        [sys.executable, "-m", "rpmkit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**env, "NO_COLOR": "1"},
    )


def test_a_write_creates_the_folders_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "sub" / "out.xml"
    write_atomic(target, b"<a/>")
    write_atomic(target, b"<b/>")
    assert target.read_bytes() == b"<b/>"
    assert os.listdir(target.parent) == ["out.xml"]
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)  # readable like any output


def _read_fifo(fifo: Path, got: list[bytes]) -> threading.Thread:
    def read() -> None:
        with fifo.open("rb") as fh:
            got.append(fh.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_a_fifo_is_written_through_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _read_fifo(fifo, got)
    write_atomic(fifo, b"<report/>")
    reader.join(10)
    assert got == [b"<report/>"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


def test_a_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "r.json"
    target.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path / "real")) == ["r.json"]

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    to_fifo = tmp_path / "to-pipe"
    to_fifo.symlink_to(fifo)
    got: list[bytes] = []
    reader = _read_fifo(fifo, got)
    write_atomic(to_fifo, b"through")
    reader.join(10)
    assert got == [b"through"]
    assert to_fifo.is_symlink()
    assert stat.S_ISFIFO(fifo.lstat().st_mode)

    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "real" / "new.json")
    write_atomic(dangling, b"made")
    assert dangling.is_symlink()
    assert (tmp_path / "real" / "new.json").read_bytes() == b"made"


def test_a_symlink_to_a_descriptor_is_written_through(tmp_path: Path) -> None:
    # As /dev/stdout -> /proc/self/fd/1 when stdout is a pipe: its target has no path.
    read_end, write_end = os.pipe()
    link = tmp_path / "stdout"
    link.symlink_to(f"/proc/self/fd/{write_end}")
    try:
        write_atomic(link, b"to the pipe")
        assert os.read(read_end, 100) == b"to the pipe"
        assert link.is_symlink()
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_report_to_a_fifo_from_the_cli(tmp_path: Path) -> None:
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _read_fifo(fifo, got)
    proc = rpmkit("check", str(tmp_path / "gone-1.0-1.noarch.rpm"), "--json", str(fifo))
    reader.join(10)
    assert proc.returncode == 2, proc.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(got[0])["verdict"] == "fail"


def test_writers_at_once_never_leave_half_a_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    bodies = [json.dumps({"writer": i, "pad": "x" * 200_000}).encode() for i in range(8)]
    threads = [threading.Thread(target=write_atomic, args=(target, b)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert target.read_bytes() in bodies
    assert os.listdir(tmp_path) == ["r.json"]


def test_only_one_report_can_go_to_stdout_and_a_folder_is_no_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only one report can go to stdout"):
        Reports("check", STDOUT, STDOUT)
    with pytest.raises(ConfigError, match="is a directory"):
        Reports("check", tmp_path, None)
    assert Reports("check", STDOUT, None).human_err
    assert not Reports("check", tmp_path / "r.json", None).human_err


def test_a_check_that_stops_on_bad_input_still_writes_both_reports(tmp_path: Path) -> None:
    json_path, junit_path = tmp_path / "a" / "r.json", tmp_path / "b" / "c" / "r.xml"
    proc = rpmkit(
        "check", str(tmp_path / "gone-1.0-1.noarch.rpm"),
        "--json", str(json_path), "--junit-xml", str(junit_path),
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(json_path.read_text())
    assert doc["format"] == "rpmkit.report/1"
    assert doc["verdict"] == "fail"
    [app] = doc["apps"]
    assert app["name"] == "gone"
    assert app["failed_stage"] == "config"
    assert "gone-1.0-1.noarch.rpm: no such file" in app["error"]
    assert problems(junit_path) == []
    [case] = cases(junit_path)
    assert (case.get("classname"), case.get("name")) == ("config", "config.valid")
    assert "::error" not in proc.stdout  # not on GitHub Actions
    assert proc.stdout.strip().splitlines()[-1].startswith("rpmkit check: FAIL gone at config")


def test_dash_puts_the_report_on_stdout_and_everything_else_on_stderr(tmp_path: Path) -> None:
    app = tmp_path / "shop"
    app.mkdir()
    (app / "rpmkit.toml").write_text('name = "shop"\nversion = "1.0"\nbogus = 1\n')
    proc = rpmkit("run", str(app), "--json", "-")
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)  # nothing but the report
    assert doc["command"] == "run"
    assert doc["apps"][0]["name"] == "shop"
    assert doc["apps"][0]["checks"][0]["id"] == "config.valid"
    assert "bogus" in doc["apps"][0]["error"]
    assert "rpmkit run: FAIL shop at config" in proc.stderr
    assert not (tmp_path / "-").exists()

    junit = rpmkit("run", str(app), "--junit-xml", "-", cwd=tmp_path)
    assert junit.stdout.startswith("<?xml")
    assert not (tmp_path / "-").exists()


def test_github_actions_gets_an_error_annotation(tmp_path: Path) -> None:
    env = {**os.environ, "GITHUB_ACTIONS": "true", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "rpmkit", "check", str(tmp_path / "x-1-1.noarch.rpm"), "--json",
         str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert proc.returncode == 2
    [line] = [x for x in proc.stdout.splitlines() if x.startswith("::error")]
    assert line.startswith("::error title=rpmkit check failed::rpmkit check: FAIL x at config")

"""The teardown's watcher: detached, told through a pipe, acting once the command is done."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from rpmkit.check import teardown

SCRIPT = """
import json, os, sys, time
from pathlib import Path
from rpmkit.check import teardown

out = Path(sys.argv[1])

def handler(messages):
    time.sleep(0.5)  # slower than the command: the command does not wait for it
    out.write_text(json.dumps({"messages": messages, "pid": os.getpid(), "sid": os.getsid(0)}))

with teardown.deferred():
    watcher = teardown.watch(handler)
    assert watcher is not None
    watcher.send({"run": "abc"})
    watcher.send({"done": True})
    print("verdict", flush=True)
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), 9)
print("returned", flush=True)
"""


def _run(tmp_path: Path, how: str) -> tuple[subprocess.CompletedProcess[str], Path, float]:
    out = tmp_path / "done.json"
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(SCRIPT))
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(script), str(out), how], capture_output=True, text=True, timeout=30
    )
    return done, out, time.monotonic() - start


def _wait(path: Path) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_the_command_returns_before_its_teardown_which_gets_every_message(tmp_path: Path) -> None:
    done, out, took = _run(tmp_path, "return")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "verdict\nreturned\n"
    # capture_output read the pipes to their end: the watcher holds neither of them.
    assert took < 5
    data = _wait(out)
    assert data["messages"] == [{"run": "abc"}, {"done": True}]
    assert data["sid"] == data["pid"]  # its own session: a terminal's Ctrl-C is not for it


def test_a_kill_9_of_the_command_still_runs_its_teardown(tmp_path: Path) -> None:
    done, out, _ = _run(tmp_path, "kill")
    assert done.returncode == -signal.SIGKILL
    assert _wait(out)["messages"] == [{"run": "abc"}, {"done": True}]


def test_without_deferral_there_is_no_watcher() -> None:
    # rpmkit as a library (or the pytest plugin): the check cleans up inline.
    assert teardown.watch(lambda messages: None) is None

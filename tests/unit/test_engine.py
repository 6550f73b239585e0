"""The Docker seam: a missing engine is one clear error naming the socket."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rpmkit import engine
from rpmkit.errors import DockerUnavailable


def test_an_address_that_does_not_parse_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://[::1")
    with pytest.raises(DockerUnavailable, match=r"tcp://\[::1 is not an engine address"):
        engine.connect(timeout=5)


def test_docker_host_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    assert engine.docker_host() == "unix:///nonexistent.sock"
    with pytest.raises(DockerUnavailable) as info:
        engine.connect(timeout=5)
    assert "unix:///nonexistent.sock" in info.value.message
    assert "no such socket" in info.value.message
    assert info.value.hint
    assert "start" in info.value.hint


def test_default_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    assert engine.docker_host() == "unix:///var/run/docker.sock"


def test_doctor_without_engine_is_one_line_exit_2() -> None:
    env = {"DOCKER_HOST": "unix:///nonexistent.sock", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "rpmkit", "doctor", "--profile", "offline"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "unix:///nonexistent.sock" in lines[0]
    assert "start the engine" in lines[0]
    assert "Traceback" not in proc.stderr


def _context(config: Path, name: str, host: str) -> None:
    import hashlib
    import json

    meta = config / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps({"Name": name, "Endpoints": {"docker": {"Host": host}}})
    )


def test_docker_contexts_are_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    _context(tmp_path, "remote", "unix:///nonexistent-context.sock")
    monkeypatch.setenv("DOCKER_CONTEXT", "remote")
    assert engine.docker_host() == "unix:///nonexistent-context.sock"
    with pytest.raises(DockerUnavailable, match="nonexistent-context.sock"):
        engine.connect(timeout=5)
    # The CLI's current context, when DOCKER_CONTEXT is not set.
    monkeypatch.delenv("DOCKER_CONTEXT")
    (tmp_path / "config.json").write_text('{"currentContext": "remote"}')
    assert engine.docker_host() == "unix:///nonexistent-context.sock"
    # DOCKER_HOST wins over any context, as with the CLI.
    monkeypatch.setenv("DOCKER_HOST", "unix:///other.sock")
    assert engine.docker_host() == "unix:///other.sock"


def test_an_unknown_context_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.setenv("DOCKER_CONTEXT", "nope")
    with pytest.raises(DockerUnavailable, match="no Docker context named nope"):
        engine.connect(timeout=5)


class _ExecApi:
    """docker-py's low-level exec calls, replaying frames as the engine delivered them."""

    def __init__(self, frames: list[tuple[bytes | None, bytes | None]], rc: int) -> None:
        self.frames, self.rc = frames, rc

    def exec_create(self, *_args: object, **_kwargs: object) -> dict[str, str]:
        return {"Id": "e1"}

    def exec_start(self, *_args: object, **_kwargs: object) -> object:
        return iter(self.frames)

    def exec_inspect(self, _exec_id: str) -> dict[str, object]:
        return {"Running": False, "ExitCode": self.rc}


class _Handle:
    id = "c1"
    name = "rk-test"


def test_exec_merges_the_streams_line_by_line() -> None:
    # dash's xtrace writes "+ exit 3" in pieces; stdout's line arrived between them.
    frames: list[tuple[bytes | None, bytes | None]] = [
        (None, b"+ "), (None, b"exit"), (b"about to fail\n", None), (None, b" 3\n"),
        (None, b"error: Bad exit status"),
    ]  # fmt: skip
    seen: list[str] = []
    container = engine.Container(_Handle(), _ExecApi(frames, 1), "unix:///x")
    result = container.exec(["sh", "-xc", "echo about to fail; exit 3"], on_line=seen.append)
    assert result.rc == 1
    assert result.stdout == "about to fail\n"
    assert result.stderr == "+ exit 3\nerror: Bad exit status"
    assert result.output == "about to fail\n+ exit 3\nerror: Bad exit status"
    assert seen == ["about to fail", "+ exit 3", "error: Bad exit status"]


class _Listed:
    """A container as a listing returns it; `remove` records the removal."""

    def __init__(self, name: str, found: dict[str, str], removed: list[str]) -> None:
        self.name, self.labels, self._removed = name, found, removed

    def remove(self) -> bool:
        self._removed.append(self.name)
        return True


def _engine_listing(containers: dict[str, dict[str, str]], removed: list[str]) -> engine.Engine:
    made = engine.Engine(None, "unix:///x")  # type: ignore[arg-type]
    listed = [_Listed(name, found, removed) for name, found in containers.items()]
    made.containers = lambda _selector: listed  # type: ignore[assignment,method-assign,return-value]
    made.networks = lambda _selector: []  # type: ignore[method-assign]
    made.images = lambda **_kw: []  # type: ignore[method-assign]
    return made


def test_reap_and_prune_tell_dead_live_and_kept_runs_apart() -> None:
    from rpmkit import labels

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = f"{labels.owner().split(':')[0]}:{gone.pid}"
    runs = {
        "crashed": {**labels.Run("r1", "a").labels(), labels.OWNER: dead},
        "kept": {**labels.Run("r2", "a", keep=True).labels(), labels.OWNER: dead},
        "live": labels.Run("r3", "a").labels(),
    }
    reaped: list[str] = []
    assert _engine_listing(runs, reaped).reap() == ["container crashed"]
    assert reaped == ["crashed"]
    pruned: list[str] = []
    assert _engine_listing(runs, pruned).remove_leftovers() == [
        "container crashed",
        "container kept",
    ]
    assert pruned == ["crashed", "kept"]
    listed: list[str] = []
    assert _engine_listing(runs, listed).remove_leftovers(dry_run=True) == [
        "container crashed",
        "container kept",
    ]
    assert listed == []


def test_a_container_removed_by_someone_else_is_one_line_exit_2() -> None:
    from docker.errors import NotFound

    from rpmkit.engine import Container
    from rpmkit.engine.failures import ContainerGone

    class Gone:
        name, id, labels, attrs = "rpmkit-x-1", "abc", {}, {}

        def reload(self) -> None:
            raise NotFound("No such container: abc")

    class Api:
        def exec_create(self, *args: object, **kwargs: object) -> dict[str, str]:
            raise NotFound("No such container: abc")

    container = Container(Gone(), Api(), "unix:///var/run/docker.sock")
    with pytest.raises(ContainerGone) as info:
        container.exec(["true"])
    assert info.value.exit_code == 2
    assert "rpmkit-x-1 was removed while rpmkit was running a command" in info.value.message
    assert container.status() == "removed"

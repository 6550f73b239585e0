"""One container: run commands in it, copy files in and out, publish ports, remove it."""

from __future__ import annotations

import codecs
import contextlib
import io
import tarfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from rpmkit.engine.failures import ContainerGone, gone_is_fine, in_use, translated
from rpmkit.engine.output import TIMED_OUT, Bounded, Result, WholeLines
from rpmkit.engine.session import AGENT, Session, SessionGone
from rpmkit.errors import DockerUnavailable


class Container:
    """A container on the engine. Made by `Engine.create`/`Engine.run`/`Engine.container`."""

    def __init__(self, handle: Any, api: Any, host: str) -> None:
        self._c = handle
        self._api = api  # docker-py's low-level client
        self._host = host
        self._session: Session | None = None  # while one is open: see session()

    @property
    def name(self) -> str:
        """The container's name (without the leading slash)."""
        return str(self._c.name)

    @property
    def id(self) -> str:
        """The container's full id."""
        return str(self._c.id)

    @property
    def labels(self) -> dict[str, str]:
        """Its labels, as made."""
        return dict(self._c.labels or {})

    @property
    def image_id(self) -> str:
        """The id of the image it was made from."""
        return str(self._c.attrs.get("Image", ""))

    @property
    def running(self) -> bool:
        """Whether it was running when last read (made, looked up or inspected): no request."""
        return bool((self._c.attrs.get("State") or {}).get("Running"))

    def _doing(self, what: str) -> Any:
        return in_use(self._host, f"{what} {self.name}", self.name)

    def status(self) -> str:
        """created, running, exited, ... (read fresh); 'removed' when it is gone."""
        try:
            with self._doing("inspecting"):
                self._c.reload()
        except ContainerGone:
            return "removed"
        return str(self._c.status)

    def created(self) -> str:
        """When it was made (ISO 8601, UTC, as the engine reports it)."""
        return str(self._c.attrs.get("Created", ""))

    def state(self) -> dict[str, Any]:
        """The engine's State record (Status, ExitCode, OOMKilled, ...), read fresh."""
        with self._doing("inspecting"):
            self._c.reload()
        return dict(self._c.attrs.get("State") or {})

    def engine_alive(self) -> None:
        """DockerUnavailable (naming the engine and its reason) unless the engine answers."""
        with in_use(self._host, "answering while checking", self.name):
            self._api.ping()

    def start(self) -> None:
        """Start it; DockerUnavailable with the engine's reason when the engine refuses."""
        with self._doing("starting"):
            self._c.start()

    def exec(
        self,
        argv: Sequence[str],
        *,
        user: str | None = None,
        environment: dict[str, str] | None = None,
        workdir: str | None = None,
        timeout: float | None = None,
        on_line: Callable[[str], None] | None = None,
        own: bool = False,
    ) -> Result:
        """Run `argv` inside; the exit status comes from the engine.

        `timeout` (seconds) runs it under coreutils' `timeout -s KILL`;
        `on_line` is called with each line of output as it comes (both streams).
        While a session is open (`open_session`) a plain command goes through the
        session's shell instead (see engine/session.py), unless `own`.
        """
        shared = not (own or user or environment or workdir or on_line)
        if self._session is not None and shared:
            try:
                answered = self._session.run(argv, timeout)
            except SessionGone:
                answered = None  # run again on its own exec; later commands take one too
            if answered is not None:
                return answered
        argv = list(argv)
        if timeout is not None:
            argv = ["timeout", "-s", "KILL", f"{max(timeout, 0.1):.1f}", *argv]
        api = self._api
        out, err, both = Bounded(), Bounded(), Bounded()
        start = time.monotonic()
        with self._doing("running a command in"):
            exec_id = api.exec_create(
                self.id, argv, user=user or "", environment=environment, workdir=workdir
            )["Id"]
            lines = _LineSplitter(on_line)
            # The two streams merge line by line: a shell's xtrace writes one line in
            # several pieces, which must not be cut by the other stream's output.
            whole = (WholeLines(), WholeLines())
            for chunks in api.exec_start(exec_id, stream=True, demux=True):
                for chunk, stream, cutter in zip(chunks, (out, err), whole, strict=True):
                    if chunk:
                        stream.add(chunk)
                        merged = cutter.feed(chunk)
                        both.add(merged)
                        lines.feed(merged)
            for cutter in whole:
                rest = cutter.rest()
                both.add(rest)
                lines.feed(rest)
            lines.close()
            rc = _exit_code(api, exec_id)
        return Result(
            rc, out.text(), err.text(), both.text(), time.monotonic() - start,
            timed_out=timeout is not None and rc in TIMED_OUT,
        )  # fmt: skip

    def open_session(self, warm: bool = False) -> None:
        """From now on, plain commands share one shell instead of an exec each.

        For queries only (a command the session's end interrupts is run again
        on its own exec). The shell starts with the next command, or at once
        in the background when `warm` (while an `own` exec runs, say); see
        engine/session.py. Nothing when one is open already.
        """
        if self._session is None:
            self._session = Session(lambda: self.attached_exec(["sh", "-c", AGENT]))
            if warm:
                self._session.warm()

    def close_session(self) -> None:
        """End the session's shell; commands take an exec each again."""
        session, self._session = self._session, None
        if session is not None:
            session.close()

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """`open_session()` for the block (or the one already open), closed at its end."""
        self.open_session()
        try:
            yield
        finally:
            self.close_session()

    def attached_exec(self, argv: Sequence[str]) -> Any:
        """Start `argv` inside with its input and output attached; the connection's socket.

        What is sent on it is the command's standard input; what comes back is
        its output in the engine's stream frames (an 8-byte header each:
        stream, 3 zero bytes, big-endian length). Closing it ends the input.
        """
        with self._doing("running a command in"):
            exec_id = self._api.exec_create(self.id, list(argv), stdin=True)["Id"]
            sock = self._api.exec_start(exec_id, socket=True)
        return getattr(sock, "_sock", sock)  # under docker-py's SocketIO on a plain socket

    def put_archive(self, path: str, data: bytes | io.BufferedReader) -> None:
        """Unpack a tar archive at `path` inside."""
        with self._doing("copying files into"):
            self._c.put_archive(path, data)

    def put_files(self, files: dict[str, bytes], mode: int = 0o644) -> None:
        """Write small files (absolute path -> content) inside, in one copy."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for path, content in files.items():
                info = tarfile.TarInfo(path.lstrip("/"))
                info.size, info.mode = len(content), mode
                tar.addfile(info, io.BytesIO(content))
        self.put_archive("/", buf.getvalue())

    def get_archive(self, path: str) -> Iterator[bytes]:
        """A tar stream of `path` inside."""
        with self._doing("copying files out of"):
            stream, _ = self._c.get_archive(path)
        return iter(stream)

    def memory(self) -> tuple[int, int]:
        """(peak bytes used, limit in bytes) of the container's memory cgroup.

        On a local engine, from the kernel's cgroup files (engine/cgroups.py: the
        engine's stats took up to 0.4 s); otherwise from the engine's stats, where
        cgroup v1 reports the peak (`max_usage`) and v2 only the current use.
        """
        pid = self._local_pid()
        if pid is not None:
            from rpmkit.engine.cgroups import memory_of

            found = memory_of(pid, self.id)
            if found is not None:
                return found
        with self._doing("reading the memory use of"):
            stats = self._api.stats(self.id, stream=False, one_shot=True)
        memory = stats.get("memory_stats") or {}
        peak = int(memory.get("max_usage") or memory.get("usage") or 0)
        return peak, int(memory.get("limit") or 0)

    def oom_kills(self) -> int | None:
        """Processes the kernel's OOM killer killed in it (its memory cgroup's count), on a
        local engine; None where that is not readable here (engine/cgroups.py)."""
        pid = self._local_pid()
        if pid is None:
            return None
        from rpmkit.engine.cgroups import oom_kills_of

        return oom_kills_of(pid, self.id)

    def _local_pid(self) -> int | None:
        """Its init process's pid on this machine: a local engine's running container only."""
        if not self._host.startswith("unix://"):
            return None
        pid = int(self.state().get("Pid") or 0)
        return pid if pid > 0 else None

    def read_text(self, path: str) -> str:
        """A regular file's text inside ("" when there is no such path or it is no file)."""
        import tarfile

        from docker.errors import NotFound

        try:
            with translated(self._host, f"copying {path} out of {self.name}"):
                stream, _ = self._api.get_archive(self.id, path)
                data = b"".join(stream)
        except NotFound:
            return ""
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            member = tar.next()
            extracted = tar.extractfile(member) if member is not None and member.isfile() else None
            return extracted.read().decode("utf-8", "replace") if extracted is not None else ""

    def published_ports(self) -> dict[int, int]:
        """Published TCP ports: container port -> port on the engine's host."""
        with self._doing("inspecting"):
            self._c.reload()
        return {
            int(key.split("/")[0]): int(value[0]["HostPort"])
            for key, value in (self._c.ports or {}).items()
            if value and key.endswith("/tcp")
        }

    def address(self, network: str | None = None) -> str:
        """Its address on a network (None: the one it is on, e.g. Docker's `bridge`, Podman's
        `podman`)."""
        with self._doing("inspecting"):
            self._c.reload()
        networks = self._c.attrs["NetworkSettings"]["Networks"]
        found = networks[network] if network is not None else next(iter(networks.values()))
        return str(found["IPAddress"])

    def logs(self, stdout: bool = True, stderr: bool = True) -> str:
        """What its main process printed so far."""
        with self._doing("reading the logs of"):
            return bytes(self._c.logs(stdout=stdout, stderr=stderr)).decode(errors="replace")

    def diff(self) -> list[dict[str, Any]]:
        """`docker diff`: [{Path, Kind}] of what changed against its image."""
        with self._doing("reading the changes of"):
            return list(self._c.diff() or [])

    def commit(self, labels: dict[str, str]) -> str:
        """Commit it as an image carrying `labels`; the image id."""
        with self._doing("committing"):
            return str(self._c.commit(conf={"Labels": labels}).id)

    def kill(self, signal: str = "SIGKILL") -> None:
        """Send its init a signal (default: kill at once)."""
        from docker.errors import APIError

        try:
            with self._doing("signalling"):
                self._c.kill(signal=signal)
        except ContainerGone:
            pass
        except DockerUnavailable as exc:
            if not isinstance(exc.__cause__, APIError):  # not running: nothing to kill
                raise

    def remove(self) -> bool:
        """Remove it at once, with its anonymous volumes; False when it was already gone."""
        return gone_is_fine(
            self._host, lambda: self._c.remove(force=True, v=True), f"container {self.name}"
        )


class _LineSplitter:
    """Feeds whole lines to a callback as bytes arrive."""

    def __init__(self, on_line: Callable[[str], None] | None) -> None:
        self._on_line = on_line
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""

    def feed(self, chunk: bytes) -> None:
        if self._on_line is None:
            return
        *lines, self._pending = (self._pending + self._decoder.decode(chunk)).split("\n")
        for line in lines:
            self._on_line(line)

    def close(self) -> None:
        if self._on_line is None:
            return
        rest = self._pending + self._decoder.decode(b"", final=True)
        if rest:
            self._on_line(rest)


def _exit_code(api: Any, exec_id: str) -> int:
    # The stream ends when the process closed its output; the engine may record the
    # exit a moment later.
    for _ in range(200):
        state = api.exec_inspect(exec_id)
        if not state.get("Running") and state.get("ExitCode") is not None:
            return int(state["ExitCode"])
        time.sleep(0.01)
    raise DockerUnavailable(f"the engine never reported the exit status of exec {exec_id[:12]}")

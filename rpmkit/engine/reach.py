"""How this machine reaches a container's port: the engine's published address, or a prober.

Three ways, chosen per engine:

- `local`: a local engine (a unix socket) publishes on 127.0.0.1.
- `published`: a remote engine publishes on its host's addresses; this
  machine connects to the engine's address (the host part of DOCKER_HOST,
  `Engine.address`) and the published port.
- `prober`: the published ports cannot be reached from here (a firewall, an
  engine behind ssh only). A prober container on the instance's own network
  opens the connection from inside: each connection to a local port
  (127.0.0.1) is carried through the engine's API (`exec` with its input and
  output attached) to bash's /dev/tcp in the prober. Slower to open (one
  exec per connection), the same bytes.

For a remote engine the choice is made once per engine, on the first
published port, by connecting to it: a connection made means `published`,
anything else `prober`. RPMKIT_REACH=published or RPMKIT_REACH=prober
decides instead (for an engine known to be behind a firewall).
"""

from __future__ import annotations

import os
import secrets
import select
import socket
import struct
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from rpmkit.errors import ConfigError

if TYPE_CHECKING:
    from rpmkit.engine.container import Container
    from rpmkit.labels import Run

LOCAL, PUBLISHED, PROBER = "local", "published", "prober"
MODES = (LOCAL, PUBLISHED, PROBER)
VARIABLE = "RPMKIT_REACH"
LISTEN_PORT = 8080  # `decide`'s listener, inside its container
CONNECT_SECONDS = 3.0  # how long the first connection to a published port may take
# One connection, inside the prober: open the target, copy both ways, end when it closes.
# (`<&0`: a background command's input is otherwise /dev/null.)
TUNNEL = (
    'exec 3<>"/dev/tcp/$1/$2" || exit 97; cat <&0 >&3 & writer=$!; cat <&3; '
    'kill "$writer" 2>/dev/null'
)
TUNNEL_SECONDS = 600  # a connection the client left open ends then


def chosen() -> str | None:
    """RPMKIT_REACH's mode, None when unset; ConfigError when it names no mode."""
    value = os.environ.get(VARIABLE, "").strip().lower()
    if not value:
        return None
    if value not in (PUBLISHED, PROBER):
        raise ConfigError(f"{VARIABLE}={value!r} is not a way to reach instances",
                          hint=f"use {PUBLISHED} or {PROBER}")  # fmt: skip
    return value


def _answers(address: str, port: int) -> bool:
    """Whether an HTTP server answers at address:port (any status line)."""
    try:
        with socket.create_connection((address, port), timeout=1.0) as sock:
            sock.sendall(b"HEAD / HTTP/1.0\r\n\r\n")
            return sock.recv(5) == b"HTTP/"
    except OSError:
        return False


def connects(address: str, port: int, seconds: float = CONNECT_SECONDS) -> bool:
    """Whether a TCP connection to address:port is made within `seconds`."""
    try:
        with socket.create_connection((address, port), timeout=seconds):
            return True
    except OSError:
        return False


class _Engine(Protocol):
    """What a Reach needs of `Engine` (which holds it)."""

    @property
    def is_local(self) -> bool: ...
    @property
    def address(self) -> str: ...
    def run(
        self, image: str, *, name: str, run: Run | None = None, **options: Any
    ) -> Container: ...


class Reach:
    """One engine's way to its containers' ports (see the module's docstring)."""

    def __init__(self, engine: _Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self.mode: str | None = LOCAL if engine.is_local else chosen()
        self._said = f" ({VARIABLE}={self.mode})" if self.mode in (PUBLISHED, PROBER) else ""
        self._probers: dict[tuple[str, str], Container] = {}  # (run id, network) -> prober
        self._forwarders: dict[str, list[_Forwarder]] = {}  # run id -> its forwarders

    @property
    def address(self) -> str:
        """Where the ports `ports` gives are: 127.0.0.1, or the engine's address."""
        return self._engine.address if self.mode == PUBLISHED else "127.0.0.1"

    def ports(
        self, container: Container, ports: Iterable[int], network: str | None, run: Run
    ) -> dict[int, int]:
        """Container port -> the port on `address` this machine connects to.

        The container publishes `ports`; in `prober` mode a prober made from
        the same image joins `network` (it carries `run`'s labels and goes
        with the run).
        """
        published = container.published_ports()
        wanted = [p for p in ports if p in published]
        with self._lock:
            if self.mode is None and wanted:
                reached = connects(self._engine.address, published[wanted[0]])
                self.mode = PUBLISHED if reached else PROBER
        if self.mode != PROBER:
            return {p: published[p] for p in wanted}
        target = container.address(network)
        prober = self._prober(container, network, run)
        found = {}
        for port in wanted:
            forwarder = _Forwarder(prober, target, port)
            self._forwarders.setdefault(run.id, []).append(forwarder)
            found[port] = forwarder.port
        return found

    def decide(self, image: str, run: Run) -> str | None:
        """Decide the mode now, with a container of `image` listening on a published port.

        The listener is Python's http.server (the runtime images have python3);
        the container goes at once. Returns the mode, None when the listener
        did not run (no python3 in the image): then the first published port decides.
        """
        if self.mode is not None:
            return self.mode
        listener = self._engine.run(
            image, name=run.container_name("reach"), run=run, ports=(LISTEN_PORT,),
            command=["python3", "-m", "http.server", str(LISTEN_PORT)], entrypoint=[],
        )  # fmt: skip
        try:
            port = listener.published_ports().get(LISTEN_PORT)
            deadline = time.monotonic() + CONNECT_SECONDS
            reached = False
            while port is not None and not reached and time.monotonic() < deadline:
                reached = _answers(self._engine.address, port)
                if not reached:
                    time.sleep(0.1)
            ran = reached or listener.status() == "running"
        finally:
            listener.remove()
        if ran:
            self.mode = PUBLISHED if reached else PROBER
        return self.mode

    def describe(self) -> str:
        """The mode in words, for `doctor` and the logs."""
        if self.mode == LOCAL:
            return "local engine: published ports on 127.0.0.1"
        if self.mode == PUBLISHED:
            return f"through the ports the engine publishes on {self._engine.address}{self._said}"
        if self.mode == PROBER:
            why = self._said or f" (its published ports on {self._engine.address} do not answer)"
            return f"through a prober container inside the engine's network{why}"
        return "not decided yet: on the first published port"

    def release(self, run_id: str) -> None:
        """Stop a run's forwarders (its probers go with the run's other containers)."""
        for forwarder in self._forwarders.pop(run_id, []):
            forwarder.close()
        with self._lock:
            for key in [k for k in self._probers if k[0] == run_id]:
                del self._probers[key]

    def _prober(self, container: Container, network: str | None, run: Run) -> Container:
        key = (run.id, network or "")
        with self._lock:
            if key not in self._probers or self._probers[key].status() != "running":
                self._probers[key] = self._engine.run(
                    container.image_id, name=run.container_name(f"prober-{secrets.token_hex(3)}"),
                    run=run, network=network, command=["sleep", "infinity"],
                    entrypoint=[],
                )  # fmt: skip
            return self._probers[key]


class _Forwarder:
    """A local port whose connections are carried to target:port through the prober."""

    def __init__(self, prober: Container, target: str, port: int) -> None:
        self._prober = prober
        self._target = (target, port)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True, name="rpmkit-forward").start()

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._carry, args=(client,), daemon=True).start()

    def _carry(self, client: socket.socket) -> None:
        try:
            tunnel = self._open()
        except Exception:  # noqa: BLE001 - the client sees the connection closed, as refused
            client.close()
            return
        try:
            _relay(client, tunnel)
        except OSError:
            pass
        finally:
            client.close()
            tunnel.close()

    def _open(self) -> Any:
        host, port = self._target
        argv = ["timeout", str(TUNNEL_SECONDS), "bash", "-c", TUNNEL, "bash", host, str(port)]
        return self._prober.attached_exec(argv)


def _relay(client: socket.socket, tunnel: Any) -> None:
    """Copy both ways in one thread until either side closes.

    One thread: a TLS socket must not be read and written by two at once.
    What comes back from the tunnel is the exec's output in stream frames.
    """
    frames = _Frames()
    while True:
        pending = bool(getattr(tunnel, "pending", lambda: 0)())
        ready = [tunnel] if pending else select.select([client, tunnel], [], [], 60)[0]
        if not ready:
            continue
        if client in ready:
            data = client.recv(65536)
            if not data:
                return  # the client is done
            tunnel.sendall(data)
        if tunnel in ready:
            chunk = tunnel.recv(65536)
            if not chunk:
                return  # the command ended: the target closed
            for data in frames.feed(chunk):
                client.sendall(data)


class _Frames:
    """The exec's standard output, from the engine's stream frames (8-byte headers)."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buffer += chunk
        out = []
        while len(self._buffer) >= 8:
            stream, size = self._buffer[0], struct.unpack(">I", self._buffer[4:8])[0]
            if len(self._buffer) < 8 + size:
                break
            data, self._buffer = self._buffer[8 : 8 + size], self._buffer[8 + size :]
            if stream == 1 and data:
                out.append(data)
        return out

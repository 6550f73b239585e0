"""How the app's service runs: the server, its command line, and where it listens.

A WSGI app is served by gunicorn; an ASGI app by uvicorn (hypercorn when the
requirements list it and not uvicorn), or by gunicorn when the app's gunicorn
file names a uvicorn worker class. The service listens on loopback, where
nginx proxies to it: on the port of the app's gunicorn `bind` when that is a
port a service user can take on an address nginx reaches (then the command
does not override it), else on SERVICE_PORT with `--bind` on the command
line, which gunicorn puts before its configuration file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rpmkit.init import gunicorn
from rpmkit.init.apps import AppObject

SERVICE_PORT = 8000
# Addresses gunicorn listens on that nginx reaches at 127.0.0.1.
LOOPBACK_REACHABLE = frozenset({"0.0.0.0", "127.0.0.1", "localhost", "", "::", "[::]"})
FIRST_UNPRIVILEGED = 1024  # below it only root (or CAP_NET_BIND_SERVICE) may bind


@dataclass(frozen=True)
class Plan:
    """The service's command and what rpmkit init says about it."""

    command: str
    port: int  # where the service listens on 127.0.0.1
    server: str  # the distribution of the server: "gunicorn", "uvicorn", "hypercorn"
    needs: tuple[str, ...]  # distributions the command needs: the server, a worker class
    environment: dict[str, str] = field(default_factory=dict)
    said: tuple[str, ...] = ()  # what was found (a gunicorn file and its settings)
    notes: tuple[str, ...] = ()  # what the user should look at
    problems: tuple[str, ...] = ()  # what makes the service fail: the config is not written
    port_from: str = ""  # "the bind in gunicorn.conf.py", for the config's comment


def plan(app_dir: Path, app: AppObject, listed: frozenset[str], user: str) -> Plan:
    """The service for `app`; `listed` are the distributions its requirements name."""
    conf_path = gunicorn.find(app_dir)
    settings = None
    said: list[str] = []
    environment: dict[str, str] = {}
    if conf_path is not None:
        try:
            settings = gunicorn.read(conf_path, app_dir)
            environment = {v: str(SERVICE_PORT) for v in settings.required_env if "PORT" in v}
            if environment:
                settings = gunicorn.read(conf_path, app_dir, environment)
        except gunicorn.Unknown as exc:
            return Plan("", SERVICE_PORT, "gunicorn", (), problems=(str(exc),))
        said.append(f"{settings.file}: {settings.describe()}")
    worker_class = str(settings.values.get("worker_class", "")) if settings else ""
    if app.framework.interface == "asgi" and "uvicorn" not in worker_class:
        return _asgi(app, listed, said, ignored=settings)
    return _gunicorn(app, settings, worker_class, user, said, environment)


def _gunicorn(
    app: AppObject,
    settings: gunicorn.Settings | None,
    worker_class: str,
    user: str,
    said: list[str],
    environment: dict[str, str],
) -> Plan:
    notes: list[str] = []
    problems: list[str] = []
    needs = ["gunicorn"]
    words = ["gunicorn"]
    port, port_from = SERVICE_PORT, ""
    override = True
    if settings is not None:
        words += ["--config", settings.file]
        problems += gunicorn.problems(settings, user)
        problems += [
            f"{settings.file} reads os.environ[{v!r}], which the service's unit does not set: "
            f"give it a default (os.environ.get({v!r}, ...)) or set it in [[services]] "
            "environment"
            for v in settings.required_env
        ]
        said += [
            f"{settings.file} reads ${v}: the service's unit sets {v}={n}"
            for v, n in environment.items()
        ]
        port, reason = _usable_port(settings)
        if reason is None:
            override, port_from = False, f"the bind in {settings.file}"
        else:
            port = SERVICE_PORT
            notes.append(
                f"{settings.file}: {reason}: the command's --bind 127.0.0.1:{port} "
                "overrides it (settings on gunicorn's command line win)"
            )
        package = gunicorn.WORKER_PACKAGES.get(worker_class) or (
            "uvicorn" if "uvicorn" in worker_class else None
        )
        if package:
            needs.append(package)
    if override:
        words += ["--bind", f"127.0.0.1:{port}"]
    if settings is not None and isinstance(settings.values.get("wsgi_app"), str):
        said.append(f"{settings.file} names the app: wsgi_app {settings.values['wsgi_app']}")
    else:
        words.append(app.argument)
    return Plan(
        command=" ".join(words),
        port=port,
        server="gunicorn",
        needs=tuple(needs),
        environment=environment,
        said=tuple(said),
        notes=tuple(notes),
        problems=tuple(problems),
        port_from=port_from,
    )


def _asgi(
    app: AppObject, listed: frozenset[str], said: list[str], ignored: gunicorn.Settings | None
) -> Plan:
    notes = []
    if ignored is not None:
        notes.append(
            f"{ignored.file} is not used: {app.framework.name} is an ASGI app and the file "
            "names no uvicorn worker class"
        )
    port = SERVICE_PORT
    if "hypercorn" in listed and "uvicorn" not in listed:
        command = f"hypercorn --bind 127.0.0.1:{port} {app.argument}"
        server = "hypercorn"
    else:
        factory = "--factory " if app.is_factory else ""
        target = app.target.removesuffix("()")
        command = f"uvicorn --host 127.0.0.1 --port {port} {factory}{target}"
        server = "uvicorn"
    return Plan(command, port, server, (server,), said=tuple(said), notes=tuple(notes))


def _usable_port(settings: gunicorn.Settings) -> tuple[int, str | None]:
    """(port, None) when the file's bind is one nginx can proxy to; else (0, why not)."""
    if "bind" in settings.unknown:
        return 0, f"bind = {settings.unknown['bind']} cannot be worked out without running it"
    binds = settings.bind
    if binds is None:
        return 0, "it sets no bind"
    for address in binds:
        if address.startswith(("unix:", "fd://")):
            continue
        host, colon, port_text = address.rpartition(":")
        if not colon or "]" in port_text:  # `host` alone, or `[::1]`: gunicorn's port 8000
            host, port_text = address, "8000"
        if not port_text.isdigit():
            continue
        port = int(port_text)
        if host not in LOOPBACK_REACHABLE:
            return 0, f"bind {address} is not an address nginx reaches at 127.0.0.1"
        if port < FIRST_UNPRIVILEGED:
            return 0, (
                f"bind {address}: a service user cannot listen on a port below "
                f"{FIRST_UNPRIVILEGED} (nginx listens on the public port)"
            )
        return port, None
    return 0, f"bind {', '.join(binds)} has no TCP port nginx can proxy to"

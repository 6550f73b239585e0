"""Engine failures as rpmkit errors: one line naming the engine and its own reason."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rpmkit.errors import DockerUnavailable


def reason(exc: BaseException) -> str:
    """The innermost cause of an engine error, in a few words."""
    explanation = getattr(exc, "explanation", None)
    if explanation:
        return str(explanation).strip().splitlines()[0][:200]
    # docker-py wraps the socket error several levels deep; the innermost names the cause.
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc).strip() or type(exc).__name__
    if "No such file or directory" in text or "FileNotFoundError" in text:
        return "no such socket"
    if "Connection refused" in text:
        return "connection refused"
    if "Permission denied" in text:
        return "permission denied; is your user in the docker group?"
    if "Connection aborted" in text or "RemoteDisconnected" in text:
        return "the engine closed the connection"
    return text.splitlines()[0][:160]


@contextlib.contextmanager
def translated(host: str, doing: str) -> Iterator[None]:
    """Engine failures as one DockerUnavailable line; 'no such object' passes through.

    A connection error means the engine went away (exit 2, at once, not at a
    deadline); an API error is the engine refusing (a missing bridge, a full disk).
    """
    import requests
    from docker.errors import DockerException, NotFound

    try:
        yield
    except NotFound:
        raise
    except (DockerException, requests.RequestException, ConnectionError) as exc:
        raise DockerUnavailable(
            f"Docker engine at {host} failed while {doing}: {reason(exc)}",
            hint="check the engine (`docker info`); the next rpmkit run removes what was left",
        ) from exc


class ContainerGone(DockerUnavailable):
    """A container rpmkit was using was removed by someone else (exit 2)."""


@contextlib.contextmanager
def in_use(host: str, doing: str, name: str) -> Iterator[None]:
    """`translated`, and a container that vanished mid-use as one ContainerGone line."""
    from docker.errors import NotFound

    try:
        with translated(host, doing):
            yield
    except NotFound:
        raise ContainerGone(
            f"container {name} was removed while rpmkit was {doing} (by `docker rm`, "
            "`rpmkit images prune` or another process on the same engine)",
            hint="run again; nothing else of this run is left",
        ) from None


def gone_is_fine(host: str, remove: Callable[[], object], what: str) -> bool:
    """Run a removal; 'no such object' and 'removal already in progress' are fine.

    True when it removed something.
    """
    from docker.errors import APIError, NotFound

    try:
        with translated(host, f"removing {what}"):
            remove()
    except NotFound:
        return False
    except DockerUnavailable as exc:
        cause = exc.__cause__
        if isinstance(cause, APIError) and cause.status_code == 409:
            return False
        raise
    return True

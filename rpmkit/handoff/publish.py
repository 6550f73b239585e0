"""Publishing: put the RPM where the bake machine's yum repositories see it.

A directory repository gets a copy and `createrepo_c --update`; an HTTP
repository (Artifactory, Nexus, a WebDAV server) gets a PUT with checksum
headers. A different RPM is never written over one of the same file name: a
yum repository whose packages change under the same name gives every
machine that cached the old one a checksum error.
"""

from __future__ import annotations

import hashlib
import netrc
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from rpmkit import redact
from rpmkit.errors import ConfigError, HandoffError
from rpmkit.redact import strip_userinfo
from rpmkit.values import control_character, shown

if TYPE_CHECKING:
    import requests

CREATEREPO = "createrepo_c"
CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Repository:
    """A directory path or an http(s) URL."""

    location: str

    @property
    def is_http(self) -> bool:
        """True for an HTTP repository."""
        return self.location.startswith(("http://", "https://"))


@dataclass(frozen=True)
class Artifact:
    """The RPM to publish: its bytes, read once, and their checksums.

    What is published is these bytes, not the file at `path` later: a file
    swapped after the gate read it cannot reach the repository.
    """

    path: Path
    sha256: str
    sha1: str
    data: bytes = field(default=b"", repr=False, compare=False)

    @property
    def name(self) -> str:
        """The file name it is published under."""
        return self.path.name


@dataclass(frozen=True)
class Auth:
    """Credentials for an HTTP repository; only `source` is ever shown."""

    source: str  # e.g. "$RPMKIT_PUBLISH_USERNAME/$RPMKIT_PUBLISH_PASSWORD", or "none"
    pair: tuple[str, str] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Published:
    """Where the RPM is now."""

    location: str
    uploaded: bool  # False when the same RPM was already there


def repository(value: str, base: Path | None = None) -> Repository:
    """A repository from config or `--repo`; a relative directory is taken from `base`."""
    if "://" in value:
        parsed = urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigError(
                f"repository {shown(strip_userinfo(value))} is not an http(s) URL or a directory"
            )
        if parsed.username or parsed.password:
            raise ConfigError(
                "the repository URL must not carry credentials",
                hint="name environment variables in publish.username_env/password_env, "
                "or use a netrc file",
            )
        return Repository(value.rstrip("/"))
    path = Path(value).expanduser()
    return Repository(str(path if path.is_absolute() or base is None else base / path))


def artifact(rpm: Path) -> Artifact:
    """The RPM's bytes with their sha256 and sha1 (Artifactory's own checksum), read once."""
    data = rpm.read_bytes()
    return Artifact(rpm, hashlib.sha256(data).hexdigest(), hashlib.sha1(data).hexdigest(), data)


def url_for(repo: Repository, name: str) -> str:
    """Where an RPM of this file name lives in an HTTP repository."""
    return f"{repo.location}/{quote(name)}"


def put_headers(item: Artifact) -> dict[str, str]:
    """The headers of the upload: the server checks the body against them."""
    return {
        "Content-Type": "application/x-rpm",
        "X-Checksum-Sha256": item.sha256,
        "X-Checksum-Sha1": item.sha1,
    }


def createrepo_argv(directory: Path) -> list[str]:
    """The command that updates a directory repository's metadata."""
    return [CREATEREPO, "--update", str(directory)]


def resolve_auth(
    url: str,
    username_env: str,
    password_env: str,
    netrc_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Auth:
    """Credentials from the two environment variables, else the netrc entry for the host.

    Both values are registered with `redact`, so no output shows them. A user
    name may not hold ':' (HTTP Basic authentication splits there, RFC 7617);
    both are sent UTF-8 encoded, so a non-ASCII password works.
    """
    env = os.environ if environ is None else environ
    user, password = env.get(username_env), env.get(password_env)
    if user and password:
        return _checked(Auth(f"${username_env}/${password_env}", (user, password)))
    if user or password:
        missing = password_env if user else username_env
        raise ConfigError(
            f"${missing} is not set (credentials need both ${username_env} and ${password_env})"
        )
    path = netrc_file or Path(env.get("NETRC") or Path.home() / ".netrc")
    host = urlsplit(url).hostname or ""
    if path.is_file():
        try:
            entry = netrc.netrc(str(path)).authenticators(host)
        except (netrc.NetrcParseError, OSError) as exc:
            # The parser's message can quote a token of the file: show only where it failed.
            line = getattr(exc, "lineno", None)
            raise ConfigError(f"{path}: cannot read it as a netrc file (line {line})") from None
        if entry and entry[0] and entry[2]:
            return _checked(Auth(f"{path} (machine {host})", (entry[0], entry[2])))
    return Auth("none")


def _checked(auth: Auth) -> Auth:
    assert auth.pair is not None
    user, password = auth.pair
    redact.register_pair(user, password)
    if ":" in user:
        raise ConfigError(
            f"the user name from {auth.source} holds ':', which Basic auth cannot send"
        )
    if any(control_character(v) or "\n" in v for v in auth.pair):
        raise ConfigError(f"the credentials from {auth.source} hold a control character")
    return auth


def plan(item: Artifact, repo: Repository, auth: Auth) -> list[str]:
    """The commands and requests publishing makes, one line each, as `--dry-run` shows them."""
    if not repo.is_http:
        directory = Path(repo.location)
        return [
            shlex.join(["cp", str(item.path), str(directory / item.name)]),
            shlex.join(createrepo_argv(directory)),
        ]
    url = url_for(repo, item.name)
    headers = "; ".join(f"{k}: {v}" for k, v in put_headers(item).items())
    return [
        f"HEAD {url}",
        f"PUT {url}  ({item.path.stat().st_size} bytes from {item.path}; {headers}; "
        f"credentials: {auth.source})",
    ]


def publish(
    item: Artifact,
    repo: Repository,
    auth: Auth,
    timeout: float = 300.0,
    on_detail: Callable[[str], None] | None = None,
) -> Published:
    """Publish the RPM, or find the same one already there; refuse to replace a different one."""
    if repo.is_http:
        return _publish_http(item, repo, auth, timeout)
    return _publish_dir(item, Path(repo.location), on_detail or (lambda _: None))


def verify(item: Artifact, repo: Repository, auth: Auth, timeout: float = 300.0) -> str:
    """The repository already holds exactly these bytes under the RPM's name (`bake
    --no-publish`); HandoffError naming what it holds otherwise. Returns where.

    The bake machine installs the NEVRA from the repository: a rebuild published
    there under that NEVRA would be baked instead of the RPM the gate passed. A
    directory repository is also searched for another file of the same NEVRA.
    """
    if repo.is_http:
        import requests

        url = url_for(repo, item.name)
        with _session(auth) as session:
            try:
                there = _remote_sha256(session, url, auth, (CONNECT_TIMEOUT, timeout))
            except requests.RequestException as exc:
                raise HandoffError(f"cannot read {url}: {type(exc).__name__}") from None
        where = url
    else:
        directory = Path(repo.location)
        dest = directory / item.name
        there = artifact(dest).sha256 if dest.is_file() else None
        where = str(dest)
        twin = _same_nevra(directory, item) if directory.is_dir() else None
        if twin is not None:
            raise HandoffError(
                f"{directory} also holds {twin.name}, another file of the same package "
                f"version: yum may install either",
                hint="remove it, or bump the release and build again",
            )
    if there is None:
        raise HandoffError(
            f"{where}: not in the repository, so the bake would install something else or nothing",
            hint="publish it (drop --no-publish)",
        )
    if there != item.sha256:
        raise HandoffError(
            f"{where} holds sha256 {there[:12]}..., not the {item.sha256[:12]}... the gate "
            "passed: the bake would install another build of this version",
            hint="bump the release and build, check and bake again",
        )
    return where


def _same_nevra(directory: Path, item: Artifact) -> Path | None:
    """Another file in `directory` whose header names the same NEVRA, with other bytes."""
    from rpmkit import rpm

    mine = rpm.check(item.path).nevra
    for other in sorted(directory.glob("*.rpm")):
        if other.name == item.name or not other.is_file():
            continue
        try:
            if rpm.check(other).nevra == mine and artifact(other).sha256 != item.sha256:
                return other
        except (OSError, ConfigError):
            continue
    return None


def _refuse(where: str, item: Artifact, there: str) -> HandoffError:
    return HandoffError(
        f"{where} already holds a different {item.name} (sha256 {there[:12]}... there, "
        f"{item.sha256[:12]}... here): refusing to overwrite it",
        hint="bump the release (`release` in the app config, or `rpmkit build --release N`) "
        "and build again",
    )


def _publish_dir(item: Artifact, directory: Path, on_detail: Callable[[str], None]) -> Published:
    if not directory.is_dir():
        raise HandoffError(
            f"{directory}: no such directory repository",
            hint="create it where the bake machine's yum repository points, or fix publish.repo",
        )
    if shutil.which(CREATEREPO) is None:
        raise HandoffError(
            f"{CREATEREPO} is not on PATH: a directory repository needs it to update its metadata",
            hint="install it (dnf install createrepo_c; apt-get install createrepo-c), "
            "or publish to an HTTP repository",
        )
    dest = directory / item.name
    uploaded = not dest.exists()
    if not uploaded:
        there = artifact(dest).sha256
        if there != item.sha256:
            raise _refuse(str(directory), item, there)
    else:
        part = directory / f".{item.name}.{os.getpid()}.part"
        part.write_bytes(item.data)
        if hashlib.sha256(part.read_bytes()).hexdigest() != item.sha256:
            part.unlink(missing_ok=True)
            raise HandoffError(f"{part}: the copy written does not hold the bytes the gate passed")
        os.replace(part, dest)
    argv = createrepo_argv(directory)
    on_detail(shlex.join(argv))
    done = subprocess.run(argv, capture_output=True, text=True, errors="replace", check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
        raise HandoffError(
            f"{CREATEREPO} --update {directory} failed (exit {done.returncode})", details=tail
        )
    return Published(str(dest), uploaded)


def _publish_http(item: Artifact, repo: Repository, auth: Auth, timeout: float) -> Published:
    import requests

    url = url_for(repo, item.name)
    timeouts = (CONNECT_TIMEOUT, timeout)
    with _session(auth) as session:
        try:
            there = _remote_sha256(session, url, auth, timeouts)
            if there is not None:
                if there != item.sha256:
                    raise _refuse(url, item, there)
                return Published(url, uploaded=False)
            response = session.put(url, data=item.data, headers=put_headers(item), timeout=timeouts)
            if response.status_code not in (200, 201, 204):
                raise HandoffError(
                    f"PUT {url}: {response.status_code} {response.reason}",
                    hint=_status_hint(response.status_code, auth),
                    details=_scrub(response.text[:500], auth) or None,
                )
            # What the repository now serves must be the bytes the gate passed.
            there = _remote_sha256(session, url, auth, timeouts)
        except requests.RequestException as exc:
            raise HandoffError(f"cannot publish to {url}: {type(exc).__name__}") from None
    if there != item.sha256:
        raise HandoffError(
            f"{url} holds sha256 {str(there)[:12]}... after publishing, not the "
            f"{item.sha256[:12]}... the gate passed"
        )
    return Published(url, uploaded=True)


def _session(auth: Auth) -> requests.Session:
    """A requests session sending the repository's credentials, if any."""
    import requests

    session = requests.Session()
    if auth.pair:
        # UTF-8, not requests' Latin-1 default: any password can be sent (RFC 7617 2.1).
        user, password = (value.encode("utf-8") for value in auth.pair)
        session.auth = requests.auth.HTTPBasicAuth(user, password)
    return session


def _scrub(text: str, auth: Auth) -> str:
    # A server's error page could echo what it was sent (the password, the Authorization
    # header's base64, a URL with the password %-encoded): none of it is shown.
    if auth.pair:
        redact.register_pair(*auth.pair)
    return redact.redact(text)


def _remote_sha256(
    session: requests.Session, url: str, auth: Auth, timeouts: tuple[float, float]
) -> str | None:
    """The sha256 of what the repository holds under this name, or None when it holds nothing."""
    head = session.head(url, timeout=timeouts, allow_redirects=True)
    if head.status_code == 404:
        return None
    if head.status_code != 200:
        raise HandoffError(
            f"HEAD {url}: {head.status_code} {head.reason}",
            hint=_status_hint(head.status_code, auth),
        )
    given = head.headers.get("X-Checksum-Sha256")
    if given:
        return given.strip().lower()
    # A plain web server sends no checksum: read what it holds.
    digest = hashlib.sha256()
    with session.get(url, timeout=timeouts, stream=True) as got:
        got.raise_for_status()
        for chunk in got.iter_content(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _status_hint(status: int, auth: Auth) -> str | None:
    if status in (401, 403):
        return f"check the repository credentials (from: {auth.source})"
    return None

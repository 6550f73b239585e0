"""The yum repositories the instance sees during the install, as the bake machine's.

A bake installs the app's RPM with the package manager and the repositories in
the bake machine's /etc/yum.repos.d (the team's Artifactory or yum repository,
and Amazon Linux's own). With repositories configured (`[install] repos`,
`[install] repo_files`, `--repo-file`) the check writes them into the
instance's /etc/yum.repos.d before the install, so `Requires:` and
`Recommends:` resolve from them as in the bake, and removes them before the
instance boots unless `[install] keep_repos` says the AMI keeps them.

- A `file://` baseurl or gpgkey that exists on this machine is copied into the
  instance (under /var/tmp/rpmkit-repos); one that does not is taken as a path
  inside the image and left as it is.
- Credentials never come from configuration: `RPMKIT_REPO_<ID>_USERNAME` and
  `RPMKIT_REPO_<ID>_PASSWORD` (ID upper-cased, other characters as `_`), else the
  netrc entry of the baseurl's host. They are written only into the instance's
  repository file, as dnf.conf(5)'s `username=`/`password=` (never into a URL
  the package manager might print), are registered with rpmkit.redact, and are
  removed before boot (a kept file keeps no credentials).
- A repository that cannot be read (unreachable URL, no repodata) or whose key
  does not verify its packages fails the install with one line naming it.
"""

from __future__ import annotations

import configparser
import hashlib
import io
import netrc
import os
import re
import shlex
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import unquote, urlsplit

from rpmkit import redact
from rpmkit.errors import ConfigError
from rpmkit.install.urls import REPO_ID_RE, RESERVED_IDS, check_url
from rpmkit.values import shown

if TYPE_CHECKING:
    from rpmkit.engine import Container
    from rpmkit.install.config import InstallSettings
    from rpmkit.profiles import Profile

REPO_FILE = "/etc/yum.repos.d/rpmkit-repos.repo"
COPIES = "/var/tmp/rpmkit-repos"
# Keys a repository file may hold that carry a credential: never read from a file.
SECRET_KEYS = frozenset({"username", "password", "proxy_username", "proxy_password"})
# rpmkit writes these itself.
OWN_KEYS = frozenset({"name", "baseurl", "enabled", "gpgcheck", "gpgkey", "skip_if_unavailable"})


@dataclass(frozen=True)
class Repo:
    """One repository: its id, where its packages are, how they are verified, where it came from."""

    id: str
    baseurl: str  # one or more URLs, space-separated (dnf.conf(5) takes a list)
    gpgcheck: bool = False
    gpgkeys: tuple[str, ...] = ()  # URLs (file:// ones on this machine are copied in)
    where: str = ""  # where it was defined, for messages: "rpmkit.toml [install] repos[0]"
    options: tuple[tuple[str, str], ...] = ()  # other keys of a .repo section, as given

    @property
    def shown(self) -> str:
        """How messages and receipts name it: `id=baseurl`."""
        return f"{self.id}={redact.strip_userinfo(self.baseurl)}"


def from_settings(settings: InstallSettings, app_dir: Path, config_file: str) -> tuple[Repo, ...]:
    """The repositories an app's `[install]` section defines (its `repo_files` read too)."""
    found = []
    for i, entry in enumerate(settings.repos):
        keys: tuple[str, ...] = ()
        if entry.gpgkey:
            keys = (_key_url(entry.gpgkey, app_dir, f"{config_file}: [install] repos[{i}]"),)
        found.append(
            Repo(entry.name, entry.baseurl, entry.gpgcheck, keys,
                 f"{config_file} [install] repos[{i}]")
        )  # fmt: skip
    for name in settings.repo_files:
        found += from_file(app_dir / name)
    return combine(tuple(found))


def from_file(path: Path) -> tuple[Repo, ...]:
    """The enabled sections of a `.repo` file; ConfigError naming the file and section if bad."""
    parser = configparser.RawConfigParser(
        default_section="\0", interpolation=None, strict=True, delimiters=("=",)
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise ConfigError(f"repository file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"repository file {path}: not UTF-8 text") from None
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(f"repository file {path}: malformed ({first})") from None
    found = []
    for section in parser.sections():
        where = f"{path} [{section}]"
        values = {k.lower(): " ".join(v.split()) for k, v in parser.items(section)}
        if values.get("enabled", "1").lower() in ("0", "false", "no", "off"):
            continue
        if not REPO_ID_RE.fullmatch(section) or section in RESERVED_IDS:
            raise ConfigError(f"{where}: {shown(section)} cannot be a repository id here")
        secret = sorted(SECRET_KEYS & values.keys())
        if secret:
            raise ConfigError(
                f"{where}: {secret[0]}= holds a credential: never put it in a file",
                hint=_credential_hint(section),
            )
        urls = values.get("baseurl", "").split()
        if not urls:
            raise ConfigError(f"{where}: no baseurl (rpmkit copies no mirrorlist or metalink)")
        try:
            for url in urls:
                check_url(url.replace(",", ""))
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}", hint=_credential_hint(section)) from None
        gpgcheck = values.get("gpgcheck", "0").lower() in ("1", "true", "yes", "on")
        keys = tuple(
            _key_url(k, path.parent, where)
            for k in values.get("gpgkey", "").replace(",", " ").split()
        )
        if gpgcheck and not keys:
            raise ConfigError(f"{where}: gpgcheck=1 needs a gpgkey")
        options = tuple((k, v) for k, v in values.items() if k not in OWN_KEYS)
        found.append(Repo(section, " ".join(urls), gpgcheck, keys, where, options))
    if not found:
        raise ConfigError(f"repository file {path}: no enabled repository in it")
    return tuple(found)


def combine(*groups: tuple[Repo, ...]) -> tuple[Repo, ...]:
    """The repositories of every source; ConfigError when two define the same id."""
    seen: dict[str, Repo] = {}
    for repo in (r for group in groups for r in group):
        if repo.id in seen:
            raise ConfigError(
                f"repository {repo.id} is defined twice: {seen[repo.id].where} and {repo.where}"
            )
        seen[repo.id] = repo
    return tuple(seen.values())


def _key_url(value: str, base: Path, where: str) -> str:
    """A gpgkey as a URL: a relative path is a file beside the config; it must exist."""
    if "://" in value:
        try:
            return check_url(value, "gpgkey")
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    path = (base / value).resolve()
    if not path.is_file():
        raise ConfigError(f"{where}: gpgkey {path} does not exist")
    return path.as_uri()


def _credential_hint(repo_id: str) -> str:
    env = env_prefix(repo_id)
    return f"set {env}_USERNAME and {env}_PASSWORD, or a netrc entry for its host"


def env_prefix(repo_id: str) -> str:
    """The environment variables' prefix for a repository's credentials."""
    return "RPMKIT_REPO_" + re.sub(r"[^A-Z0-9]", "_", repo_id.upper())


def credentials(repo: Repo, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """(user, password) for the repository, from the environment, else netrc; None if neither.

    Both are registered with rpmkit.redact, so no output shows them.
    """
    env = env_prefix(repo.id)
    user, password = environ.get(f"{env}_USERNAME", ""), environ.get(f"{env}_PASSWORD", "")
    if not (user or password):
        host = urlsplit(repo.baseurl.split()[0]).hostname
        path = environ.get("NETRC") or str(Path(environ.get("HOME") or Path.home()) / ".netrc")
        found = None
        if host:
            try:
                found = netrc.netrc(path).authenticators(host)
            except (OSError, netrc.NetrcParseError):
                found = None
        if not found:
            return None
        user, password = found[0] or "", found[2] or ""
    for what, value in (("user name", user), ("password", password)):
        if "\n" in value or "\r" in value:
            raise ConfigError(f"repository {repo.id}: its {what} holds a line break")
    redact.register(password)
    if user and password:
        redact.register_pair(user, password)
    return user, password


def _local_path(url: str) -> Path | None:
    """The path on this machine a file:// URL names, when it exists here."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    path = Path(unquote(parts.path))
    return path if path.exists() else None


def section(repo: Repo, baseurl: str, keys: tuple[str, ...], login: tuple[str, str] | None) -> str:
    """The repository's `[id]` section as the instance's repository file holds it."""
    lines = [
        f"[{repo.id}]",
        f"name={repo.id}",
        f"baseurl={baseurl}",
        "enabled=1",
        f"gpgcheck={int(repo.gpgcheck)}",
        # A repository that cannot be read fails the install, naming it, as on the bake.
        "skip_if_unavailable=0",
        *([f"gpgkey={' '.join(keys)}"] if keys else []),
        *(f"{k}={v}" for k, v in repo.options),
    ]
    if login is not None:
        lines += [f"username={login[0]}", f"password={login[1]}"]
    return "\n".join(lines) + "\n"


@contextmanager
def archive(repos: tuple[Repo, ...], environ: Mapping[str, str]) -> Iterator[BinaryIO]:
    """A tar (at /) of the repository file and the copies of local folders and keys."""
    with tempfile.TemporaryFile(prefix="rpmkit-repos-") as raw:
        with tarfile.open(fileobj=raw, mode="w", dereference=True) as tar:
            text = []
            for repo in repos:
                urls = []
                for n, url in enumerate(repo.baseurl.split()):
                    local = _local_path(url)
                    if local is not None and local.is_dir():
                        inside = f"{COPIES}/{repo.id}" + (f"-{n}" if n else "")
                        tar.add(str(local), arcname=inside.lstrip("/"))
                        url = f"file://{inside}"
                    urls.append(url)
                keys = []
                for n, key in enumerate(repo.gpgkeys):
                    local = _local_path(key)
                    if local is not None and local.is_file():
                        inside = f"{COPIES}/keys/{repo.id}-{n}.asc"
                        tar.add(str(local), arcname=inside.lstrip("/"))
                        key = f"file://{inside}"
                    keys.append(key)
                login = credentials(repo, environ)
                text.append(section(repo, " ".join(urls), tuple(keys), login))
            data = "\n".join(text).encode()
            info = tarfile.TarInfo(REPO_FILE.lstrip("/"))
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
        raw.seek(0)
        yield raw


def put(
    container: Container, repos: tuple[Repo, ...], environ: Mapping[str, str] | None = None
) -> None:
    """Write the repositories (and copies of local folders and keys) into the instance."""
    with archive(repos, os.environ if environ is None else environ) as data:
        container.put_archive("/", data)  # type: ignore[arg-type]


def removal(keep: bool) -> str:
    """Shell text run before boot: the repositories go (or, kept, lose their credentials)."""
    if keep:
        return f"[ -f {REPO_FILE} ] && sed -i '/^username=/d;/^password=/d' {REPO_FILE}\n"
    return f"rm -rf {REPO_FILE} {COPIES}\n"


def manager_options(profile: Profile, repos: tuple[Repo, ...]) -> list[str]:
    """The package manager's options that enable the repositories, each one strict.

    The profiles skip their image's own repositories when unreachable
    (`*.skip_if_unavailable`); a later per-repository setting wins for these.
    """
    off = "False" if profile.package_manager.name == "dnf" else "0"
    options = []
    for repo in repos:
        options += [f"--enablerepo={repo.id}", f"--setopt={repo.id}.skip_if_unavailable={off}"]
    return options


def cache_parts(repos: tuple[Repo, ...]) -> list[dict[str, object]]:
    """What of each repository the check's cache key digests.

    A local folder by its repodata/repomd.xml (which createrepo rewrites on any
    change) and a local key by its bytes; a remote repository only by its URL.
    """
    parts = []
    for repo in repos:
        content = []
        for url in (*repo.baseurl.split(), *repo.gpgkeys):
            local = _local_path(url)
            if local is not None:
                target = local / "repodata" / "repomd.xml" if local.is_dir() else local
                try:
                    content.append(hashlib.sha256(target.read_bytes()).hexdigest())
                except OSError:
                    content.append("unreadable")
        parts.append(
            {"id": repo.id, "baseurl": redact.strip_userinfo(repo.baseurl),
             "gpgcheck": repo.gpgcheck, "gpgkeys": list(repo.gpgkeys),
             "options": list(repo.options), "content": content}
        )  # fmt: skip
    return parts


# dnf 4 and yum 3's own lines when a repository cannot be read.
_UNREADABLE = (
    re.compile(r"Failed to download metadata for repo '([^']+)'"),
    re.compile(r"failure: repodata/repomd\.xml from ([^:\s]+):"),
    re.compile(r"Cannot retrieve repository metadata \(repomd\.xml\) for repository: ([^.\s]+)"),
)
_REASON = re.compile(r"^\s*- (Curl error \(\d+\): .*?)(?: for \S+)?(?: \[.*\])?$", re.M)
_FAILING = re.compile(r"Failing package is: (\S+)|Public key for (\S+?)(?:\.rpm)? is not installed")
_KEYS = re.compile(r"GPG Keys are configured as: (.+)$", re.M)
_KEY_REPO = re.compile(r'(?:listed for|for) the "([^"]+)" repository')


def failure(output: str, repos: tuple[Repo, ...]) -> str:
    """One line naming the repository that made the install fail, or "" when none did."""
    by_id = {r.id: r for r in repos}
    for regex in _UNREADABLE:
        for match in regex.finditer(output):
            repo = by_id.get(match[1])
            if repo is not None:
                reason = _REASON.search(output)
                why = f": {reason[1]}" if reason else ""
                url = redact.strip_userinfo(repo.baseurl)
                return f"repository {repo.id} ({repo.where}) could not be read at {url}{why}"
    failing = _FAILING.search(output)
    package = (failing[1] or failing[2]) if failing else "a package"
    named = {m[1] for m in _KEY_REPO.finditer(output)}
    configured = " ".join(m[1] for m in _KEYS.finditer(output))
    for repo in repos:
        inside = {f"{COPIES}/keys/{repo.id}-{n}.asc" for n in range(len(repo.gpgkeys))}
        if repo.id in named or any(k in configured for k in (*repo.gpgkeys, *inside)):
            keys = " ".join(redact.strip_userinfo(k) for k in repo.gpgkeys)
            return (
                f"repository {repo.id} ({repo.where}): GPG check failed for {package}: "
                f"its gpgkey {keys} does not verify it"
            )
    return ""


def sources_script(profile: Profile, names: list[str]) -> str:
    """Shell text listing `NEVRA REPO` of every package the install's transaction added.

    The transaction is the checked package's (rpm's INSTALLTID); the repository
    each came from is the package manager's record (`installed_from` in profile.toml).
    """
    pm = profile.package_manager
    query = " ".join('"$@"' if a == "{packages}" else shlex.quote(a) for a in pm.installed_from)
    first = shlex.quote(names[0])
    return f"""\
tid=$(rpm -q --qf '%{{INSTALLTID}}\\n' -- {first} | head -n 1)
set -- $(rpm -qa --qf '%{{INSTALLTID}} %{{NAME}}\\n' | awk -v t="$tid" '$1 == t {{print $2}}')
[ $# -gt 0 ] || exit 0
exec {query}
"""


def parse_sources(text: str, checked: set[str]) -> tuple[tuple[str, str], ...]:
    """(NEVRA, repository) of each dependency in `sources_script`'s output.

    `checked` are the names of the RPMs checked, which are not dependencies.
    """
    found = []
    for line in text.splitlines():
        words = line.split()
        if len(words) == 2 and words[0].rsplit("-", 2)[0] not in checked:
            found.append((words[0], words[1].lstrip("@")))
    return tuple(sorted(set(found)))

"""One redaction function for everything rpmkit prints or writes.

Credentials reach rpmkit in a few well-known shapes: userinfo in a URL
(`https://user:token@host/simple`), a token in a query string
(`?access_token=...`), an `Authorization:` header value (`Basic <base64>`,
`Bearer <token>`) a server echoes back, and values rpmkit knows are secret:
the publish credentials, the passwords of the netrc file, and environment
variables whose names say they hold one (`*PASSWORD*`, `*TOKEN*`, `*SECRET*`,
`*_KEY`, ...) or URLs with userinfo (proxy variables, `PIP_INDEX_URL`). A
known value is hidden in each form it can take on the way out: plain,
percent-encoded (as in a URL), HTML- and JSON-escaped (as an error page or an
API echoes it) and base64-encoded at any byte offset, alone or as
`user:password` (HTTP Basic authentication, RFC 7617).

`redact(text)` applies all of it; `scrub(value)` does the same inside a JSON
value before it is serialised (escaping would otherwise hide a value from the
text patterns). Every output channel goes through one of them: the error
handler, progress lines, build and hand-off logs, reports and receipts.
"""

from __future__ import annotations

import base64
import html
import json
import netrc
import os
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import quote, quote_plus, unquote, urlsplit

_T = TypeVar("_T")
MASK = "***"
# Shorter values would mask ordinary words everywhere; such values are not secrets worth the name.
MIN_SECRET = 4
# Environment variable names that hold a secret: AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN,
# RPMKIT_PUBLISH_PASSWORD, RPMKIT_RECEIPT_KEY, ARTIFACTORY_API_KEY, ...
# Also the short forms CI systems use: ARTIFACTORY_PASS, SMTP_PWD (not PWD, the working
# directory), GH_PAT, CI_JOB_JWT, PRIVATE_KEY_PEM, DOCKER_AUTH_CONFIG.
_SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|APIKEY|API_KEY|_KEY$|^KEY$|_AUTH$"
    r"|_PASS$|^PASS$|_PWD$|_PAT$|^PAT$|JWT|PRIVATE_KEY|AUTH_CONFIG",
    re.IGNORECASE,
)
# Keys of a JSON secret whose string values are secrets themselves ({"auths": {"r": {"auth":..}}}).
_SECRET_KEY = re.compile(r"auth|pass|token|secret|key", re.IGNORECASE)
# Lines of a multi-line secret (a PEM key) this long are masked one by one too.
MIN_SECRET_LINE = 16

# scheme://userinfo@ : everything before the last '@' of the authority is userinfo.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#\s\"'<>]+)@")
# A query or form parameter whose name says it carries a secret.
_QUERY = re.compile(
    r"(?P<key>[?&;](?:[^=&\s#]*?)(?:token|key|secret|password|passwd|pwd|sig|signature|"
    r"credential|auth|session)[^=&\s#]*=)(?P<value>[^&\s#\"'<>]+)",
    re.IGNORECASE,
)
# An Authorization header as a server or a log shows it: `Authorization: Basic dXNlcjpw...`,
# `"authorization": "Bearer ..."`, `Proxy-Authorization=...`.
_HEADER = re.compile(
    r"(?P<key>(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:[A-Za-z-]+\s+)?)"
    r"(?P<value>[^\s\"'<>,;]+)",
    re.IGNORECASE,
)
# A credential scheme followed by what looks like a token (has a digit or + / =), anywhere.
_SCHEME_TOKEN = re.compile(
    r"(?P<key>\b(?:Basic|Bearer)\s+)(?P<value>(?=[A-Za-z0-9+/._~-]*[0-9+/=])[A-Za-z0-9+/._~-]{8,}=*)"
)

_registered: set[str] = set()


def register(*values: str | None) -> None:
    """Add values rpmkit learned are secret (credentials it resolved itself)."""
    for value in values:
        if value and len(value) >= MIN_SECRET:
            _registered.add(value)


def register_pair(user: str, password: str) -> None:
    """Add a user and password pair: the password, and `user:password` as Basic auth sends it."""
    register(password)
    if password and len(password) >= MIN_SECRET:
        _registered.add(f"{user}:{password}")


def reset() -> None:
    """Forget registered values and re-read the environment (each CLI run starts with it)."""
    _registered.clear()
    _ENV_CACHE.clear()


def variants(value: str) -> set[str]:
    """The literal forms a secret can take on the way out.

    Plain; percent-encoded (as in a URL, with upper- or lower-case hex digits,
    RFC 3986 section 2.1 allows both); HTML-escaped (as an error page echoes it);
    JSON-escaped (Python's and Go's `\\u0026` style, `\\/` too); and the whole
    base64 encoding. Base64 at other byte offsets is matched by `base64_patterns`.
    """
    forms = {value, base64.b64encode(value.encode("utf-8")).decode("ascii")}
    for pct in (quote(value, safe=""), quote_plus(value, safe=""), quote(value)):
        forms |= {pct, _lower_hex(pct)}
    for escaped in (html.escape(value), html.escape(value, quote=False)):
        forms |= {escaped, escaped.replace("&#x27;", "&#39;")}
    for ascii_only in (True, False):
        text = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        go = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
        for form in (text, go, text.replace("/", "\\/"), go.replace("/", "\\/")):
            forms |= {form, _upper_unicode_hex(form)}
    return {form for form in forms if len(form) >= MIN_SECRET}


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_URL = _B64[:62] + "-_"


def base64_patterns(value: str) -> list[tuple[str, re.Pattern[str]]]:
    """Regular expressions for `value` base64-encoded at each of the three byte offsets.

    Returns (core, pattern) pairs: the core is the run of characters made of the
    value's bits alone; the pattern adds the partial characters on either side
    (restricted to those the value's own bits allow) and any `=` padding, so that
    no character carrying the value's bits is left visible. Both the standard and
    the URL-safe alphabet (RFC 4648 sections 4 and 5) are covered.
    """
    bits = "".join(f"{byte:08b}" for byte in value.encode("utf-8"))
    found: dict[str, re.Pattern[str]] = {}
    for alphabet in (_B64, _B64_URL):
        for pad in range(3):
            lead = (6 - (8 * pad) % 6) % 6  # value bits in the leading partial character
            body = bits[lead:]
            full, tail = divmod(len(body), 6)
            core = "".join(alphabet[int(body[6 * i : 6 * i + 6], 2)] for i in range(full))
            if len(core) < MIN_SECRET:
                continue
            regex = re.escape(core)
            if lead:
                low = int(bits[:lead], 2)
                chars = [c for i, c in enumerate(alphabet) if i % (1 << lead) == low]
                regex = f"[{''.join(map(re.escape, chars))}]?{regex}"
            if tail:
                high = int(body[6 * full :], 2)
                chars = [c for i, c in enumerate(alphabet) if i >> (6 - tail) == high]
                regex = f"{regex}(?:[{''.join(map(re.escape, chars))}]=*)?"
            found[core] = re.compile(regex)
    return sorted(found.items())


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), text)


def _upper_unicode_hex(text: str) -> str:
    return re.sub(r"\\u[0-9a-f]{4}", lambda m: "\\u" + m[0][2:].upper(), text)


# os.environ's secrets, read at most once a second: a build log is redacted line by line.
_ENV_CACHE: dict[str, tuple[float, frozenset[str]]] = {}
ENV_TTL = 1.0


def known_secrets(environ: Mapping[str, str] | None = None) -> set[str]:
    """Secret values from the environment, the netrc file and what was registered."""
    if environ is not None:
        return set(_registered) | _environment_secrets(environ)
    now = time.monotonic()
    cached = _ENV_CACHE.get("os.environ")
    if cached is None or now - cached[0] > ENV_TTL:
        cached = (now, frozenset(_environment_secrets(os.environ)))
        _ENV_CACHE["os.environ"] = cached
    return set(_registered) | cached[1]


def _environment_secrets(env: Mapping[str, str]) -> set[str]:
    found: set[str] = set()
    for name, value in env.items():
        if secret_name(name) and value:
            found.add(value)
            found.update(_parts(value))
        if name.upper().endswith("_PROXY") and "://" not in value and "@" in value:
            value = f"http://{value}"  # `user:pass@proxy:3128` works without a scheme too
        if "://" in value:
            found.update(_userinfo_secrets(value))
    found.update(_netrc_secrets(env))
    return {value for value in found if len(value) >= MIN_SECRET}


def secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret (`_SECRET_NAME`)."""
    return bool(_SECRET_NAME.search(name))


def _parts(value: str) -> set[str]:
    """What a secret value holds that may be printed alone: the lines of a PEM key, the
    strings of a JSON document (DOCKER_AUTH_CONFIG's `auth`)."""
    found = {line.strip() for line in value.splitlines() if len(line.strip()) >= MIN_SECRET_LINE}
    if value.lstrip().startswith(("{", "[")):
        try:
            document = json.loads(value)
        except (ValueError, RecursionError):
            return found
        stack: list[tuple[str, Any]] = [("", document)]
        while stack:
            key, item = stack.pop()
            if isinstance(item, dict):
                stack.extend((str(k), v) for k, v in item.items())
            elif isinstance(item, list):
                stack.extend((key, v) for v in item)
            elif isinstance(item, str) and len(item) >= MIN_SECRET and _SECRET_KEY.search(key):
                found.add(item)
    return found


def _userinfo_secrets(value: str) -> set[str]:
    found = set()
    for match in _USERINFO.finditer(value):
        userinfo = match["userinfo"]
        user, _, password = userinfo.partition(":")
        found.add(userinfo)
        found.add(unquote(userinfo))
        if password:
            found.add(password)
            found.add(unquote(password))
            found.add(f"{unquote(user)}:{unquote(password)}")
        elif len(user) >= 8:  # a token given as the user name (GitHub, GitLab)
            found.add(unquote(user))
    return found


_NETRC_CACHE: dict[tuple[str, float], set[str]] = {}


def _netrc_secrets(env: Mapping[str, str]) -> set[str]:
    path = Path(env.get("NETRC") or Path(env.get("HOME") or Path.home()) / ".netrc")
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return set()
    key = (str(path), mtime)
    if key not in _NETRC_CACHE:
        found: set[str] = set()
        try:
            hosts = netrc.netrc(str(path)).hosts
        except (netrc.NetrcParseError, OSError, UnicodeDecodeError):
            hosts = {}
        for login, account, password in hosts.values():
            for secret in (password, account):
                if secret:
                    found.add(secret)
            if login and password:
                found.add(f"{login}:{password}")
        _NETRC_CACHE.clear()
        _NETRC_CACHE[key] = found
    return _NETRC_CACHE[key]


_FORMS_CACHE: dict[frozenset[str], list[tuple[str, re.Pattern[str] | None]]] = {}


def _forms(secrets: Iterable[str]) -> list[tuple[str, re.Pattern[str] | None]]:
    """(literal, pattern) pairs: a pattern when the literal is a base64 core, longest first."""
    key = frozenset(secrets)
    if key not in _FORMS_CACHE:
        forms: dict[str, re.Pattern[str] | None] = {}
        for secret in key:
            forms.update(dict.fromkeys(variants(secret)))
            forms.update(base64_patterns(secret))
        _FORMS_CACHE.clear()
        # Longest first: a password inside `user:password` must not leave the rest visible.
        _FORMS_CACHE[key] = sorted(forms.items(), key=lambda item: len(item[0]), reverse=True)
    return _FORMS_CACHE[key]


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` with every credential it holds replaced by `***`.

    Known secret values (in each of their forms) go first, then the shapes:
    URL userinfo, secret-named query parameters, Authorization values and
    `Basic`/`Bearer` tokens. Text without any of them is returned unchanged.
    """
    if not text:
        return text
    for form, pattern in _forms(known_secrets(environ)):
        if form in text:
            text = text.replace(form, MASK) if pattern is None else pattern.sub(MASK, text)
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    text = _QUERY.sub(lambda m: f"{m['key']}{MASK}", text)
    text = _HEADER.sub(lambda m: f"{m['key']}{MASK}", text)
    return _SCHEME_TOKEN.sub(lambda m: f"{m['key']}{MASK}", text)


def scrub(value: _T, environ: Mapping[str, str] | None = None) -> _T:
    """`value` (JSON-like: dicts, lists, strings) with `redact` applied to every string in it."""
    return cast(_T, _scrub(value, environ))


def _scrub(value: Any, environ: Mapping[str, str] | None) -> Any:
    if isinstance(value, str):
        return redact(value, environ)
    if isinstance(value, dict):
        return {_scrub(k, environ): _scrub(v, environ) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, environ) for v in value]
    return value


def scrub_xml(root: Any) -> Any:
    """An ElementTree element with `redact` applied to every text, tail and attribute value."""
    for element in root.iter():
        if element.text:
            element.text = redact(element.text)
        if element.tail:
            element.tail = redact(element.tail)
        for key, value in element.attrib.items():
            element.set(key, redact(value))
    return root


def strip_userinfo(url: str) -> str:
    """`url` without its `user:password@` part (the host, path and query kept).

    A proxy written without a scheme (`user:pass@proxy:3128`) loses it too.
    """
    if "://" not in url:
        head, at, rest = url.rpartition("@")
        return rest if at and "/" not in head else url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


class RedactingStream:
    """A text stream that redacts each write before passing it on (stdout and stderr of the CLI)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        """Write `text` redacted; returns len(text), as callers count what they gave."""
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._inner.write(redact(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each line redacted."""
        for line in lines:
            self.write(line)

    @property
    def buffer(self) -> Any:
        """The binary stream under it, redacting too (click writes there when it re-encodes)."""
        return _RedactingBuffer(self._inner.buffer)

    def __getattr__(self, name: str) -> Any:
        # flush, isatty, fileno, encoding, errors ...: those of the real stream.
        return getattr(self._inner, name)


class _RedactingBuffer:
    """A binary stream that redacts each write (decoded as UTF-8, undecodable bytes kept)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, data: bytes) -> int:
        text = bytes(data).decode("utf-8", "surrogateescape")
        self._inner.write(redact(text).encode("utf-8", "surrogateescape"))
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

"""Receipts: proof that a check of these exact bytes passed, in one versioned format.

A receipt (`<rpm file name>.receipt.json`, format `rpmkit.receipt/2`) binds:

- the RPM: its file name, the sha256 of the bytes installed (hashed once,
  before the install, from a private copy), its size and the header's NEVRA;
- the check: tier (`booted` or `static`), whether health was checked, the
  settle window in seconds, the RPMs upgraded from (by sha256), the
  repositories the install saw, units declared as not started at boot;
- the target: profile, architecture, runtime image (content-addressed tag and
  engine id), and whether that image was built on a stand-in base;
- the cache key the check's inputs hash to, rpmkit's version, the time;
- a digest of all of that: HMAC-SHA256 with RPMKIT_RECEIPT_KEY when set (a
  pipeline can then detect a forged receipt), plain SHA-256 otherwise (which
  only catches accidental edits).

Writer and reader share `Receipt`: `Receipt.to_json()` and `Receipt.parse()`.
Parsing never crashes on garbage: anything off is `ReceiptInvalid`, one line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rpmkit import atomic
from rpmkit.errors import ConfigError, RpmkitError
from rpmkit.rpm import Nevra

FORMAT = "rpmkit.receipt/2"
KEY_ENV = "RPMKIT_RECEIPT_KEY"
SUFFIX = ".receipt.json"


class ReceiptInvalid(RpmkitError):
    """A receipt that cannot be read as one (exit 1 at the gate)."""

    exit_code = 1


@dataclass(frozen=True)
class RpmRecord:
    """The RPM a receipt is for."""

    file: str
    sha256: str
    size: int
    nevra: Nevra


@dataclass(frozen=True)
class CheckRecord:
    """How it was checked."""

    # "booted" (a fresh install, booted, verified), "static" (--no-boot) or "upgrade"
    # (--upgrade-from: the upgrade path, not the fresh install a bake does).
    tier: str
    health_checked: bool
    settle: float  # seconds the service had to stay up, without restarts, after health passed
    upgrade_from: tuple[str, ...] = ()  # sha256 of each RPM upgraded from
    repositories: tuple[str, ...] = ()  # name=baseurl of each repository the install saw
    not_at_boot: tuple[str, ...] = ()  # units declared as not started at boot
    checks: tuple[tuple[str, str, bool, bool], ...] = ()  # (stage, name, ok, warning)
    app: str = ""  # the app whose config defined the check; "" for bare RPM files
    with_rpms: tuple[str, ...] = ()  # sha256 of the RPMs installed together with this one
    probe: str = ""  # the health probe as "PORT PATH STATUS"; "" when health was not checked


@dataclass(frozen=True)
class TargetRecord:
    """What it was checked on."""

    profile: str
    arch: str  # the target machine's architecture (x86_64, aarch64)
    runtime_image: str  # content-addressed tag
    runtime_image_id: str
    stand_in: bool = False  # the image was built on a stand-in base (tests), never for the gate


@dataclass(frozen=True)
class Receipt:
    """A receipt's content, without its digest."""

    rpm: RpmRecord
    check: CheckRecord
    target: TargetRecord
    checked_at: str  # UTC, 2026-11-05T10:20:30Z
    rpmkit_version: str
    cache_key: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds

    def body(self) -> dict[str, Any]:
        """The JSON object, without the digest."""
        content = asdict(self)
        content["rpm"]["nevra"] = asdict(self.rpm.nevra)
        content["check"]["checks"] = [
            {"stage": s, "name": n, "ok": ok, "warning": w} for s, n, ok, w in self.check.checks
        ]
        return {"format": FORMAT, **content}

    def to_json(self, key: str | None = None) -> str:
        """The receipt file's text, digest included."""
        body = self.body()
        body["digest"] = digest(body, key)
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    @classmethod
    def parse(cls, text: str, key: str | None = None, where: str = "receipt") -> Receipt:
        """Read a receipt file's text and verify its digest; ReceiptInvalid on anything off.

        With `key` (RPMKIT_RECEIPT_KEY) only an HMAC made with that key is
        accepted; without it an HMAC receipt cannot be verified and is refused.
        """
        try:
            content = json.loads(text)
        except ValueError as exc:
            raise ReceiptInvalid(f"{where}: not JSON ({exc})") from None
        except RecursionError:
            raise ReceiptInvalid(
                f"{where}: not JSON a receipt can be (nested too deeply)"
            ) from None
        if not isinstance(content, dict):
            raise ReceiptInvalid(f"{where}: not a JSON object")
        fmt = content.get("format")
        if fmt != FORMAT:
            shown = repr(fmt)[:40]
            raise ReceiptInvalid(
                f"{where}: receipt format {shown} is not {FORMAT}, the one this rpmkit reads",
                hint="check the RPM again with this rpmkit",
            )
        try:
            _verify_digest(content, key, where)
            return _from_json(content)
        except (KeyError, TypeError, ValueError) as exc:
            raise ReceiptInvalid(f"{where}: malformed receipt ({_why(exc)})") from None
        except RecursionError:
            raise ReceiptInvalid(f"{where}: malformed receipt (nested too deeply)") from None


def digest(content: dict[str, Any], key: str | None = None) -> dict[str, str]:
    """The digest of a receipt's content (everything but the digest itself)."""
    body = {k: v for k, v in content.items() if k != "digest"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    if key:
        mac = hmac.new(key.encode(), canonical, hashlib.sha256).hexdigest()
        return {"algorithm": "hmac-sha256", "value": mac}
    return {"algorithm": "sha256", "value": hashlib.sha256(canonical).hexdigest()}


def signing_key(environ: Mapping[str, str] | None = None) -> str | None:
    """The receipt key from `RPMKIT_RECEIPT_KEY`, None when it is not set.

    Set but empty is refused (ConfigError, exit 2): CI systems give a fork's pull
    request an empty secret, and a misspelt secret name does the same; the keyed
    gate must not silently become an unkeyed one.
    """
    env = os.environ if environ is None else environ
    if KEY_ENV not in env:
        return None
    value = env[KEY_ENV]
    if not value.strip():
        raise ConfigError(
            f"{KEY_ENV} is set but empty",
            hint="give it the key, or unset it to write and accept unsigned receipts",
        )
    return value


def path_for(rpm: Path, dist: Path | None = None) -> Path:
    """`<dist or the RPM's folder>/<rpm file name>.receipt.json`."""
    return (dist or rpm.parent) / f"{rpm.name}{SUFFIX}"


def write(receipt: Receipt, path: Path) -> Path:
    """Write a receipt atomically, mode 0666 minus the umask (`rpmkit.atomic.write`)."""
    return atomic.write(path, receipt.to_json(signing_key()).encode("utf-8"))


def discard(rpm: Path) -> bool:
    """Remove an RPM's receipt (a later check failed); True when there was one."""
    path = path_for(rpm)
    if path.is_file():
        path.unlink()
        return True
    return False


def _verify_digest(content: dict[str, Any], key: str | None, where: str) -> None:
    stored = content.get("digest")
    if not isinstance(stored, dict) or not isinstance(stored.get("value"), str):
        raise ReceiptInvalid(f"{where}: the receipt has no digest")
    algorithm = stored.get("algorithm")
    if algorithm == "hmac-sha256" and not key:
        raise ReceiptInvalid(
            f"{where}: the receipt is signed (hmac-sha256) but {KEY_ENV} is not set",
            hint=f"set {KEY_ENV} to the key the check used",
        )
    if key and algorithm != "hmac-sha256":
        raise ReceiptInvalid(
            f"{where}: the receipt is not signed, and {KEY_ENV} is set, so a signed one is "
            "required",
            hint=f"check the RPM again with {KEY_ENV} set",
        )
    if algorithm not in ("sha256", "hmac-sha256"):
        raise ReceiptInvalid(f"{where}: unknown digest algorithm {str(algorithm)[:40]!r}")
    expected = digest(content, key)["value"]
    value = stored["value"]
    if not value.isascii() or not hmac.compare_digest(value, expected):
        why = "edited after the check, or signed with another key" if key else "edited"
        raise ReceiptInvalid(f"{where}: the receipt's digest does not match its content ({why})")


def _typed(value: Any, kind: type, name: str) -> Any:
    # bool is an int in Python; a receipt's numbers are never booleans.
    if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
        raise TypeError(f"{name} is not {kind.__name__}")
    return value


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} is not a number")
    return float(value)


def _strings(value: Any, name: str) -> tuple[str, ...]:
    items = _typed(value, list, name)
    return tuple(_typed(v, str, name) for v in items)


def _from_json(c: dict[str, Any]) -> Receipt:
    r, k, t = _typed(c["rpm"], dict, "rpm"), _typed(c["check"], dict, "check"), c["target"]
    t = _typed(t, dict, "target")
    n = _typed(r["nevra"], dict, "rpm.nevra")
    epoch = n.get("epoch")
    nevra = Nevra(
        _typed(n["name"], str, "name"),
        None if epoch is None else _typed(epoch, int, "epoch"),
        _typed(n["version"], str, "version"),
        _typed(n["release"], str, "release"),
        _typed(n["arch"], str, "arch"),
    )
    checks = tuple(
        (
            _typed(_typed(x, dict, "check")["stage"], str, "stage"),
            _typed(x["name"], str, "name"),
            _typed(x["ok"], bool, "ok"),
            _typed(x["warning"], bool, "warning"),
        )
        for x in _typed(k.get("checks", []), list, "checks")
    )
    timings = _typed(c.get("timings", {}), dict, "timings")
    return Receipt(
        rpm=RpmRecord(
            _typed(r["file"], str, "rpm.file"),
            _typed(r["sha256"], str, "rpm.sha256"),
            _typed(r["size"], int, "rpm.size"),
            nevra,
        ),
        check=CheckRecord(
            tier=_typed(k["tier"], str, "check.tier"),
            health_checked=_typed(k["health_checked"], bool, "check.health_checked"),
            settle=_number(k["settle"], "check.settle"),
            upgrade_from=_strings(k.get("upgrade_from", []), "check.upgrade_from"),
            repositories=_strings(k.get("repositories", []), "check.repositories"),
            not_at_boot=_strings(k.get("not_at_boot", []), "check.not_at_boot"),
            checks=checks,
            app=_typed(k.get("app", ""), str, "check.app"),
            with_rpms=_strings(k.get("with_rpms", []), "check.with_rpms"),
            probe=_typed(k.get("probe", ""), str, "check.probe"),
        ),
        target=TargetRecord(
            _typed(t["profile"], str, "target.profile"),
            _typed(t["arch"], str, "target.arch"),
            _typed(t["runtime_image"], str, "target.runtime_image"),
            _typed(t["runtime_image_id"], str, "target.runtime_image_id"),
            _typed(t.get("stand_in", False), bool, "target.stand_in"),
        ),
        checked_at=_typed(c["checked_at"], str, "checked_at"),
        rpmkit_version=_typed(c["rpmkit_version"], str, "rpmkit_version"),
        cache_key=_typed(c.get("cache_key", ""), str, "cache_key"),
        timings={str(s): _number(v, f"timings.{s}") for s, v in timings.items()},
    )


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no {exc.args[0]!s:.40}"
    return str(exc)[:120]

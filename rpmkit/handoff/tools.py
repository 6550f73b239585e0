"""Hand-off to the real tools: aminate bakes the AMI, the deploy tool rolls it out.

Each command is built from its configured template by a pure function (a
placeholder is filled in inside its own argument, never through a shell, so a
value with spaces or `;` stays one argument), then run with its output
streamed and kept, and its result parsed.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpmkit.errors import ConfigError, HandoffError
from rpmkit.redact import redact, scrub
from rpmkit.rpm import Nevra

if TYPE_CHECKING:
    from rpmkit.config import AppConfig
    from rpmkit.handoff.config import Environment

RECORD_FORMAT = 1
AMINATE_LOG = "aminate.out"
TAIL_LINES = 20
# aminator logs `AMI registered: <ami-id> <name>` once the image is registered, and
# `id: <ami-id>` among the image's metadata at the end.
_REGISTERED = re.compile(r"AMI registered: (ami-[0-9a-f]{8,17})\b")
_ID = re.compile(r"\bid: (ami-[0-9a-f]{8,17})\b")
_RPM_FILE = re.compile(
    r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<release>[^-]+)\.(?P<arch>[^.-]+)\.rpm$"
)

Echo = Callable[[str], None]


@dataclass(frozen=True)
class RpmName:
    """What an RPM's file name says about it."""

    name: str
    version: str
    release: str
    arch: str


@dataclass(frozen=True)
class Completed:
    """A finished command: its argument list, exit status and output."""

    argv: tuple[str, ...]
    returncode: int
    output: str
    log: Path | None = None

    def tail(self, lines: int = TAIL_LINES) -> str:
        """The last lines of its output."""
        return "\n".join(self.output.rstrip().splitlines()[-lines:])


@dataclass(frozen=True)
class BakeRecord:
    """What `rpmkit bake` made: the AMI, and the RPM in it."""

    path: Path
    ami: str
    rpm_sha256: str
    baked_at: str
    log: str


def rpm_name(rpm: Path) -> RpmName:
    """Name, version, release and arch from `NAME-VERSION-RELEASE.ARCH.rpm`."""
    match = _RPM_FILE.match(rpm.name)
    if not match:
        raise ConfigError(f"{rpm}: not a binary RPM file name (NAME-VERSION-RELEASE.ARCH.rpm)")
    return RpmName(**match.groupdict())


def uses(template: Sequence[str], placeholder: str) -> bool:
    """True when a command template mentions `{placeholder}`."""
    from rpmkit.handoff.config import template_fields

    return any(placeholder in template_fields(arg) for arg in template)


def render(template: Sequence[str], values: Mapping[str, str], where: str) -> list[str]:
    """The argument list: each placeholder filled in within its own argument."""
    argv = []
    for arg in template:
        try:
            argv.append(arg.format_map(values))
        except KeyError as exc:
            raise ConfigError(f"{where}: no value for placeholder {{{exc.args[0]}}}") from None
        except (ValueError, IndexError, AttributeError) as exc:
            raise ConfigError(f"{where}: argument {arg!r}: {exc}") from None
    return argv


def bake_values(rpm: Path, base_ami: str | None, nevra: Nevra, sha256: str) -> dict[str, str]:
    """The values `bake.command`'s placeholders take, from the RPM's header (not its name)."""
    values = {
        "name": nevra.name,
        "version": nevra.version,
        "release": nevra.release,
        "arch": nevra.arch,
        "nevra": str(nevra),
        "sha256": sha256,
        "rpm": str(rpm.resolve()),
    }
    if base_ami:
        values["base_ami"] = base_ami
    return values


def environment(app: AppConfig, env: str) -> Environment:
    """An environment's settings from `[deploy.environments.<env>]`."""
    known = app.deploy.environments
    if env not in known:
        names = ", ".join(sorted(known)) or "none"
        raise ConfigError(
            f"no environment {env!r} in the app config (configured: {names})",
            hint=f"add [deploy.environments.{env}] with instance_type, min and max",
        )
    return known[env]


def deploy_values(app: AppConfig, env: str, ami: str, sizing: Environment) -> dict[str, str]:
    """The values `deploy.command`'s placeholders take."""
    return {
        "name": app.name,
        "version": app.version,
        "release": app.release,
        "env": env,
        "ami": ami,
        "instance_type": sizing.instance_type,
        "min": str(sizing.min),
        "max": str(sizing.max),
    }


def scaffold_values(app: AppConfig, env: str) -> dict[str, str]:
    """The values `scaffold.command`'s placeholders take: the check's own health check."""
    health = app.health_check
    balancer = health.load_balancer
    return {
        "name": app.name,
        "env": env,
        "health_path": health.path,
        "port": str(health.port),
        "protocol": app.scaffold.protocol,
        "interval": _number(balancer.interval),
        "timeout": _number(balancer.timeout),
        "healthy_threshold": str(balancer.healthy_threshold),
        "unhealthy_threshold": str(balancer.unhealthy_threshold),
    }


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def parse_ami(output: str) -> str | None:
    """The AMI id in aminator's output: its `AMI registered:` line, else an `id:` line."""
    for pattern in (_REGISTERED, _ID):
        found = pattern.findall(output)
        if found:
            return str(found[-1])
    return None


STOP_GRACE = 60.0  # seconds a stopped tool has to clean up before it is killed


def run(argv: Sequence[str], on_line: Echo, log: Path | None = None) -> Completed:
    """Run a command without a shell, streaming its output line by line (and into `log`)."""
    lines: list[str] = []
    sink = log.open("w", encoding="utf-8") if log is not None else None
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            # Its own session: a terminal's Ctrl-C reaches it once, forwarded below, and
            # so do a SIGTERM or SIGHUP sent to rpmkit alone (CI cancelling a job).
            start_new_session=True,
        )
    except OSError as exc:
        if sink is not None:
            sink.close()
        raise HandoffError(
            f"cannot run {argv[0]}: {exc.strerror or exc}",
            hint="install it, or point the command in the app config at it",
        ) from None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            lines.append(line)
            on_line(line)
            if sink is not None:
                sink.write(redact(line) + "\n")
                sink.flush()
        returncode = proc.wait()
    except KeyboardInterrupt as exc:
        # Pass the stop on (aminate unmounts and detaches its volumes on SIGINT and
        # SIGTERM), give it time to clean up, then end it.
        signum = getattr(exc, "signum", signal.SIGINT)
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)
        try:
            proc.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    finally:
        if sink is not None:
            sink.close()
    return Completed(tuple(argv), returncode, "\n".join(lines), log)


def call(argv: Sequence[str], on_line: Echo, log: Path | None = None) -> Completed:
    """Run a command; HandoffError with its last lines when it exits non-zero."""
    done = run(argv, on_line, log)
    if done.returncode != 0:
        where = f"; full log: {log}" if log else ""
        raise HandoffError(
            f"`{shlex.join(argv)}` exited with status {done.returncode}{where}",
            details=done.tail() or "(no output)",
        )
    return done


def record_path(rpm: Path) -> Path:
    """`<rpm>.bake.json`, next to the RPM and its receipt."""
    return rpm.parent / f"{rpm.name}.bake.json"


def installed_nevras(output: str, name: str) -> list[str]:
    """The NEVRAs of package `name` that yum or dnf reports installing in aminate's output.

    yum: `Installed:` then `  hello-1.0-1.x86_64` (or `hello.x86_64 0:1.0-1`); dnf:
    `Installing: hello ... 1.0-1 ...` table rows and `Installed:` lists.
    """
    found = re.findall(rf"(?<![\w.+-]){re.escape(name)}-(\d[^\s]*?-[^\s-]+\.\w+)(?=\s|$)", output)
    yum = re.findall(rf"(?<![\w.+-]){re.escape(name)}\.(\w+) (?:\d+:)?([^\s]+-[^\s]+)", output)
    # dnf's and yum's transaction table: ` hello  noarch  2.0-1  team-repo  16 k`.
    table = re.findall(
        rf"^[ \t]*{re.escape(name)}[ \t]+(\w+)[ \t]+(?:\d+:)?(\S+-\S+)"
        r"[ \t]+\S+[ \t]+[\d.]+[ \t]*[kMG]?$",
        output,
        re.MULTILINE,
    )
    nevras = [f"{name}-{v}" for v in found]
    nevras += [f"{name}-{evr}.{arch}" for arch, evr in (*yum, *table)]
    return list(dict.fromkeys(nevras))


def bake(
    argv: Sequence[str], rpm: Path, sha256: str, on_line: Echo, nevra: Nevra | None = None
) -> BakeRecord:
    """Run aminate, find the AMI id in its output and write the bake record.

    When aminate's output shows which build of the package it installed and that is not
    `nevra` (the one the gate passed), the bake is refused: HandoffError, no record.
    """
    log = rpm.parent / AMINATE_LOG
    done = call(argv, on_line, log)
    if nevra is not None:
        seen = installed_nevras(done.output, nevra.name)
        others = [n for n in seen if n != str(nevra)]
        if others:
            raise HandoffError(
                f"aminate installed {', '.join(others)}, not {nevra} which the gate passed "
                f"(full log: {log})",
                hint="publish only the checked build, or pass {nevra} in bake.command",
            )
    ami = parse_ami(done.output)
    if ami is None:
        raise HandoffError(
            f"`{shlex.join(argv)}` printed no AMI id (no 'AMI registered: ami-...' line); "
            f"full log: {log}",
            details=done.tail() or "(no output)",
        )
    content: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "ami": ami,
        "rpm": {"file": rpm.name, "sha256": sha256, "nevra": str(nevra) if nevra else None},
        "baked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "log": str(log.resolve()),
        "command": list(argv),
    }
    path = record_path(rpm)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(scrub(content), indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return BakeRecord(path, ami, sha256, content["baked_at"], content["log"])


def read_record(rpm: Path) -> BakeRecord | None:
    """The RPM's bake record, or None when it was never baked."""
    path = record_path(rpm)
    if not path.is_file():
        return None
    try:
        content = json.loads(path.read_text())
        return BakeRecord(
            path,
            str(content["ami"]),
            str(content["rpm"]["sha256"]),
            str(content["baked_at"]),
            str(content["log"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{path}: not a readable bake record ({type(exc).__name__}: {exc})",
            hint="bake again, or pass --ami",
        ) from None

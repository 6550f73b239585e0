"""Profiles are data: `images/<name>/profile.toml` plus the files beside it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rpmkit import toml
from rpmkit.errors import ConfigError
from rpmkit.resources import images_dir

ROLES = ("builder", "runtime")


@dataclass(frozen=True)
class Base:
    """Where a profile's images start: a rootfs made from packages, or an existing image."""

    kind: str  # "rootfs" (mmdebstrap from distribution packages) or "image"
    image: str = ""  # for kind "image": e.g. amazonlinux:2023
    suite: str = ""  # for kind "rootfs"
    variant: str = "minbase"
    packages: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> packages
    pull_hint: str = ""


@dataclass(frozen=True)
class Boot:
    """How a runtime container boots with systemd as PID 1."""

    init: tuple[str, ...]
    cap_add: tuple[str, ...]
    security_opt: tuple[str, ...]
    tmpfs: tuple[str, ...]
    volumes: tuple[str, ...]
    environment: dict[str, str]
    stop_signal: str


@dataclass(frozen=True)
class PackageManager:
    """The commands a profile's package manager takes; `{repo}`/`{packages}` are filled in."""

    name: str
    install: tuple[str, ...]
    upgrade: tuple[str, ...]
    erase: tuple[str, ...]
    make_repo: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    """One target platform: base image, package manager, boot settings, image files."""

    name: str
    description: str
    base: Base
    boot: Boot
    package_manager: PackageManager
    dockerfiles: dict[str, str]  # role -> Dockerfile name inside `directory`
    python: str  # the target's Python, as pip's --python-version wants it
    directory: Path

    def image_repository(self, role: str) -> str:
        """The repository name rpmkit tags this profile's image for a role with."""
        return f"rpmkit/{self.name}-{role}"


def names() -> list[str]:
    """Every profile bundled with rpmkit."""
    return sorted(p.parent.name for p in images_dir().glob("*/profile.toml"))


@cache
def get(name: str) -> Profile:
    """Load one profile by name, or raise ConfigError listing the known ones."""
    path = images_dir() / name / "profile.toml"
    if not path.is_file():
        raise ConfigError(f"unknown profile {name!r}", hint=f"choose one of: {', '.join(names())}")
    return _parse(name, path.parent, toml.load(path))


def _parse(name: str, directory: Path, data: dict[str, Any]) -> Profile:
    try:
        base = data["base"]
        boot = data["boot"]
        pm = data["package_manager"]
        return Profile(
            name=name,
            description=data["description"],
            base=Base(
                kind=base["kind"],
                image=base.get("image", ""),
                suite=base.get("suite", ""),
                variant=base.get("variant", "minbase"),
                packages={k: tuple(v) for k, v in base.get("packages", {}).items()},
                pull_hint=base.get("pull_hint", ""),
            ),
            boot=Boot(
                init=tuple(boot["init"]),
                cap_add=tuple(boot.get("cap_add", ())),
                security_opt=tuple(boot.get("security_opt", ())),
                tmpfs=tuple(boot.get("tmpfs", ())),
                volumes=tuple(boot.get("volumes", ())),
                environment=dict(boot.get("environment", {})),
                stop_signal=boot.get("stop_signal", "SIGRTMIN+3"),
            ),
            package_manager=PackageManager(
                name=pm["name"],
                install=tuple(pm["install"]),
                upgrade=tuple(pm["upgrade"]),
                erase=tuple(pm["erase"]),
                make_repo=tuple(pm["make_repo"]),
            ),
            dockerfiles={role: data["images"][role]["dockerfile"] for role in ROLES},
            python=data["python"],
            directory=directory,
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{directory / 'profile.toml'}: missing or malformed {exc}") from exc


DEFAULT = "al2023"
FALLBACK = "offline"


def choose(
    explicit: str | None, configured: str | None, image_present: Callable[[str], bool]
) -> tuple[str, str | None]:
    """Pick --profile, else the app config, else al2023 if its base is local, else offline.

    Returns the name and a one-line note when the choice fell back. Never asks a registry.
    """
    if explicit:
        return explicit, None
    if configured:
        return configured, None
    default = get(DEFAULT)
    if default.base.image and image_present(default.base.image):
        return DEFAULT, None
    return FALLBACK, (
        f"using profile {FALLBACK}: {default.base.image} is not present locally "
        f"(pass --profile, or provide the image, to test on {DEFAULT})"
    )


def boot_options(profile: Profile) -> dict[str, Any]:
    """docker-py `containers.run` keyword arguments that boot systemd as PID 1."""
    boot = profile.boot
    volumes: dict[str, dict[str, str]] = {}
    for spec in boot.volumes:
        host, _, rest = spec.partition(":")
        bind, _, mode = rest.partition(":")
        volumes[host] = {"bind": bind, "mode": mode or "rw"}
    return {
        "command": list(boot.init),
        "cap_add": list(boot.cap_add),
        "security_opt": list(boot.security_opt),
        "tmpfs": {path: "" for path in boot.tmpfs},
        "volumes": volumes,
        "environment": dict(boot.environment),
        "stop_signal": boot.stop_signal,
    }

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
from rpmkit.target import facts
from rpmkit.values import shown

ROLES = ("builder", "runtime")
CGROUP_VERSIONS = (1, 2)
# Present only on a host whose /sys/fs/cgroup is the unified (v2) hierarchy.
CGROUP_V2_MARKER = "cgroup.controllers"


@dataclass(frozen=True)
class Base:
    """Where a profile's images start: a rootfs made from packages, or an existing image."""

    kind: str  # "rootfs" (mmdebstrap from distribution packages) or "image"
    image: str = ""  # for kind "image": e.g. amazonlinux:2023
    suite: str = ""  # for kind "rootfs"
    variant: str = "minbase"
    packages: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> packages
    pull_hint: str = ""
    # The target's /etc/os-release fields (ID, VERSION_ID); empty: the profile is itself
    # a stand-in (offline), and no image is checked against it.
    os_release: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Cgroup:
    """The boot settings that depend on the host's cgroup version."""

    volumes: tuple[str, ...] = ()
    cgroupns: str = ""  # "host" or "private"; empty: the engine's default
    unsupported: str = ""  # why this profile cannot boot on such a host, if it cannot


ENGINE_KINDS = ("docker", "podman")  # what `Engine.kind` says


@dataclass(frozen=True)
class EngineBoot:
    """What one engine kind needs beyond the [boot] settings (`[boot.engine.<kind>]`).

    Podman's Docker-compatible API takes Docker's settings; its own systemd
    mode is a libpod option that API does not take (and PID 1 here is
    rpmkit's install-then-boot entrypoint, not init), so what it needs is
    passed explicitly, as data.
    """

    environment: dict[str, str] = field(default_factory=dict)  # added to [boot]'s
    tmpfs: tuple[str, ...] | None = None  # None: [boot]'s
    stop_signal: str = ""  # "": [boot]'s


@dataclass(frozen=True)
class Boot:
    """How a runtime container boots with systemd as PID 1."""

    init: tuple[str, ...]
    cap_add: tuple[str, ...]
    security_opt: tuple[str, ...]
    tmpfs: tuple[str, ...]
    environment: dict[str, str]
    stop_signal: str
    cgroup: dict[int, Cgroup]  # host cgroup version (1, 2) -> its settings
    # Paths a baked image boots with empty (tmpfs on the target); emptied after install.
    # Both are the target's facts (images/<profile>/facts.toml).
    empty: tuple[str, ...] = ("/run",)
    sysctls: dict[str, str] = field(default_factory=dict)  # set on every instance
    engines: dict[str, EngineBoot] = field(default_factory=dict)  # engine kind -> its needs


@dataclass(frozen=True)
class PackageManager:
    """The commands a profile's package manager takes; `{repo}`/`{packages}` are filled in."""

    name: str
    install: tuple[str, ...]
    upgrade: tuple[str, ...]
    erase: tuple[str, ...]
    make_repo: tuple[str, ...]
    repo_file: str  # where the local repository's definition goes
    repo_config: str  # its text; `{repo}` is the directory holding the RPMs
    # Shell text for the images' package layer: install a role's packages, then drop
    # the caches so the layer holds no downloads.
    image_install: str = ""
    image_clean: str = ""
    # Prints `NEVRA REPO` for each installed package in `{packages}`: the repository it
    # came from, as the package manager recorded it.
    installed_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """One target platform: base image, package manager, boot settings, image files."""

    name: str
    description: str
    base: Base
    boot: Boot
    package_manager: PackageManager
    dockerfiles: dict[str, str]  # role -> Dockerfile name inside `directory`
    packages: dict[str, tuple[str, ...]]  # role -> what rpmkit installs on the base image
    python: str  # the target's Python, as pip's --python-version wants it
    directory: Path
    # The target machine's architecture as rpm names it (x86_64, aarch64): receipts
    # record it and the gate refuses another. Default: this machine's, which the
    # runtime containers run on (an arm64 AMI is checked on an arm64 host).
    arch: str = ""
    rpmlint: str = "2.x"  # the builder's rpmlint series: which check names it knows

    def image_repository(self, role: str) -> str:
        """The repository name rpmkit tags this profile's image for a role with."""
        return f"rpmkit/{self.name}-{role}"


def host_arch() -> str:
    """This machine's architecture as rpm names it (uname's arm64 is rpm's aarch64)."""
    import platform

    machine = platform.machine()
    return {"arm64": "aarch64", "amd64": "x86_64"}.get(machine.lower(), machine)


def names() -> list[str]:
    """Every profile bundled with rpmkit."""
    return sorted(p.parent.name for p in images_dir().glob("*/profile.toml"))


@cache
def get(name: str) -> Profile:
    """Load one profile by name, or raise ConfigError listing the known ones."""
    path = images_dir() / name / "profile.toml"
    if name not in names() or not path.is_file():  # a name, never a path to a profile
        raise ConfigError(
            f"unknown profile {shown(name)}", hint=f"choose one of: {', '.join(names())}"
        )
    return _parse(name, path.parent, toml.load(path))


def _parse(name: str, directory: Path, data: dict[str, Any]) -> Profile:
    try:
        base = data["base"]
        boot = data["boot"]
        pm = data["package_manager"]
        cgroups = boot["cgroup"]
        target = facts.load(name)
        return Profile(
            arch=data.get("arch") or host_arch(),
            name=name,
            description=data["description"],
            base=Base(
                kind=base["kind"],
                image=base.get("image", ""),
                suite=base.get("suite", ""),
                variant=base.get("variant", "minbase"),
                packages={k: tuple(v) for k, v in base.get("packages", {}).items()},
                pull_hint=base.get("pull_hint", ""),
                os_release=dict(base.get("os_release", {})),
            ),
            boot=Boot(
                init=tuple(boot["init"]),
                cap_add=tuple(boot.get("cap_add", ())),
                security_opt=tuple(boot.get("security_opt", ())),
                tmpfs=tuple(boot.get("tmpfs", ())),
                environment=dict(boot.get("environment", {})),
                stop_signal=boot.get("stop_signal", "SIGRTMIN+3"),
                empty=target.boot_empty,
                sysctls={s.name: s.value for s in target.sysctls},
                cgroup={
                    version: Cgroup(
                        volumes=tuple(cgroups[f"v{version}"].get("volumes", ())),
                        cgroupns=cgroups[f"v{version}"].get("cgroupns", ""),
                        unsupported=cgroups[f"v{version}"].get("unsupported", ""),
                    )
                    for version in CGROUP_VERSIONS
                },
                engines=_engines(directory, boot.get("engine", {})),
            ),
            package_manager=PackageManager(
                name=pm["name"],
                install=tuple(pm["install"]),
                upgrade=tuple(pm["upgrade"]),
                erase=tuple(pm["erase"]),
                make_repo=tuple(pm["make_repo"]),
                repo_file=pm["repo_file"],
                repo_config=pm["repo_config"],
                image_install=pm.get("image_install", ""),
                image_clean=pm.get("image_clean", ""),
                installed_from=tuple(pm.get("installed_from", ())),
            ),
            dockerfiles={role: data["images"][role]["dockerfile"] for role in ROLES},
            packages={role: tuple(data["images"][role].get("packages", ())) for role in ROLES},
            python=data["python"],
            directory=directory,
            rpmlint=data["rpmlint"],
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{directory / 'profile.toml'}: missing or malformed {exc}") from exc


def _engines(directory: Path, data: dict[str, Any]) -> dict[str, EngineBoot]:
    unknown = sorted(set(data) - set(ENGINE_KINDS))
    if unknown:
        raise ConfigError(
            f"{directory / 'profile.toml'}: boot.engine.{unknown[0]}: not an engine kind "
            f"({', '.join(ENGINE_KINDS)})"
        )
    return {
        kind: EngineBoot(
            environment=dict(table.get("environment", {})),
            tmpfs=tuple(table["tmpfs"]) if "tmpfs" in table else None,
            stop_signal=table.get("stop_signal", ""),
        )
        for kind, table in data.items()
    }


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


def cgroup_version(root: Path = Path("/sys/fs/cgroup")) -> int:
    """This host's cgroup version: 2 on a unified hierarchy, else 1 (v1 or hybrid)."""
    return 2 if (root / CGROUP_V2_MARKER).exists() else 1


def boot_limit(profile: Profile, cgroup: int | None = None) -> str:
    """Why the profile's systemd cannot boot on a host of this cgroup version ("" if it can)."""
    return profile.boot.cgroup[cgroup or cgroup_version()].unsupported


def boot_options(
    profile: Profile, cgroup: int | None = None, kind: str = "docker"
) -> dict[str, Any]:
    """docker-py `containers.run` keyword arguments that boot systemd as PID 1.

    The cgroup mounts (and namespace) follow the host's cgroup version, read
    from /sys/fs/cgroup unless `cgroup` says which (the engine's host's, for a
    remote engine); `kind` is the engine's (`Engine.kind`), whose
    `[boot.engine.<kind>]` settings apply on top.
    """
    boot = profile.boot
    settings = boot.cgroup[cgroup or cgroup_version()]
    volumes: dict[str, dict[str, str]] = {}
    for spec in settings.volumes:
        host, _, rest = spec.partition(":")
        bind, _, mode = rest.partition(":")
        volumes[host] = {"bind": bind, "mode": mode or "rw"}
    options: dict[str, Any] = {
        "command": list(boot.init),
        "cap_add": list(boot.cap_add),
        "security_opt": list(boot.security_opt),
        "tmpfs": {path: "" for path in boot.tmpfs},
        "volumes": volumes,
        "environment": dict(boot.environment),
        "stop_signal": boot.stop_signal,
    }
    extra = boot.engines.get(kind)
    if extra is not None:
        options["environment"].update(extra.environment)
        if extra.tmpfs is not None:
            options["tmpfs"] = {path: "" for path in extra.tmpfs}
        options["stop_signal"] = extra.stop_signal or options["stop_signal"]
    if boot.sysctls:
        # The target's kernel settings (Docker sets ip_unprivileged_port_start=0).
        options["sysctls"] = dict(boot.sysctls)
    if settings.cgroupns:
        options["cgroupns"] = settings.cgroupns
    return options

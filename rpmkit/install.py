"""Install: the local stand-in for the bake.

A fresh container from the profile's runtime image installs the RPMs the way
the bake does (dependencies checked, every scriptlet run, services NOT
running: PID 1 is still a shell), then `exec`s systemd in the same container.
No commit and no second container: the installed root boots where it was
installed. With `boot=False` the container idles instead, for the static tier.
"""

from __future__ import annotations

import io
import re
import shlex
import tarfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpmkit import labels
from rpmkit.engine import engine_is_local
from rpmkit.errors import ConfigError, InstallError
from rpmkit.profiles import Profile, boot_limit, boot_options

if TYPE_CHECKING:
    from docker import DockerClient

RPM_DIR = "/rpmkit/rpms"
# Not /tmp: on a booted instance dnf cannot read a repository there.
REPO_DIR = "/var/tmp/rpmkit-repo"
MARK = "@@rpmkit"
SCRIPTLET_FAILED = re.compile(
    r"(?:warning|error): %(\w+)\(([^)]*)\) scriptlet failed, (exit status \d+|signal \d+)"
)
DNF_SCRIPTLET_FAILED = re.compile(r"Error in (\w+) scriptlet in rpm package (\S+)")
# Debian's rpm warns on every install; it says nothing about the package.
DEBIAN_NOISE = ("rpm: RPM should not be used directly", "rpm: However assuming you know")
# rpm's RPMFILE_CONFIG flag.
CONFIG_FLAG = 1
UNIT_DIRS = ("/usr/lib/systemd/system/", "/lib/systemd/system/", "/etc/systemd/system/")
# Where SysV init scripts live: Amazon Linux's path, and the one /etc/init.d points to.
INIT_DIRS = ("/etc/rc.d/init.d/", "/etc/init.d/")


@dataclass(frozen=True)
class Package:
    """One RPM as its header describes it."""

    file: str
    name: str
    version: str
    release: str
    arch: str

    @property
    def nevra(self) -> str:
        """name-version-release.arch, as `rpm -q` prints it."""
        return f"{self.name}-{self.version}-{self.release}.{self.arch}"


@dataclass(frozen=True)
class PackageFile:
    """A path an RPM owns, and whether it is a %config file."""

    package: str
    path: str
    config: bool


@dataclass(frozen=True)
class Instance:
    """A container with the RPMs installed, booting (or idle for the static tier)."""

    container: Any = field(repr=False, compare=False)
    name: str
    profile: str
    image_id: str
    packages: tuple[Package, ...]
    files: tuple[PackageFile, ...]
    install_log: str
    install_seconds: float
    ports: dict[int, int]  # container port -> host port on 127.0.0.1
    booted: bool

    def units(self) -> list[str]:
        """The systemd units the RPMs ship."""
        suffixes = (".service", ".socket", ".timer")
        return sorted(
            {
                f.path.rsplit("/", 1)[1]
                for f in self.files
                if f.path.startswith(UNIT_DIRS) and f.path.endswith(suffixes)
            }
        )

    def init_scripts(self) -> list[str]:
        """The SysV init scripts the RPMs ship (their names, as chkconfig knows them)."""
        return sorted(
            {
                f.path[len(d) :]
                for f in self.files
                for d in INIT_DIRS
                if f.path.startswith(d) and f.path[len(d) :] and "/" not in f.path[len(d) :]
            }
        )


@dataclass(frozen=True)
class InstallOutcome:
    """What the install script reported, parsed from the container's output."""

    rc: int
    log: str
    packages: tuple[Package, ...]
    files: tuple[PackageFile, ...]
    scriptlet_failures: tuple[str, ...]
    resolved_with: str  # "rpm" or the package manager's name


def install_script(profile: Profile, boot: bool) -> str:
    """The shell script PID 1 runs: query, install, report, then become init (or idle)."""
    then = " ".join(shlex.quote(a) for a in profile.boot.init) if boot else "sleep infinity"
    return f"set -u\n{transaction_script(profile, RPM_DIR)}exec {then}\n"


def transaction_script(profile: Profile, rpm_dir: str, upgrade: bool = False) -> str:
    """Query the RPMs in `rpm_dir`, then install (or upgrade to) them; report the exit code.

    rpm itself checks dependencies and runs every scriptlet; when it reports
    failed dependencies, the profile's package manager resolves them from a
    local repository holding these RPMs (and whatever repositories its
    command leaves enabled). The local repository is defined in a repository
    file, which dnf and yum both read (yum has no --repofrompath).
    """
    pm = profile.package_manager
    make_repo = " ".join(shlex.quote(a.replace("{repo}", REPO_DIR)) for a in pm.make_repo)
    command = pm.upgrade if upgrade else pm.install
    resolve = " ".join(
        '"$@"' if a == "{packages}" else shlex.quote(a.replace("{repo}", REPO_DIR)) for a in command
    )
    repo_config = pm.repo_config.replace("{repo}", REPO_DIR).strip("\n")
    repo_file = shlex.quote(pm.repo_file)
    return f"""\
cd {rpm_dir} || exit 90
echo "{MARK} query"
rpm -qp --qf '{MARK} pkg %{{NAME}}\\t%{{VERSION}}\\t%{{RELEASE}}\\t%{{ARCH}}\\n' *.rpm
rpm -qp --qf '[{MARK} file %{{=NAME}}\\t%{{FILEFLAGS}}\\t%{{FILENAMES}}\\n]' *.rpm
echo "{MARK} install rpm"
out=$(rpm -U -v *.rpm 2>&1); rc=$?
printf '%s\\n' "$out"
if [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q 'Failed dependencies'; then
    echo "{MARK} install {pm.name}"
    set -- $(rpm -qp --qf '%{{NAME}} ' *.rpm)
    rm -rf {REPO_DIR} && mkdir -p {REPO_DIR} && cp *.rpm {REPO_DIR}/ && {make_repo} 2>&1
    mkdir -p "$(dirname {repo_file})" && cat > {repo_file} <<'RPMKIT_REPO'
{repo_config}
RPMKIT_REPO
    {resolve} 2>&1; rc=$?
fi
echo "{MARK} installed rc=$rc"
"""


def parse_output(text: str) -> InstallOutcome:
    """Turn the install script's output into packages, files, the exit code and failures."""
    packages: list[Package] = []
    files: list[PackageFile] = []
    log: list[str] = []
    rc = -1
    resolved_with = "rpm"
    for line in text.splitlines():
        if not line.startswith(MARK):
            if not line.startswith(DEBIAN_NOISE):
                log.append(line)
            continue
        kind, _, rest = line[len(MARK) + 1 :].partition(" ")
        if kind == "pkg":
            name, version, release, arch = rest.split("\t")
            packages.append(Package("", name, version, release, arch))
        elif kind == "file":
            name, flags, path = rest.split("\t", 2)
            if path != "(none)":
                files.append(PackageFile(name, path, bool(int(flags) & CONFIG_FLAG)))
        elif kind == "install":
            resolved_with = rest
        elif kind == "installed":
            rc = int(rest.removeprefix("rc="))
    log_text = "\n".join(log)
    failures = [f"%{m[0]}({m[1]}) failed: {m[2]}" for m in SCRIPTLET_FAILED.findall(log_text)]
    failures += [f"%{m[0].lower()}({m[1]}) failed" for m in DNF_SCRIPTLET_FAILED.findall(log_text)]
    return InstallOutcome(
        rc, log_text, tuple(packages), tuple(files), tuple(failures), resolved_with
    )


def _rpm_archive(rpms: list[Path]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for i, rpm in enumerate(rpms):
            # The original names may hold anything; the header says what the package is.
            tar.add(str(rpm), arcname=f"rpmkit/rpms/{i:02d}.rpm")
    return buf.getvalue()


def install(
    client: DockerClient,
    profile: Profile,
    image: str,
    rpms: list[Path],
    run_id: str,
    app: str,
    *,
    boot: bool = True,
    publish: tuple[int, ...] = (),
    timeout: float = 300.0,
    copy_rpms: bool = False,
) -> Instance:
    """Start a fresh runtime container, install the RPMs, and leave it booting (or idle).

    On a failed install the container is removed and InstallError carries the log.
    """
    name = f"rpmkit-{app}-{run_id}"
    # The boot settings follow the cgroup version of the engine's host.
    cgroup = None if engine_is_local() else _engine_cgroup_version(client)
    limit = boot_limit(profile, cgroup)
    if boot and limit:
        raise ConfigError(
            f"profile {profile.name} cannot boot here: {limit}",
            hint="check without booting (--no-boot), or on a cgroup v1 host "
            "(kernel option systemd.unified_cgroup_hierarchy=0)",
        )
    options = boot_options(profile, cgroup)
    options["command"] = ["sh", "-c", install_script(profile, boot)]
    # A local engine sees this machine's files: bind them read-only rather than
    # copying megabytes through the API. A remote engine gets a copy, and so does
    # a container that will be committed (`copy_rpms`): an image keeps its
    # container's bind-mount targets as volumes, which every instance would inherit.
    local = engine_is_local() and not copy_rpms
    if local:
        for i, rpm in enumerate(rpms):
            target = f"{RPM_DIR}/{i:02d}.rpm"
            options["volumes"][str(rpm.resolve())] = {"bind": target, "mode": "ro"}
    start = time.monotonic()
    container = client.containers.create(
        image,
        name=name,
        labels=labels.run_labels(run_id, app),
        ports={f"{port}/tcp": ("127.0.0.1", None) for port in publish},
        **options,
    )
    try:
        if not local:
            container.put_archive("/", _rpm_archive(rpms))
        container.start()
        outcome = parse_output(_read_until_installed(container, timeout))
        seconds = time.monotonic() - start
        _raise_on_failure(outcome)
        container.reload()
        ports = {
            int(key.split("/")[0]): int(value[0]["HostPort"])
            for key, value in (container.ports or {}).items()
            if value
        }
        packages = tuple(
            Package(str(rpms[i]), p.name, p.version, p.release, p.arch)
            for i, p in enumerate(outcome.packages)
        )
        return Instance(
            container=container,
            name=name,
            profile=profile.name,
            image_id=str(container.attrs.get("Image", "")),
            packages=packages,
            files=outcome.files,
            install_log=outcome.log,
            install_seconds=seconds,
            ports=ports,
            booted=boot,
        )
    except BaseException:
        with labels.gone_is_fine():
            container.remove(force=True, v=True)
        raise


def _engine_cgroup_version(client: DockerClient) -> int:
    """The cgroup version of a remote engine's host, as the engine reports it."""
    return 2 if str(client.info().get("CgroupVersion", "1")) == "2" else 1


def _read_until_installed(container: Any, timeout: float) -> str:
    """Follow the container's output until the install script reports its exit code."""
    chunks: list[bytes] = []
    done = threading.Event()

    def follow() -> None:
        for chunk in container.logs(stream=True, follow=True):
            chunks.append(chunk)
            if f"{MARK} installed rc=".encode() in b"".join(chunks[-3:]):
                break
        done.set()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    if not done.wait(timeout):
        raise InstallError(
            f"install did not finish in {timeout:.0f}s (a scriptlet waiting for input?)",
            details=_tail(b"".join(chunks).decode(errors="replace")),
        )
    text = b"".join(chunks).decode(errors="replace")
    marker = text.find(f"{MARK} installed rc=")
    if marker < 0:
        raise InstallError(
            "the install script ended without reporting (the container exited)",
            details=_tail(text),
        )
    return text[: text.find("\n", marker) + 1 or len(text)]


def _raise_on_failure(outcome: InstallOutcome) -> None:
    if outcome.rc != 0:
        missing = sorted(set(re.findall(r"nothing provides (.+?) needed by", outcome.log)))
        missing += sorted(set(re.findall(r"^\s+(.+?) is needed by", outcome.log, re.M)))
        what = f"missing dependencies: {', '.join(dict.fromkeys(missing))}" if missing else ""
        raise InstallError(
            f"install failed (exit {outcome.rc}" + (f"; {what})" if what else ")"),
            details=_tail(outcome.log, 30),
        )
    if outcome.scriptlet_failures:
        raise InstallError(
            "scriptlet failed during install: "
            + "; ".join(outcome.scriptlet_failures)
            + " (rpm and dnf still exit 0 for this)",
            details=_tail(outcome.log, 30),
        )


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])

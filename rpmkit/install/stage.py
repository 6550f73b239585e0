"""Install: the local stand-in for the bake.

A fresh container from the profile's runtime image starts with PID 1 waiting
(a shell blocked on a FIFO): nothing runs, as in aminator's chroot. rpmkit
then installs the staged RPMs with `docker exec`, reading each command's exit
status from the engine, never from the package's output; empties what a
baked image boots with empty (`/run`, and `/tmp` where the target mounts a
tmpfs there); and only then lets PID 1 `exec` systemd. No commit and no
second container: the installed root boots where it was installed. With
`boot=False` PID 1 never becomes systemd (the static tier).

rpm and dnf exit 0 when a `%post` scriptlet fails: the failure is read from
rpm's own messages (`%post(NAME) scriptlet failed`). A scriptlet that prints
such a line can only make the check fail, never pass.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shlex
import tarfile
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rpmkit import scratch
from rpmkit.engine import Container, Engine, Result
from rpmkit.errors import ConfigError, InstallError
from rpmkit.install import repos as repositories
from rpmkit.install.outcome import (
    FAILED_DEPENDENCIES,
    INSTALL_TIMEOUT,
    RPM_WARNING,
    InstallLog,
    clean,
    raise_on_failure,
)
from rpmkit.install.repos import Repo
from rpmkit.labels import Run
from rpmkit.profiles import Profile, boot_limit, boot_options
from rpmkit.rpm import PackagedFile, RpmFile
from rpmkit.values import tail

if TYPE_CHECKING:
    from rpmkit.install.spare import Spares

RPM_DIR = "/rpmkit/rpms"
# Not /tmp: on a booted instance dnf cannot read a repository there.
REPO_DIR = "/var/tmp/rpmkit-repo"
# PID 1 waits on this FIFO until the install is done, then becomes systemd.
GO = "/.rpmkit-go"
UNIT_DIRS = ("/usr/lib/systemd/system/", "/lib/systemd/system/", "/etc/systemd/system/")
UNIT_SUFFIXES = (".service", ".socket", ".timer", ".path")
# Where SysV init scripts live: Amazon Linux's path, and the one /etc/init.d points to.
INIT_DIRS = ("/etc/rc.d/init.d/", "/etc/init.d/")


@dataclass(frozen=True)
class Limits:
    """What the instance may use, like the instance type it stands for."""

    memory_mib: int = 2048  # a t3.small
    pids: int = 4096

    def options(self) -> dict[str, object]:
        """Container options: memory (swap included: an AMI has none) and process count."""
        memory = f"{self.memory_mib}m"
        return {"mem_limit": memory, "memswap_limit": memory, "pids_limit": self.pids}


@dataclass(frozen=True)
class Instance:
    """A container with the RPMs installed, booting (or idle for the static tier)."""

    container: Container = field(repr=False, compare=False)
    name: str
    profile: str
    image_id: str
    rpms: tuple[RpmFile, ...]
    log: InstallLog
    ports: dict[int, int]  # instance port -> port on `address`
    address: str  # where published ports are reached from here
    booted: bool
    repos: tuple[Repo, ...] = ()  # the repositories the install saw (see install/repos.py)
    keep_repos: bool = False  # they stay in /etc/yum.repos.d after boot

    @property
    def nevras(self) -> str:
        """The installed packages, comma-separated."""
        return ", ".join(str(r.nevra) for r in self.rpms)

    @property
    def files(self) -> tuple[PackagedFile, ...]:
        """Every path the installed RPMs own."""
        return tuple(f for r in self.rpms for f in r.files)

    def exec(self, argv: list[str], timeout: float | None = None) -> Result:
        """Run a command inside the instance."""
        return self.container.exec(argv, timeout=timeout)

    def sh(self, script: str, *args: str, timeout: float | None = None) -> Result:
        """Run a shell script inside, with `args` as "$1"...; never interpolated."""
        return self.container.exec(["sh", "-c", script, "sh", *args], timeout=timeout)

    def units(self) -> list[str]:
        """The systemd units the RPMs ship (service, socket, timer and path units)."""
        return sorted(
            {
                f.path.rsplit("/", 1)[1]
                for f in self.files
                if f.path.startswith(UNIT_DIRS) and f.path.endswith(UNIT_SUFFIXES)
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


def pid1_command(profile: Profile, boot: bool = True) -> list[str]:
    """PID 1 of a fresh instance: wait for the install, then become init (never, unbooted)."""
    # The static tier waits the same way and is never told to go: one kind of
    # instance for both tiers, so a warm spare (install/spare.py) serves either.
    init = " ".join(shlex.quote(a) for a in profile.boot.init)
    # If the FIFO cannot be made, PID 1 exits: never boot before the install is done.
    return ["sh", "-c", f"mkfifo {GO} || exit 97; read _ < {GO}; rm -f {GO}; exec {init}"]


def rpm_argv(rpm_dir: str, count: int, upgrade: bool = False) -> list[str]:
    """rpm's own transaction: dependencies checked, every scriptlet run."""
    files = [f"{rpm_dir}/{i:02d}.rpm" for i in range(count)]
    return ["rpm", "-U", "-v", *files]


def package_manager_script(
    profile: Profile, rpm_dir: str, names: list[str], upgrade: bool, extra: tuple[str, ...] = ()
) -> str:
    """The package manager resolving what rpm lacked, from a local repository of the RPMs.

    The repository is defined in a repository file, which dnf and yum both read
    (yum has no --repofrompath). `extra` options (the team's repositories) go
    just before the subcommand, after the profile's own.
    """
    pm = profile.package_manager
    make_repo = " ".join(shlex.quote(a.replace("{repo}", REPO_DIR)) for a in pm.make_repo)
    command = with_options(pm.upgrade if upgrade else pm.install, extra)
    resolve = " ".join(
        " ".join(map(shlex.quote, names))
        if a == "{packages}"
        else shlex.quote(a.replace("{repo}", REPO_DIR))
        for a in command
    )
    repo_config = pm.repo_config.replace("{repo}", REPO_DIR).strip("\n")
    repo_file = shlex.quote(pm.repo_file)
    return f"""\
set -e
rm -rf {REPO_DIR} && mkdir -p {REPO_DIR} && cp {rpm_dir}/*.rpm {REPO_DIR}/
{make_repo}
mkdir -p "$(dirname {repo_file})"
cat > {repo_file} <<'RPMKIT_REPO'
{repo_config}
RPMKIT_REPO
exec {resolve}
"""


def with_options(command: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    """`command` with `extra` options inserted before its subcommand (its first word
    after the program that is not an option)."""
    at = next((i for i, a in enumerate(command) if i and not a.startswith("-")), len(command))
    return (*command[:at], *extra, *command[at:])


def boot_script(profile: Profile, before: str = "") -> str:
    """Make the instance what a baked image boots as, then tell PID 1 to become init.

    A snapshot holds no processes, no kernel settings a scriptlet changed, and
    empty tmpfs mounts: every process the install left running (a daemon a
    `%post` started) is killed, the profile's sysctls are set again, and what a
    baked image boots with empty is emptied. `before` is shell text run first
    (the install's repositories leaving). Run in a session's shell, it spares
    that shell (its parent; through an exec of its own, the parent is outside
    the container).
    """
    empty = " ".join(shlex.quote(p) for p in profile.boot.empty)
    sysctls = "".join(
        f"printf '%s\\n' {shlex.quote(value)} > {shlex.quote(_proc_sys(name))} 2>/dev/null\n"
        for name, value in sorted(profile.boot.sysctls.items())
    )
    return f"""\
{before}for p in /proc/[0-9]*; do
    pid=${{p#/proc/}}
    [ "$pid" = 1 ] || [ "$pid" = $$ ] || [ "$pid" = "$PPID" ] || kill -9 "$pid" 2>/dev/null
done
{sysctls}for d in {empty}; do
    [ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1 ! -path /run/lock \\
        -exec rm -rf {{}} + 2>/dev/null
    [ -d "$d/lock" ] && find "$d/lock" -mindepth 1 -maxdepth 1 -exec rm -rf {{}} + 2>/dev/null
done
i=0
while [ ! -p {GO} ]; do i=$((i+1)); [ $i -gt 500 ] && exit 97; sleep 0.01; done
echo go > {GO}
"""


def _proc_sys(name: str) -> str:
    """Where a sysctl lives: net.ipv4.x -> /proc/sys/net/ipv4/x (sysctl.d(5))."""
    return "/proc/sys/" + name.replace(".", "/")


def transact(
    container: Container, profile: Profile, rpms: tuple[RpmFile, ...], rpm_dir: str,
    upgrade: bool = False, repos: tuple[Repo, ...] = (),
) -> InstallLog:  # fmt: skip
    """Install (or upgrade to) the RPMs in `rpm_dir` inside; InstallError when that fails.

    With repositories configured, the profile's package manager installs, as
    the bake does (so `Recommends:` and the repositories' packages count), and
    a failure a repository caused names it. Without, rpm itself first; when rpm
    reports failed dependencies (which it checks before any scriptlet runs, so
    that line is rpm's own), the package manager resolves them.
    """
    start = time.monotonic()
    outputs = []
    names = [r.name for r in rpms]
    resolved_with = profile.package_manager.name
    result = None
    if not repos:
        result = container.exec(
            rpm_argv(rpm_dir, len(rpms), upgrade), timeout=INSTALL_TIMEOUT, own=True
        )
        outputs.append(result.output)
        resolved_with = "rpm"
    if result is None or (
        not result.ok and clean(result.stderr).lstrip().startswith(FAILED_DEPENDENCIES)
    ):
        resolved_with = profile.package_manager.name
        extra = tuple(repositories.manager_options(profile, repos))
        script = package_manager_script(profile, rpm_dir, names, upgrade, extra)
        result = container.exec(["sh", "-c", script], timeout=INSTALL_TIMEOUT, own=True)
        outputs.append(result.output)
    output = clean("\n".join(outputs))
    warnings = tuple(dict.fromkeys(RPM_WARNING.findall(output)))
    log = InstallLog(output, time.monotonic() - start, resolved_with, warnings)
    what = "upgrade" if upgrade else "install"
    named = repositories.failure(output, repos) if repos and not result.ok else ""
    if named and not result.timed_out:
        raise InstallError(f"{what} failed (exit {result.rc}): {named}", details=tail(output, 30))
    raise_on_failure(result, log, what)
    if resolved_with != "rpm" and profile.package_manager.installed_from:
        found = container.exec(
            ["sh", "-c", repositories.sources_script(profile, names)], timeout=60, own=True
        )
        sources = repositories.parse_sources(found.stdout, set(names)) if found.ok else None
        log = InstallLog(output, log.seconds, resolved_with, warnings, sources)
    return log


def staging_folder(rpms: tuple[RpmFile, ...]) -> str | None:
    """The folder of the staged copies when it holds exactly them, as 00.rpm, 01.rpm, ...

    (and the owner file of a scratch folder, which a spare's folder holds too).
    """
    names = [f"{i:02d}.rpm" for i in range(len(rpms))]
    staged = [r.staged for r in rpms]
    if not rpms or any(s is None for s in staged):
        return None
    folders = {s.parent for s in staged if s is not None}
    if len(folders) != 1 or [s.name for s in staged if s is not None] != names:
        return None
    folder = folders.pop()
    try:
        held = set(os.listdir(folder)) - {scratch.OWNER_FILE}
        return str(folder) if held == set(names) else None
    except OSError:
        return None


def rpm_archive(rpms: tuple[RpmFile, ...], folder: str) -> bytes:
    """A tar of the staged RPMs as `<folder>/NN.rpm`, for engines that cannot bind them."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for i, rpm in enumerate(rpms):
            # The original names may hold anything; the header says what the package is.
            tar.add(str(rpm.file), arcname=f"{folder.strip('/')}/{i:02d}.rpm")
    return buf.getvalue()


def install(
    engine: Engine,
    profile: Profile,
    image: str,
    rpms: tuple[RpmFile, ...],
    run: Run,
    *,
    boot: bool = True,
    publish: tuple[int, ...] = (),
    copy_rpms: bool = False,
    limits: Limits = Limits(),
    spares: Spares | None = None,
    repos: tuple[Repo, ...] = (),
    keep_repos: bool = False,
    network: str = "",
    session: bool = False,
) -> Instance:
    """Start a fresh runtime container, install the RPMs, and leave it booting (or idle).

    With `spares`, a waiting spare made with the same options is taken instead
    of starting one (install/spare.py). `repos` are written into its
    /etc/yum.repos.d for the install and removed before boot unless
    `keep_repos`; `network` is an engine network it joins (where a repository
    is reachable). With `session`, what follows the install (the hand-over to
    init included) goes through one shell in the instance, started while the
    install runs and left open for the caller's queries (engine/session.py;
    the caller closes it); the install's own commands take execs of their own,
    their exit status from the engine. On a failed
    install the container is removed (kept when `run.keep`, in its
    post-install state) and InstallError carries the log.
    """
    cgroup = None if engine.is_local else engine.cgroup_version()
    limit = boot_limit(profile, cgroup)
    if boot and limit:
        raise ConfigError(
            f"profile {profile.name} cannot boot here: {limit}",
            hint="check without booting (--no-boot), or on a cgroup v1 host "
            "(kernel option systemd.unified_cgroup_hierarchy=0)",
        )
    options = boot_options(profile, cgroup, engine.kind)
    options["command"] = pid1_command(profile, boot)
    options.update(limits.options())
    if network:
        options["network"] = network
    # A local engine sees this machine's files: bind the staged copies read-only
    # rather than copying megabytes through the API. A remote engine gets a copy,
    # and so does a container that will be committed (`copy_rpms`): an image keeps
    # its container's bind-mount targets as volumes, which every instance would inherit.
    bind = engine.is_local and not copy_rpms and all(r.staged is not None for r in rpms)
    folder = staging_folder(rpms) if bind else None
    if folder is not None:  # the folder holds exactly 00.rpm, 01.rpm, ...: bind it whole
        options["volumes"][folder] = {"bind": RPM_DIR, "mode": "ro"}
    elif bind:
        for i, rpm in enumerate(rpms):
            options["volumes"][str(rpm.file)] = {"bind": f"{RPM_DIR}/{i:02d}.rpm", "mode": "ro"}
    start = time.monotonic()
    # Never for an instance on its own network: the spare left after it would be made on
    # that network too, and hold it (a test's, a repository's) once the check is over.
    spare = spares.take(publish, options, rpms) if spares and folder and not network else None
    if spare is None:
        container = engine.create(
            image, name=run.container_name(), run=run, ports=publish, **options
        )
    else:
        container = spare
    try:
        if not bind:
            container.put_archive("/", rpm_archive(rpms, RPM_DIR))
        if spare is None:
            container.start()
        if repos:
            repositories.put(container, repos)
        if session:  # its shell starts while the install runs (on execs of their own)
            container.open_session(warm=True)
        log = transact(container, profile, rpms, RPM_DIR, repos=repos)
        log = dataclasses.replace(log, seconds=time.monotonic() - start)
        if boot:
            leave = repositories.removal(keep_repos) if repos else ""
            went = container.exec(["sh", "-c", boot_script(profile, leave)])
            if not went.ok:
                raise InstallError(
                    f"could not hand over to init (exit {went.rc})", details=went.output
                )
        return Instance(
            container=container,
            name=container.name,
            profile=profile.name,
            image_id=container.image_id,
            rpms=rpms,
            log=log,
            ports=engine.reach.ports(container, publish, network or None, run) if publish else {},
            address=engine.reach.address,
            booted=boot,
            repos=repos,
            keep_repos=keep_repos,
        )
    except BaseException as exc:
        container.close_session()
        if run.keep and isinstance(exc, InstallError):
            kept = f"(kept in its post-install state: {container.name})"
            exc.details = f"{exc.details or ''}\n{kept}"
        else:
            container.remove()
        raise

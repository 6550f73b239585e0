"""Stand-in Amazon Linux bases for the tests: the offline runtime plus AL-named packages.

No registry is reachable here, so the al2023 and al2 profiles' Dockerfiles are
run on a base made from the offline root filesystem: Debian, with rpm, dnf and
the system-provides RPM, plus a repository of empty RPMs named like the Amazon
Linux packages the profiles install (each stands for what the Debian base
already has), served as the team's mirror of Amazon Linux's repositories while
the base's own repository file points where nothing answers, as in an
air-gapped network. For al2,
whose yum Debian lacks, small shims run yum's (and createrepo's, repoquery's)
command lines on dnf and log each call, so a test sees the Dockerfile's order.

What this proves: the profiles' Dockerfiles, package lists, dnf/yum command
lines, repository files and boot settings run. What it does not: Amazon
Linux's own packages and their behaviour (the `amazonlinux` tests, on the
real image, do).
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass
from typing import Any

from rpmkit import labels, profiles

REPO = "/var/lib/rpmkit-stand-in/repo"
LOG = "/var/log/rpmkit-stand-in.log"
RELEASE = "standin"

SPEC = """\
Name: {name}
Version: 0
Release: {release}
Summary: Stand-in for Amazon Linux's {name}
License: MIT
BuildArch: noarch
%description
Stands for what the Debian base already has under Amazon Linux's name {name}.
%files
"""

# Like Amazon Linux's own repository seen from a network that cannot reach it: the
# profiles' images build only from the team's mirror (MIRROR, named by
# RPMKIT_AL2023_REPO_FILE / RPMKIT_AL2_REPO_FILE), which is in the base.
AMAZONLINUX_REPO = """\
[amazonlinux]
name=Stand-in for Amazon Linux's own repository, unreachable here
baseurl=http://amazonlinux.invalid/$releasever/
enabled=1
gpgcheck=0
"""
MIRROR = f"""\
[al-mirror]
name=The team's mirror of Amazon Linux's repositories
baseurl=file://{REPO}
gpgcheck=0
"""

# yum 3's command lines on dnf 4: the one option dnf does not know is mapped to its own.
YUM = f"""\
#!/bin/sh
echo "yum $*" >> {LOG}
n=$#
while [ "$n" -gt 0 ]; do
    a=$1; shift; n=$((n - 1))
    case "$a" in
        --setopt=skip_missing_names_on_install=False) a=--setopt=strict=True ;;
    esac
    set -- "$@" "$a"
done
exec dnf "$@"
"""
CREATEREPO = f"""\
#!/bin/sh
echo "createrepo $*" >> {LOG}
exec createrepo_c "$@"
"""
# yum-utils' repoquery shows the repository an installed package came from as @REPO.
REPOQUERY = f"""\
#!/bin/sh
echo "repoquery $*" >> {LOG}
n=$#
while [ "$n" -gt 0 ]; do
    a=$1; shift; n=$((n - 1))
    case "$a" in
        *%{{ui_from_repo}}*) a=$(printf '%s' "$a" | sed 's/%{{ui_from_repo}}/@%{{from_repo}}/') ;;
    esac
    set -- "$@" "$a"
done
exec dnf -q repoquery "$@"
"""


@dataclass(frozen=True)
class StandIns:
    """The stand-in bases' tags and the AL names their repository has."""

    al2023: str
    al2: str
    names: tuple[str, ...]


def al_names() -> tuple[str, ...]:
    """Every package the Amazon Linux profiles install on their bases."""
    names: set[str] = set()
    for profile in ("al2023", "al2"):
        for packages in profiles.get(profile).packages.values():
            names |= set(packages)
    return tuple(sorted(names))


def _tar(files: dict[str, tuple[str, int]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, (text, mode) in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _exec(container: Any, script: str) -> str:
    code, out = container.exec_run(["sh", "-c", script])
    text = out.decode(errors="replace")
    assert code == 0, text
    return text


def make(docker_client: Any, offline: dict[str, str], run_id: str) -> StandIns:
    """Build the AL-named repository and both stand-in bases; tagged for this run only."""
    run = labels.Run(run_id, "tests")
    names = al_names()
    builder = docker_client.containers.run(
        offline["builder"], ["sleep", "infinity"], detach=True, labels=run.labels()
    )
    try:
        specs = {f"/tmp/al/{n}.spec": (SPEC.format(name=n, release=RELEASE), 0o644) for n in names}
        builder.put_archive("/", _tar(specs))
        build = (
            "cd /tmp/al && for s in *.spec; do "
            "rpmbuild -bb --quiet --define '_topdir /tmp/al/rb' \"$s\" || exit 1; done && "
            "mkdir -p repo && cp rb/RPMS/noarch/*.rpm repo/ && createrepo_c --quiet repo"
        )
        _exec(builder, build)
        repo, _ = builder.get_archive("/tmp/al/repo")
        repo_tar = b"".join(repo)
    finally:
        builder.remove(force=True)
    tags = {}
    base = docker_client.containers.run(
        offline["runtime"], ["sleep", "infinity"], detach=True, labels=run.labels()
    )
    try:
        _exec(base, f"mkdir -p {REPO.rsplit('/', 1)[0]}")
        base.put_archive(REPO.rsplit("/", 1)[0], repo_tar)
        base.put_archive(
            "/", _tar({"/etc/yum.repos.d/amazonlinux.repo": (AMAZONLINUX_REPO, 0o644)})
        )
        tags["al2023"] = _commit(base, "al2023", run)
        shims = {
            "/usr/bin/yum": YUM,
            "/usr/bin/createrepo": CREATEREPO,
            "/usr/bin/repoquery": REPOQUERY,
        }
        base.put_archive("/", _tar({p: (t, 0o755) for p, t in shims.items()}))
        tags["al2"] = _commit(base, "al2", run)
    finally:
        base.remove(force=True)
    return StandIns(tags["al2023"], tags["al2"], names)


def _commit(container: Any, profile: str, run: labels.Run) -> str:
    repository = f"rpmkit-test/{profile}-stand-in"
    container.commit(
        repository=repository, tag=run.id,
        conf={"Labels": run.labels(), "Cmd": ["/sbin/init"]},
    )  # fmt: skip
    return f"{repository}:{run.id}"

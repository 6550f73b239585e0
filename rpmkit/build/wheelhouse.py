"""Wheels for the app's requirements: fetched on the host, cached, packed as Source1.

The builder container never reaches an index: the host runs `pip download`
for the target's Python and platform (binary wheels only, so nothing is
compiled for the wrong system), and the spec installs from the packed wheels
with `pip install --no-index`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from rpmkit import nocache, redact
from rpmkit import scratch as scratch_folders
from rpmkit.build import reqfile
from rpmkit.errors import BuildError
from rpmkit.progress import Reporter

# The oldest glibc among the profiles (Amazon Linux 2 has 2.26): a wheel tagged
# for a newer one would install but fail to load its extension modules there.
GLIBC_FLOOR = 26
# The pre-PEP 600 names of manylinux_2_17, _2_12 and _2_5 (older wheels carry only
# these), and the machines each was defined for.
_LEGACY = {
    17: ("manylinux2014", ("x86_64", "i686", "aarch64", "ppc64le", "s390x", "armv7l")),
    12: ("manylinux2010", ("x86_64", "i686")),
    5: ("manylinux1", ("x86_64", "i686")),
}
_MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}
# The flattened requirements stored with the wheels: what the spec's `pip install` reads.
REQUIREMENTS = "requirements.txt"
CONSTRAINTS = "constraints.txt"


@dataclass(frozen=True)
class Target:
    """What the wheels must run on: CPython `python` ("3.11") on Linux `machine`."""

    python: str
    machine: str

    @property
    def abi(self) -> str:
        """The CPython ABI tag, e.g. cp311."""
        return "cp" + self.python.replace(".", "")

    @property
    def platforms(self) -> tuple[str, ...]:
        """pip's --platform values, newest first: manylinux up to GLIBC_FLOOR for `machine`."""
        tags = []
        for minor in range(GLIBC_FLOOR, 4, -1):
            tags.append(f"manylinux_2_{minor}_{self.machine}")
            legacy, machines = _LEGACY.get(minor, ("", ()))
            if self.machine in machines:
                tags.append(f"{legacy}_{self.machine}")
        return tuple(tags)

    def describe(self) -> str:
        """One line for messages: `CPython 3.11, manylinux x86_64`."""
        return f"CPython {self.python}, manylinux (glibc <= 2.{GLIBC_FLOOR}) {self.machine}"


def target(python: str, machine: str | None = None) -> Target:
    """The target for a profile's Python on this machine's architecture."""
    arch = (machine or platform.machine()).lower()
    return Target(python, _MACHINES.get(arch, arch))


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/rpmkit/wheels`, by default under ~/.cache."""
    return nocache.cache_dir("wheels", environ)


def cache_key(requirements: str, tgt: Target, index_url: str | None) -> str:
    """Names one cached wheelhouse: the requirements' text, the target and the index.

    The index's credentials are not part of it: they change who may read the
    index, not what it serves, and a cache name must not be derived from a secret.
    """
    record = {
        "format": 2,  # 2: the flattened requirements are stored with the wheels
        "requirements": requirements,
        "python": tgt.python,
        "abi": tgt.abi,
        "platforms": list(tgt.platforms),
        "index_url": redact.strip_userinfo(index_url) if index_url else "",
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:20]


def download_command(
    requirements: Path,
    dest: Path,
    tgt: Target,
    index_url: str | None = None,
    wheelhouse: Path | None = None,
) -> list[str]:
    """The `pip download` argument list for one requirements file.

    An index URL that carries credentials is not on it: see `pip_environment`.
    """
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-input"]
    cmd += ["--progress-bar", "off", "--dest", str(dest), "--requirement", str(requirements)]
    # Binary wheels only, for the target: nothing is built for the wrong system.
    cmd += ["--only-binary=:all:", "--implementation", "cp"]
    cmd += ["--python-version", tgt.python, "--abi", tgt.abi]
    for tag in tgt.platforms:
        cmd += ["--platform", tag]
    return cmd + _index_arguments(index_url, wheelhouse)


def wheel_command(
    project: Path, dest: Path, index_url: str | None = None, wheelhouse: Path | None = None
) -> list[str]:
    """The `pip wheel` argument list that builds a local project (no dependencies) into `dest`."""
    cmd = [sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--no-input"]
    cmd += ["--progress-bar", "off", "--no-deps", "--wheel-dir", str(dest), str(project)]
    return cmd + _index_arguments(index_url, wheelhouse)


def _index_arguments(index_url: str | None, wheelhouse: Path | None) -> list[str]:
    if wheelhouse is not None:
        # --isolated: the user's pip config (an index, extra find-links) must not add wheels.
        return ["--isolated", "--no-index", "--find-links", str(wheelhouse)]
    if index_url and redact.strip_userinfo(index_url) == index_url:
        return ["--index-url", index_url]
    return []


def pip_environment(
    index_url: str | None, environ: Mapping[str, str] | None = None, tmp: Path | None = None
) -> dict[str, str]:
    """pip's environment: an index URL with credentials goes here, never on the command line.

    A command line is visible to every user of the machine (`ps`) and is what
    `-v` prints; a process's environment is readable by its owner only. `tmp`
    becomes pip's TMPDIR: a folder inside the build's scratch folder, so what
    pip leaves when it is stopped mid-download goes with the build's own files.
    """
    env = dict(os.environ if environ is None else environ)
    if tmp is not None:
        tmp.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(tmp)
    if index_url and redact.strip_userinfo(index_url) != index_url:
        env["PIP_INDEX_URL"] = index_url
    return env


def fetch(
    requirements: Path | None,
    tgt: Target,
    reporter: Reporter,
    scratch: Path,
    index_url: str | None = None,
    wheelhouse: Path | None = None,
    extra: tuple[str, ...] = (),
) -> Path:
    """A directory holding the wheels for `requirements` and `extra`: cached, or from `wheelhouse`.

    `extra` (`python.extra_requirements`, PEP 508 lines checked by the config)
    is appended to the flattened requirements, so pip downloads and the spec
    installs it like the file's own lines; the app's file is never changed.

    The requirements are read and checked first (`reqfile.read`: ConfigError
    names a refused line); pip reads only the flattened copy, which is stored
    with the wheels as REQUIREMENTS (and CONSTRAINTS) for the spec's `pip
    install`. Local projects are built into wheels first. A cached wheelhouse
    is reused as it is; one is only stored once pip succeeded, so an
    interrupted download is never mistaken for a complete one. `wheelhouse`
    is not cached: it is read into `scratch` each time.
    """
    reqs = reqfile.Requirements(lines=())
    if requirements is not None:
        reqs = reqfile.read(requirements, reqfile.repository_root(requirements.parent))
    reqs = dataclasses.replace(reqs, lines=(*reqs.lines, *extra))
    given = " and ".join(
        [*([str(requirements)] if requirements else []),
         *([f"python.extra_requirements {', '.join(extra)}"] if extra else [])]
    )  # fmt: skip
    if index_url:
        _register_credentials(index_url)
    tmp = scratch / "pip-tmp"
    built = _build_local(reqs.local, scratch / "local-wheels", reporter, index_url, wheelhouse, tmp)
    download = reqs.text(tuple(_direct(p, w) for p, w in built), CONSTRAINTS)
    installed = reqs.text(tuple(_pinned(p, w) for p, w in built), CONSTRAINTS)
    inputs = scratch / "requirements"
    inputs.mkdir(parents=True, exist_ok=True)
    (inputs / REQUIREMENTS).write_text(download, encoding="utf-8")
    (inputs / CONSTRAINTS).write_text(reqs.constraints_text(), encoding="utf-8")
    if wheelhouse is not None:
        dest = scratch / "wheels"
        _download(inputs / REQUIREMENTS, dest, tgt, reporter, None, wheelhouse, given, tmp)
        _store_requirements(dest, installed, reqs)
        return dest
    digests = "".join(f"{sha256_of(w)}\n" for _, w in built)
    key = cache_key(installed + reqs.constraints_text() + digests, tgt, index_url)
    cached = cache_root() / key
    if cached.is_dir():
        reporter.info(f"wheels: using {cached}")
        return cached
    partial = cached.with_name(f"{key}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
        scratch_folders.mark(partial)  # a download killed with -9: the next build removes it
        scratch_folders.reap(cached.parent, "*.partial-*")
    except OSError as exc:  # no usable cache: download for this build only
        nocache.warn("wheel cache", cached.parent, exc)
        dest = scratch / "wheels"
        _download(inputs / REQUIREMENTS, dest, tgt, reporter, index_url, None, given, tmp)
        _store_requirements(dest, installed, reqs)
        return dest
    try:
        _download(inputs / REQUIREMENTS, partial, tgt, reporter, index_url, None, given, tmp)
        _store_requirements(partial, installed, reqs)
        (partial / scratch_folders.OWNER_FILE).unlink(missing_ok=True)
        try:
            partial.rename(cached)
        except OSError:
            if not cached.is_dir():  # another build stored the same wheels meanwhile
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return cached


def _register_credentials(index_url: str) -> None:
    parts = urlsplit(index_url)
    if parts.password:
        redact.register_pair(unquote(parts.username or ""), unquote(parts.password))
        redact.register(parts.password)
    elif parts.username:
        redact.register(unquote(parts.username), parts.username)


def _store_requirements(dest: Path, text: str, reqs: reqfile.Requirements) -> None:
    (dest / REQUIREMENTS).write_text(text, encoding="utf-8")
    if reqs.constraints:
        (dest / CONSTRAINTS).write_text(reqs.constraints_text(), encoding="utf-8")


def _direct(project: reqfile.LocalProject, wheel: Path) -> str:
    name, _ = wheel_name(wheel)
    return f"{name}{project.extras} @ {wheel.as_uri()}{project.marker}"


def _pinned(project: reqfile.LocalProject, wheel: Path) -> str:
    name, version = wheel_name(wheel)
    return f"{name}{project.extras}=={version}{project.marker}"


def wheel_name(wheel: Path) -> tuple[str, str]:
    """A wheel file's distribution name and version (PEP 427: NAME-VERSION-...whl)."""
    name, version, *_ = wheel.name.split("-")
    return name, version


def sha256_of(path: Path) -> str:
    """The sha256 of a file, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _build_local(
    projects: tuple[reqfile.LocalProject, ...],
    dest: Path,
    reporter: Reporter,
    index_url: str | None,
    wheelhouse: Path | None,
    tmp: Path,
) -> list[tuple[reqfile.LocalProject, Path]]:
    built = []
    for i, project in enumerate(projects):
        out = dest / str(i)
        out.mkdir(parents=True, exist_ok=True)
        cmd = wheel_command(project.path, out, index_url, wheelhouse)
        with reporter.step(f"building a wheel of {project.path.name}"):
            reporter.detail(" ".join(cmd))
            proc = subprocess.run(
                cmd,
                cwd=out,
                env=pip_environment(index_url, tmp=tmp),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
            wheels = sorted(out.glob("*.whl"))
            if proc.returncode != 0 or len(wheels) != 1:
                raise BuildError(
                    f"{project.where}: pip could not build a wheel of {project.path}",
                    hint="a local project needs a build backend pip can fetch (with "
                    "--wheelhouse: its wheels, such as setuptools, in that folder)",
                    details="\n".join(proc.stdout.rstrip().splitlines()[-15:]),
                )
        built.append((project, wheels[0]))
    return built


def _download(
    requirements: Path,
    dest: Path,
    tgt: Target,
    reporter: Reporter,
    index_url: str | None,
    wheelhouse: Path | None,
    given: str,
    tmp: Path,
) -> None:
    # `requirements` is the flattened copy pip reads; `given` is the user's file, for messages.
    dest.mkdir(parents=True, exist_ok=True)
    cmd = download_command(requirements.resolve(), dest, tgt, index_url, wheelhouse)
    with reporter.step("downloading wheels"):
        reporter.detail(" ".join(cmd))
        proc = subprocess.run(
            cmd,
            cwd=requirements.resolve().parent,
            env=pip_environment(index_url, tmp=tmp),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        # Inside the step: a failed download must not be reported as done.
        if proc.returncode != 0:
            index = redact.strip_userinfo(index_url) if index_url else "the index"
            source = f"from {wheelhouse}" if wheelhouse else f"from {index}"
            raise BuildError(
                f"pip download failed for {given} ({tgt.describe()}, {source})",
                hint="every requirement needs a binary wheel for that target (nothing is "
                "compiled); check the names and versions, or pass --index-url URL or "
                "--wheelhouse DIR",
                details="\n".join(proc.stdout.rstrip().splitlines()[-15:]),
            )


def pack(wheel_dir: Path, dest: Path, mtime: int) -> Path:
    """Write the wheels, REQUIREMENTS and CONSTRAINTS as a flat, sorted tar (root, fixed mtime)."""
    wheels = sorted(
        p
        for p in wheel_dir.iterdir()
        if p.is_file() and (p.suffix == ".whl" or p.name in (REQUIREMENTS, CONSTRAINTS))
    )
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        for wheel in wheels:
            info = tar.gettarinfo(str(wheel), arcname=wheel.name)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mode = 0o644
            info.mtime = mtime
            with wheel.open("rb") as fh:
                tar.addfile(info, fh)
    return dest


def tar_name(name: str, version: str) -> str:
    """Source1's file name, as the spec templates expect it."""
    return f"{name}-{version}-wheels.tar"

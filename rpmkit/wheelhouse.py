"""Wheels for the app's requirements: fetched on the host, cached, packed as Source1.

The builder container never reaches an index: the host runs `pip download`
for the target's Python and platform (binary wheels only, so nothing is
compiled for the wrong system), and the spec installs from the packed wheels
with `pip install --no-index`.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
_INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)[\s=]+(\S+)")


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
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rpmkit" / "wheels"


def cache_key(requirements: str, tgt: Target, index_url: str | None) -> str:
    """Names one cached wheelhouse: the requirements' text, the target and the index."""
    record = {
        "requirements": requirements,
        "python": tgt.python,
        "abi": tgt.abi,
        "platforms": list(tgt.platforms),
        "index_url": index_url or "",
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:20]


def requirements_text(path: Path, seen: frozenset[Path] = frozenset()) -> str:
    """The requirements file with the files it includes (-r, -c) inlined, for the cache key."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        lines.append(line)
        match = _INCLUDE.match(line)
        included = (path.parent / match[1]).resolve() if match else None
        if included and included.is_file() and included not in seen:
            lines.append(requirements_text(included, seen | {path.resolve()}))
    return "\n".join(lines)


def download_command(
    requirements: Path,
    dest: Path,
    tgt: Target,
    index_url: str | None = None,
    wheelhouse: Path | None = None,
) -> list[str]:
    """The `pip download` argument list for one requirements file."""
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-input"]
    cmd += ["--progress-bar", "off", "--dest", str(dest), "--requirement", str(requirements)]
    # Binary wheels only, for the target: nothing is built for the wrong system.
    cmd += ["--only-binary=:all:", "--implementation", "cp"]
    cmd += ["--python-version", tgt.python, "--abi", tgt.abi]
    for tag in tgt.platforms:
        cmd += ["--platform", tag]
    if wheelhouse is not None:
        # --isolated: the user's pip config (an index, extra find-links) must not add wheels.
        cmd += ["--isolated", "--no-index", "--find-links", str(wheelhouse)]
    elif index_url:
        cmd += ["--index-url", index_url]
    return cmd


def fetch(
    requirements: Path,
    tgt: Target,
    reporter: Reporter,
    scratch: Path,
    index_url: str | None = None,
    wheelhouse: Path | None = None,
) -> Path:
    """A directory holding the wheels for `requirements`: cached, or from `wheelhouse`.

    A cached wheelhouse is reused as it is; one is only stored once pip
    succeeded, so an interrupted download is never mistaken for a complete one.
    `wheelhouse` is not cached: it is read into `scratch` each time.
    """
    if wheelhouse is not None:
        dest = scratch / "wheels"
        _download(requirements, dest, tgt, reporter, None, wheelhouse)
        return dest
    key = cache_key(requirements_text(requirements), tgt, index_url)
    cached = cache_root() / key
    if cached.is_dir():
        reporter.info(f"wheels: using {cached}")
        return cached
    partial = cached.with_name(f"{key}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        _download(requirements, partial, tgt, reporter, index_url, None)
        try:
            partial.rename(cached)
        except OSError:
            if not cached.is_dir():  # another build stored the same wheels meanwhile
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return cached


def _download(
    requirements: Path,
    dest: Path,
    tgt: Target,
    reporter: Reporter,
    index_url: str | None,
    wheelhouse: Path | None,
) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    cmd = download_command(requirements.resolve(), dest, tgt, index_url, wheelhouse)
    with reporter.step("downloading wheels"):
        reporter.detail(" ".join(cmd))
        # cwd: pip resolves relative paths in the file (-r, -c, ./pkg) against it.
        proc = subprocess.run(
            cmd,
            cwd=requirements.resolve().parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Inside the step: a failed download must not be reported as done.
        if proc.returncode != 0:
            source = f"from {wheelhouse}" if wheelhouse else f"from {index_url or 'the index'}"
            raise BuildError(
                f"pip download failed for {requirements} ({tgt.describe()}, {source})",
                hint="every requirement needs a binary wheel for that target (nothing is "
                "compiled); check the names and versions, or pass --index-url URL or "
                "--wheelhouse DIR",
                details="\n".join(proc.stdout.rstrip().splitlines()[-15:]),
            )


def pack(wheel_dir: Path, dest: Path, mtime: int) -> Path:
    """Write the wheels as a plain tar at `dest`: flat, sorted, owner root, fixed mtime."""
    wheels = sorted(p for p in wheel_dir.iterdir() if p.suffix == ".whl" and p.is_file())
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

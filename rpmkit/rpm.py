"""RPM files as values: the header read once, the bytes hashed once.

An `RpmFile` is made by reading a file rpm would accept: the lead, the
signature header and the main header, validated as rpm's own reader does
(magic numbers, index bounds, 8-byte alignment of the signature header). A
text file named `.rpm`, a truncated download or a directory is refused with
one line before anything else runs (rpm itself would read a text file as a
package list and install whatever it names).

The headers are read by `rpmheader` (rpm's "RPM package file format",
`lib/rpmlead.c`, `lib/header.c`). rpmkit reads headers itself rather than with the `rpmfile`
package: that one skips to the first 0x8e byte and merges the signature
header's tags into the main header's, both wrong for a validator.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from rpmkit import rpmheader, scratch
from rpmkit.errors import ConfigError
from rpmkit.rpmheader import (
    ARCH,
    BASENAMES,
    DIRINDEXES,
    DIRNAMES,
    EPOCH,
    FILEFLAGS,
    FILEGROUPNAME,
    FILEMODES,
    FILEUSERNAME,
    NAME,
    OLDFILENAMES,
    PROVIDENAME,
    RELEASE,
    REQUIREFLAGS,
    REQUIRENAME,
    REQUIREVERSION,
    SOURCERPM,
    SUMMARY,
    VERSION,
    Tag,
    ints,
    string,
    strings,
)  # fmt: skip
from rpmkit.values import shown

# rpm's RPMFILE_CONFIG flag, and RPMSENSE_* bits of a dependency.
CONFIG_FLAG = 1
SENSE_LESS, SENSE_GREATER, SENSE_EQUAL = 0x02, 0x04, 0x08
RPMLIB_PREFIX = "rpmlib("

CHUNK = 1 << 20


@dataclass(frozen=True, order=True)
class Nevra:
    """name, epoch, version, release, arch: what identifies a package build."""

    name: str
    epoch: int | None
    version: str
    release: str
    arch: str

    @property
    def evr(self) -> str:
        """`[epoch:]version-release`."""
        epoch = f"{self.epoch}:" if self.epoch else ""
        return f"{epoch}{self.version}-{self.release}"

    def __str__(self) -> str:
        # `rpm -q` prints name-version-release.arch; an epoch shows as name-epoch:version...
        return f"{self.name}-{self.evr}.{self.arch}"

    @property
    def file_name(self) -> str:
        """The file name rpmbuild gives it: NAME-VERSION-RELEASE.ARCH.rpm (no epoch)."""
        return f"{self.name}-{self.version}-{self.release}.{self.arch}.rpm"


@dataclass(frozen=True)
class PackagedFile:
    """A path the package owns."""

    path: str
    mode: int
    flags: int
    user: str
    group: str

    @property
    def config(self) -> bool:
        """Marked %config in the spec."""
        return bool(self.flags & CONFIG_FLAG)


@dataclass(frozen=True)
class Requirement:
    """A `Requires:` entry: a name, and a version constraint when it has one."""

    name: str
    flags: int
    version: str

    def __str__(self) -> str:
        if not self.version:
            return self.name
        op = "".join(
            sign
            for bit, sign in ((SENSE_LESS, "<"), (SENSE_GREATER, ">"), (SENSE_EQUAL, "="))
            if self.flags & bit
        )
        return f"{self.name} {op} {self.version}"


@dataclass(frozen=True)
class RpmFile:
    """An RPM file, read and hashed once.

    `path` is where the user's file is; `staged` is the private read-only copy
    rpmkit installs and whose bytes `sha256` describes (None when not staged).
    """

    path: Path
    sha256: str
    size: int  # bytes
    nevra: Nevra
    source: bool  # a source RPM
    summary: str
    files: tuple[PackagedFile, ...]
    requires: tuple[Requirement, ...]
    provides: tuple[str, ...]
    staged: Path | None = None

    @property
    def name(self) -> str:
        """The package name."""
        return self.nevra.name

    @property
    def file(self) -> Path:
        """The bytes to install: the staged copy when there is one."""
        return self.staged or self.path

    def name_mismatch(self) -> str:
        """Why the file name disagrees with the header's NEVRA, or ''.

        A name of the form N-V-R.A.rpm must say what the header says: a renamed
        RPM must not pass for another build.
        """
        match = re.fullmatch(r"(.+)-([^-]+)-([^-]+)\.([^.]+)\.rpm", self.path.name)
        if match is None:
            return ""
        said = match.groups()
        nevra = self.nevra
        arch = "src" if self.source else nevra.arch
        if said != (nevra.name, nevra.version, nevra.release, arch):
            return f"the file name says {'-'.join(said[:3])}.{said[3]}, its header {nevra}"
        return ""


class RpmFormatError(ConfigError):
    """A file that is not an RPM package rpm would read."""


def read(path: Path, *, digest: str | None = None, staged: Path | None = None) -> RpmFile:
    """Read and validate an RPM file's headers; RpmFormatError (exit 2) when it is not one.

    `digest` is the file's sha256 when the caller already has it (hashed while
    staging); otherwise the file is hashed here.
    """
    source = staged or path
    tags, size = _headers(path, source)
    return _made(path, tags, size, digest or sha256_file(source), staged)


def check(path: Path) -> RpmFile:
    """Validate an RPM file as `read` does, without hashing its bytes (they are hashed
    when staged): for refusing a bad argument before anything runs.

    The returned value's `sha256` is "" and must not be recorded anywhere.
    """
    tags, size = _headers(path, path)
    return _made(path, tags, size, "", None)


def _headers(path: Path, source: Path) -> tuple[dict[int, Tag], int]:
    unfit = not_regular(source)
    if unfit:
        raise RpmFormatError(f"{path}: {unfit}")
    try:
        size = source.stat().st_size
        with source.open("rb") as fh:
            return rpmheader.read_headers(fh), size
    except OSError as exc:
        raise RpmFormatError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    except rpmheader.HeaderError as exc:
        raise RpmFormatError(f"{path}: not a valid RPM file: {exc}") from None


def _made(path: Path, tags: dict[int, Tag], size: int, digest: str, staged: Path | None) -> RpmFile:
    try:
        return _from_tags(path, tags, size, digest, staged)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise RpmFormatError(f"{path}: not a valid RPM file: bad header ({exc})") from None


def stage(paths: list[Path], into: Path) -> list[RpmFile]:
    """Copy each RPM into `into` (read-only), hashing the bytes copied; read each copy.

    What is installed later is exactly what was hashed: the user's file may
    change while the check runs (a rebuild into dist/) without changing the verdict's
    subject.
    """
    staged: list[RpmFile] = []
    for i, path in enumerate(paths):
        target = into / f"{i:02d}.rpm"
        h = hashlib.sha256()
        try:
            # O_NONBLOCK: a FIFO in place of the file must not hang the run on open(2).
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            raise RpmFormatError(f"{path}: {not_regular(path) or _cannot_read(exc)}") from exc
        unfit = not_regular(fd)  # before open(): a directory there raises IsADirectoryError
        if unfit:
            os.close(fd)
            raise RpmFormatError(f"{path}: {unfit}")
        with open(fd, "rb") as src:
            os.set_blocking(fd, True)
            try:
                with target.open("wb") as out:
                    for block in iter(lambda: src.read(CHUNK), b""):
                        h.update(block)
                        out.write(block)
            except OSError as exc:
                raise RpmFormatError(f"{path}: {_cannot_read(exc)}") from exc
        os.chmod(target, 0o444)
        staged.append(read(path, digest=h.hexdigest(), staged=target))
    return staged


_KINDS = (
    (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
)  # fmt: skip


def not_regular(path: Path | int) -> str | None:
    """Why `path` (or an open descriptor) is no RPM file to read, or None for a regular file.

    "no such file, not an RPM file", "a directory, not an RPM file", "a character
    device, not a regular file" (/dev/null), ... : symlinks are followed.
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "no such file, not an RPM file"
    except OSError as exc:
        return _cannot_read(exc)
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory, not an RPM file"
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"{kind}, not a regular file (an RPM must be one)"


def _cannot_read(exc: OSError) -> str:
    return f"cannot read it ({exc.strerror or exc})"


def staging_dir() -> Path:
    """A private folder for staged copies (the caller removes it with `unstage`)."""
    return scratch.folder("rpms")


def unstage(folder: Path) -> None:
    """Remove a staging folder and the read-only copies in it."""
    scratch.remove(folder)


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _unfit(value: str) -> str | None:
    """What in a NEVRA field no package of rpmbuild's can hold, or None.

    rpmbuild refuses whitespace and control characters in Name, Version and
    Release (`rpmCharCheck`, build/parsePreamble.c); such a header was made by
    hand, and printing it would let it write on the terminal (an escape
    sequence, or a line break followed by a fake verdict).
    """
    for char in value:
        if char == "\0":
            return "a NUL byte"
        if not char.isprintable():
            return f"a control character (U+{ord(char):04X})"
        if char.isspace():
            return f"whitespace (U+{ord(char):04X})"
    return None


def _from_tags(
    path: Path, tags: dict[int, Tag], size: int, digest: str, staged: Path | None
) -> RpmFile:
    epoch = ints(tags, EPOCH)
    nevra = Nevra(
        string(tags, NAME), epoch[0] if epoch else None, string(tags, VERSION),
        string(tags, RELEASE), string(tags, ARCH, "noarch"),
    )  # fmt: skip
    if not nevra.name or not nevra.version or not nevra.release:
        raise ValueError("no name, version or release")
    for tag, value in (("NAME", nevra.name), ("VERSION", nevra.version),
                       ("RELEASE", nevra.release), ("ARCH", nevra.arch)):  # fmt: skip
        unfit = _unfit(value)
        if unfit:
            raise ValueError(f"its {tag} {shown(value)} holds {unfit}")
    names = strings(tags, OLDFILENAMES)
    if not names:
        dirs, bases = strings(tags, DIRNAMES), strings(tags, BASENAMES)
        index = ints(tags, DIRINDEXES)
        if len(index) != len(bases):
            raise ValueError("file names and their directories disagree")
        names = [dirs[d] + b for d, b in zip(index, bases, strict=True)]
    modes, flags = ints(tags, FILEMODES), ints(tags, FILEFLAGS)
    users, groups = strings(tags, FILEUSERNAME), strings(tags, FILEGROUPNAME)
    files = tuple(
        PackagedFile(
            name,
            modes[i] if i < len(modes) else 0,
            flags[i] if i < len(flags) else 0,
            users[i] if i < len(users) else "root",
            groups[i] if i < len(groups) else "root",
        )
        for i, name in enumerate(names)
    )
    req_names, req_flags = strings(tags, REQUIRENAME), ints(tags, REQUIREFLAGS)
    req_versions = strings(tags, REQUIREVERSION)
    requires = tuple(
        Requirement(
            name,
            req_flags[i] if i < len(req_flags) else 0,
            req_versions[i] if i < len(req_versions) else "",
        )
        for i, name in enumerate(req_names)
    )
    return RpmFile(
        path=path,
        sha256=digest,
        size=size,
        nevra=nevra,
        source=SOURCERPM not in tags,
        summary=string(tags, SUMMARY, ""),
        files=files,
        requires=requires,
        provides=tuple(strings(tags, PROVIDENAME)),
        staged=staged,
    )

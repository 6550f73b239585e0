"""The package's architecture, decided from its payload before rpmbuild runs.

A template RPM is `noarch` when nothing it ships is compiled code, otherwise
it is built for the builder's machine. Compiled code is what rpm itself
calls arch-dependent: ELF objects (rpm's file classifier marks them, and
`_binaries_in_noarch_packages_terminate_build`, on by default, fails a
noarch build that carries one). The payload is the app's own files and the
wheels the venv is made from, so both are scanned by content: a wheel's
tags can claim `none-any` and still bundle a binary, and a platform wheel
may hold only Python. rpmlint's `no-binary` (an arch-specific package with no
binaries) and rpm's noarch check are then both satisfied.
"""

from __future__ import annotations

import platform
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

NOARCH = "noarch"
ELF_MAGIC = b"\x7fELF"
_MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Decision:
    """The architecture and, when it is not noarch, the first compiled file that decided it."""

    arch: str
    compiled: str = ""  # e.g. "markupsafe-3.0.4-...whl: markupsafe/_speedups...so"

    def describe(self) -> str:
        """One line for progress output: what the package is built as, and why."""
        if self.arch == NOARCH:
            return "noarch: no file in the payload is compiled code"
        return f"{self.arch}: the payload holds compiled code ({self.compiled})"


def machine_arch(machine: str | None = None) -> str:
    """RPM's name for this machine's architecture (what an arch-specific build produces)."""
    arch = (machine or platform.machine()).lower()
    return _MACHINES.get(arch, arch)


def is_elf(head: bytes) -> bool:
    """Whether a file starting with `head` (its first 4 bytes or more) is an ELF object."""
    return head[:4] == ELF_MAGIC


def compiled_in_wheel(wheel: Path) -> str | None:
    """The first member of a wheel that is an ELF object, or None.

    Raises OSError or zipfile.BadZipFile for a file that is not a readable wheel.
    """
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if info.is_dir() or info.file_size < len(ELF_MAGIC):
                continue
            with archive.open(info) as member:
                if is_elf(member.read(len(ELF_MAGIC))):
                    return info.filename
    return None


def compiled_file(path: Path) -> bool:
    """Whether a regular file on disk is an ELF object (symlinks are not followed)."""
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as fh:
        return is_elf(fh.read(len(ELF_MAGIC)))


def decide(
    wheels: Iterable[Path],
    files: Iterable[Path],
    machine: str | None = None,
    root: Path | None = None,
) -> Decision:
    """noarch unless a wheel or a file holds an ELF object; else this machine's arch.

    `wheels` are the `.whl` files the venv is installed from; `files` are the
    app's own files as they ship (directories and symlinks are skipped), named
    relative to `root` in the decision.
    """
    for wheel in sorted(wheels):
        member = compiled_in_wheel(wheel)
        if member is not None:
            return Decision(machine_arch(machine), f"{wheel.name}: {member}")
    for path in files:
        if compiled_file(path):
            shown = path.relative_to(root) if root and path.is_relative_to(root) else path
            return Decision(machine_arch(machine), str(shown))
    return Decision(NOARCH)

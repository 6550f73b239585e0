"""The architecture decision: noarch unless a wheel or an app file holds an ELF object."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rpmkit.build import arch

# The first bytes of a real x86_64 shared object: ELF magic, 64-bit, little-endian.
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


def wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_pure_wheels_and_plain_files_are_noarch(tmp_path: Path) -> None:
    w = wheel(tmp_path / "gunicorn-23.0.0-py3-none-any.whl", {"gunicorn/app.py": b"import os\n"})
    (tmp_path / "app.py").write_text("print('hi')\n")
    (tmp_path / "empty").write_bytes(b"")
    decision = arch.decide([w], [tmp_path / "app.py", tmp_path / "empty", tmp_path])
    assert decision == arch.Decision("noarch")
    assert decision.describe() == "noarch: no file in the payload is compiled code"


def test_a_compiled_wheel_member_decides_the_machine(tmp_path: Path) -> None:
    pure = wheel(tmp_path / "a-1-py3-none-any.whl", {"a/__init__.py": b""})
    compiled = wheel(
        tmp_path / "markupsafe-3.0.4-cp311-cp311-manylinux_2_17_x86_64.whl",
        {"markupsafe/__init__.py": b"", "markupsafe/_speedups.so": ELF},
    )
    decision = arch.decide([pure, compiled], [], machine="x86_64")
    assert decision.arch == "x86_64"
    assert decision.compiled == f"{compiled.name}: markupsafe/_speedups.so"
    assert "compiled code (markupsafe-3.0.4" in decision.describe()


def test_content_not_tags_decides(tmp_path: Path) -> None:
    # A "none-any" wheel bundling a binary is arch-specific; a platform tag alone is not.
    bundled = wheel(tmp_path / "tool-1-py3-none-any.whl", {"tool/bin/helper": ELF})
    assert arch.decide([bundled], [], machine="aarch64").arch == "aarch64"
    tagged = wheel(tmp_path / "x-1-cp311-cp311-manylinux_2_17_x86_64.whl", {"x.py": b"#\n"})
    assert arch.decide([tagged], []).arch == "noarch"


def test_an_app_file_that_is_elf_decides(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "helper").write_bytes(ELF)
    (tmp_path / "link").symlink_to("bin/helper")
    decision = arch.decide([], [tmp_path / "link", tmp_path / "bin" / "helper"], "x86_64", tmp_path)
    assert decision == arch.Decision("x86_64", "bin/helper")


@pytest.mark.parametrize(
    ("machine", "rpm"),
    [("amd64", "x86_64"), ("arm64", "aarch64"), ("x86_64", "x86_64"), ("ppc64le", "ppc64le")],
)
def test_machine_names_are_rpms(machine: str, rpm: str) -> None:
    assert arch.machine_arch(machine) == rpm

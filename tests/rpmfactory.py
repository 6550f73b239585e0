"""Tiny RPM files for unit tests: a real lead and headers, no payload.

Enough for everything that reads headers (rpmkit.rpm, the gate, receipts);
rpm itself would refuse to install them (no payload). Written from rpm's
"RPM package file format" description, independently of rpmkit.rpm.
"""

from __future__ import annotations

import struct
from pathlib import Path

STRING, STRING_ARRAY, INT16, INT32 = 6, 8, 3, 4


def _header(entries: list[tuple[int, int, bytes, int]]) -> bytes:
    index, store = b"", b""
    for tag, kind, data, count in sorted(entries):
        if kind == INT32:
            store += b"\0" * (-len(store) % 4)
        elif kind == INT16:
            store += b"\0" * (-len(store) % 2)
        index += struct.pack(">IIiI", tag, kind, len(store), count)
        store += data
    return (
        b"\x8e\xad\xe8\x01\0\0\0\0" + struct.pack(">II", len(entries), len(store)) + index + store
    )


def _s(text: str) -> bytes:
    return text.encode() + b"\0"


def make_rpm(
    path: Path,
    name: str = "hello",
    version: str = "1.0",
    release: str = "1",
    arch: str = "x86_64",
    *,
    epoch: int | None = None,
    files: tuple[str, ...] = (),
    requires: tuple[str, ...] = (),
    source: bool = False,
    payload: bytes = b"",
) -> Path:
    """Write an RPM file with these header values to `path`; return `path`."""
    lead = struct.pack(
        ">4sBBhh66shh16s", b"\xed\xab\xee\xdb", 3, 0, 1 if source else 0, 1,
        f"{name}-{version}-{release}".encode()[:65], 1, 5, b"",
    )  # fmt: skip
    signature = _header([(1000, INT32, struct.pack(">I", 0), 1)])
    signature += b"\0" * (-len(signature) % 8)
    entries = [
        (1000, STRING, _s(name), 1),
        (1001, STRING, _s(version), 1),
        (1002, STRING, _s(release), 1),
        (1004, STRING, _s(f"{name} for tests"), 1),
        (1022, STRING, _s(arch), 1),
    ]
    if epoch is not None:
        entries.append((1003, INT32, struct.pack(">I", epoch), 1))
    if not source:
        entries.append((1044, STRING, _s(f"{name}-{version}-{release}.src.rpm"), 1))
    if files:
        dirs = sorted({f.rsplit("/", 1)[0] + "/" for f in files})
        entries += [
            (1116, INT32, b"".join(struct.pack(">I", dirs.index(f.rsplit("/", 1)[0] + "/"))
                                   for f in files), len(files)),
            (1117, STRING_ARRAY, b"".join(_s(f.rsplit("/", 1)[1]) for f in files), len(files)),
            (1118, STRING_ARRAY, b"".join(_s(d) for d in dirs), len(dirs)),
            (1030, INT16, b"".join(struct.pack(">H", 0o100644) for _ in files), len(files)),
            (1037, INT32, b"".join(struct.pack(">I", 0) for _ in files), len(files)),
        ]  # fmt: skip
    if requires:
        entries += [
            (1049, STRING_ARRAY, b"".join(_s(r) for r in requires), len(requires)),
            (1048, INT32, b"".join(struct.pack(">I", 0) for _ in requires), len(requires)),
            (1050, STRING_ARRAY, b"".join(_s("") for _ in requires), len(requires)),
        ]
    path.write_bytes(lead + signature + _header(entries) + payload)
    return path


def rpm_name(
    name: str = "hello", version: str = "1.0", release: str = "1", arch: str = "x86_64"
) -> str:
    """The file name rpmbuild gives such an RPM."""
    return f"{name}-{version}-{release}.{arch}.rpm"

"""The RPM file format's headers, read strictly: the lead, the signature header, the main header.

rpm's "RPM package file format" (rpm.org/docs, `lib/rpmlead.c`, `lib/header.c`):
a 96-byte lead, then header structures of a magic number, an index of
(tag, type, offset, count) entries and a data store. Every bound rpm checks
is checked here (magic numbers, index and data sizes, offsets inside the
store, terminated strings, 8-byte alignment after the signature header); any
breach is a `HeaderError`, never an exception of another kind. `rpm.read`
turns the tags into an `RpmFile`.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

LEAD_MAGIC = b"\xed\xab\xee\xdb"
LEAD_SIZE = 96
HEADER_MAGIC = b"\x8e\xad\xe8\x01"
# Sanity bounds rpm applies too (HEADER_TAGS_MAX / HEADER_DATA_MAX in lib/header.c).
MAX_TAGS = 0xFFFF
MAX_DATA = 256 * 1024 * 1024

# Header tags (rpm's lib/rpmtag.h).
NAME, VERSION, RELEASE, EPOCH, SUMMARY = 1000, 1001, 1002, 1003, 1004
ARCH, FILEMODES, FILEFLAGS = 1022, 1030, 1037
FILEUSERNAME, FILEGROUPNAME, SOURCERPM = 1039, 1040, 1044
PROVIDENAME, REQUIREFLAGS, REQUIRENAME, REQUIREVERSION = 1047, 1048, 1049, 1050
OLDFILENAMES, DIRINDEXES, BASENAMES, DIRNAMES = 1027, 1116, 1117, 1118
# Header data types.
INT16, INT32, STRING, BIN, STRING_ARRAY, I18NSTRING = 3, 4, 6, 7, 8, 9


class HeaderError(Exception):
    """The bytes are not a header rpm would read; the message says what is wrong."""


Tag = int | str | bytes | list[int] | list[str]


def read_header(fh: BinaryIO, pad: bool) -> dict[int, Tag]:
    """One header structure: magic, index entries, data store (lib/header.c).

    `pad`: skip the padding to 8 bytes that follows the signature header.
    """
    read = fh.read
    intro = read(16)
    if len(intro) < 16 or intro[:4] != HEADER_MAGIC:
        raise HeaderError("bad header magic (truncated or not an RPM)")
    count, data_size = struct.unpack(">II", intro[8:16])
    if count > MAX_TAGS or data_size > MAX_DATA:
        raise HeaderError(f"header too large ({count} tags, {data_size} bytes)")
    index = read(16 * count)
    store = read(data_size)
    if len(index) < 16 * count or len(store) < data_size:
        raise HeaderError("truncated header")
    if pad:
        # The signature header is padded to a multiple of 8 bytes.
        read((8 - data_size % 8) % 8)
    tags: dict[int, Tag] = {}
    for i in range(count):
        tag, kind, offset, n = struct.unpack(">IIiI", index[16 * i : 16 * i + 16])
        if offset < 0 or offset > data_size:
            raise HeaderError(f"tag {tag} points outside the header")
        tags[tag] = value(kind, store, offset, n, tag)
    return tags


def value(kind: int, store: bytes, offset: int, n: int, tag: int) -> Tag:
    """The value of one index entry: `n` items of type `kind` at `offset` in `store`."""
    if kind == INT16:
        end = offset + 2 * n
        if end > len(store):
            raise HeaderError(f"tag {tag} overruns the header")
        return list(struct.unpack(f">{n}H", store[offset:end]))
    if kind == INT32:
        end = offset + 4 * n
        if end > len(store):
            raise HeaderError(f"tag {tag} overruns the header")
        return list(struct.unpack(f">{n}I", store[offset:end]))
    if kind in (STRING, I18NSTRING):
        end = store.find(b"\0", offset)
        if end < 0:
            raise HeaderError(f"tag {tag}: unterminated string")
        return store[offset:end].decode("utf-8", errors="replace")
    if kind == STRING_ARRAY:
        items = []
        at = offset
        for _ in range(n):
            end = store.find(b"\0", at)
            if end < 0:
                raise HeaderError(f"tag {tag}: unterminated string")
            items.append(store[at:end].decode("utf-8", errors="replace"))
            at = end + 1
        return items
    if kind == BIN:
        return store[offset : offset + n]
    return b""  # CHAR, INT8, INT64: rpmkit reads none of those


def read_headers(fh: BinaryIO) -> dict[int, Tag]:
    """The main header's tags of the package file open in `fh` (at its start).

    The lead and the signature header are checked and skipped: rpmkit judges
    the package by its main header, as rpm does.
    """
    lead = fh.read(LEAD_SIZE)
    if len(lead) < LEAD_SIZE or lead[:4] != LEAD_MAGIC:
        raise HeaderError("no RPM lead (not an RPM file, or an empty or truncated one)")
    read_header(fh, pad=True)  # the signature header
    return read_header(fh, pad=False)


def string(tags: dict[int, Tag], tag: int, default: str | None = None) -> str:
    """A string tag (the first of an array); ValueError when it is missing."""
    value = tags.get(tag, default)
    if isinstance(value, list) and value and isinstance(value[0], str):
        value = value[0]
    if not isinstance(value, str):
        raise ValueError(f"tag {tag} missing")
    return value


def strings(tags: dict[int, Tag], tag: int) -> list[str]:
    """A string-array tag; [] when missing."""
    value = tags.get(tag, [])
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def ints(tags: dict[int, Tag], tag: int) -> list[int]:
    """An integer-array tag; [] when missing."""
    value = tags.get(tag, [])
    return [v for v in value if isinstance(v, int)] if isinstance(value, list) else []

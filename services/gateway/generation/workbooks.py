"""How many bytes a zip really inflates to, measured by inflating it, never by its directory.

A zip's directory can declare 16 KB for an entry that inflates to 300 MB, and readers that
inflate to the end of the stream believe the stream. So each entry is inflated here, counting
the bytes that come out and stopping as soon as the budget is spent: the count costs one pass
of zlib and a megabyte of memory, whatever the zip claims.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

LOCAL_HEADER_BYTES = 30
READ_BYTES = 64 * 1024
INFLATE_BYTES = 1024 * 1024


class UnreadableEntry(Exception):
    """An entry whose local header is missing, or which uses a compression XLSX never uses."""


def inflated_size(path: Path, entries: list[zipfile.ZipInfo], budget: int) -> int:
    """The bytes the entries inflate to, or a number above `budget` as soon as it is passed."""
    total = 0
    with open(path, "rb") as raw:
        for entry in entries:
            total += _entry_size(raw, entry, budget - total)
            if total > budget:
                break
    return total


def _entry_size(raw, entry: zipfile.ZipInfo, budget: int) -> int:
    raw.seek(entry.header_offset)
    header = raw.read(LOCAL_HEADER_BYTES)
    if len(header) < LOCAL_HEADER_BYTES or not header.startswith(b"PK\x03\x04"):
        raise UnreadableEntry(entry.filename)
    name_bytes, extra_bytes = struct.unpack("<HH", header[26:30])
    raw.seek(entry.header_offset + LOCAL_HEADER_BYTES + name_bytes + extra_bytes)
    if entry.compress_type == zipfile.ZIP_STORED:
        return entry.compress_size  # stored bytes are what the file holds: bounded by its size
    if entry.compress_type != zipfile.ZIP_DEFLATED:
        raise UnreadableEntry(entry.filename)
    return _deflated_size(raw, budget)


def _deflated_size(raw, budget: int) -> int:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as zip stores it
    size = 0
    while not inflater.eof and size <= budget:
        data = inflater.unconsumed_tail or raw.read(READ_BYTES)
        if not data:  # the stream ends early: what came out is all a reader gets
            break
        size += len(inflater.decompress(data, INFLATE_BYTES))
    return size

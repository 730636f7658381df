"""The gzipped database, and SHA-256s: written in one pass, reusing the previous release's work.

A gzip file may be a series of members, each a whole gzip stream; every reader (gzip, zcat,
Python's gzip, ISA-L's igzip) decompresses them one after another into one file. The database
is compressed 1 MiB at a time, each chunk a member whose header records the member's size in
an extra field (RFC 1952 2.3.1.1; readers skip it), as BGZF does. An incremental build changes
a few chunks of the database, so the next release copies the members of the chunks that are
byte for byte those of the previous database from the previous gzip file (once that file has
matched its SHA256SUMS), and compresses only the others. Compression is ISA-L's deflate at its
default level 2 (standard output, about six times faster than zlib's fastest level).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from isal import isal_zlib

CHUNK = 1 << 20
LEVEL = 2
_SUBFIELD = b"bF"  # our extra subfield: the member's size in bytes, 4 bytes little-endian
# ID1 ID2, deflate, FEXTRA, mtime 0 (reproducible), XFL 0, OS unknown, XLEN, the subfield.
_HEADER = struct.Struct("<4sIBBH2sHI")
_TRAILER = struct.Struct("<II")  # CRC-32 and size of the chunk


@dataclass(frozen=True)
class Previous:
    """The previous release's database and gzip file, and the gzip's listed SHA-256."""

    database: Path
    gzip: Path
    gzip_sha256: str


@dataclass(frozen=True)
class Packed:
    source_sha256: str
    sha256: str
    members: int
    reused: int  # members copied from the previous gzip file


def gzip_file(source: Path, target: Path, previous: Previous | None = None) -> Packed:
    """Gzip `source` to `target` (standard multi-member gzip), copying unchanged members from
    `previous`; returns the SHA-256s of both, computed on the way."""
    source_digest, digest = hashlib.sha256(), hashlib.sha256()
    members = reused = 0
    with ExitStack() as files:
        raw, out = files.enter_context(source.open("rb")), files.enter_context(target.open("wb"))
        old = _reusable(previous, files) if previous else None
        for chunk in _chunks(raw):
            source_digest.update(chunk)
            member = old.member(members, chunk) if old else None
            reused += member is not None
            member = member or _member(chunk)
            digest.update(member)
            out.write(member)
            members += 1
    return Packed(source_digest.hexdigest(), digest.hexdigest(), members, reused)


def _chunks(raw: BinaryIO) -> Iterator[bytes]:
    """1 MiB chunks; an empty file is one empty chunk (a gzip file has at least one member)."""
    chunk = raw.read(CHUNK)
    yield chunk
    while chunk := raw.read(CHUNK):
        yield chunk


def _member(chunk: bytes) -> bytes:
    packer = isal_zlib.compressobj(LEVEL, isal_zlib.DEFLATED, -15)  # raw deflate
    body = packer.compress(chunk) + packer.flush()
    size = _HEADER.size + len(body) + _TRAILER.size
    header = _HEADER.pack(b"\x1f\x8b\x08\x04", 0, 0, 255, 8, _SUBFIELD, 4, size)
    return header + body + _TRAILER.pack(isal_zlib.crc32(chunk), len(chunk))


@dataclass
class _Reusable:
    """The previous database and gzip file, opened, and where each member starts."""

    database: BinaryIO
    gzip: BinaryIO
    offsets: list[tuple[int, int]]  # member -> (offset, size)

    def member(self, index: int, chunk: bytes) -> bytes | None:
        """The previous member `index`, if it holds exactly `chunk`."""
        if index >= len(self.offsets):
            return None
        self.database.seek(index * CHUNK)
        if self.database.read(CHUNK) != chunk:
            return None
        offset, size = self.offsets[index]
        self.gzip.seek(offset)
        member = self.gzip.read(size)
        trailer = _TRAILER.unpack(member[-_TRAILER.size :])
        return member if trailer == (isal_zlib.crc32(chunk), len(chunk)) else None


def _reusable(previous: Previous, files: ExitStack) -> _Reusable | None:
    """The previous files, if its gzip file is made of sized members and matches its digest."""
    try:
        gzip = files.enter_context(previous.gzip.open("rb"))
        offsets = _offsets(gzip, previous.gzip_sha256)
        database = files.enter_context(previous.database.open("rb"))
    except OSError:
        return None
    return _Reusable(database, gzip, offsets) if offsets is not None else None


def _offsets(gzip: BinaryIO, expected: str) -> list[tuple[int, int]] | None:
    """Each member's (offset, size), read from the headers while hashing the whole file; None
    if a header is not ours or the file does not match `expected`."""
    digest, offsets, offset = hashlib.sha256(), [], 0
    while header := gzip.read(_HEADER.size):
        if len(header) < _HEADER.size:
            return None
        magic, _, _, _, extra, subfield, length, size = _HEADER.unpack(header)
        ours = (magic, extra, subfield, length) == (b"\x1f\x8b\x08\x04", 8, _SUBFIELD, 4)
        if not ours or size < _HEADER.size + _TRAILER.size:
            return None
        digest.update(header)
        digest.update(gzip.read(size - _HEADER.size))
        offsets.append((offset, size))
        offset += size
    return offsets if digest.hexdigest() == expected else None

"""The gzipped database: standard multi-member gzip, and the previous release's members reused."""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess

import pytest

from bfa_assets.release.folders import sha256_file
from bfa_assets.release.packing import CHUNK, Previous, gzip_file
from bfa_assets.release.verify import gunzip_digest


def data(size: int, seed: int = 0) -> bytes:
    """Compressible but not trivial bytes."""
    block = hashlib.sha256(str(seed).encode()).digest() * 64 + bytes(range(256)) * 8
    return (block * (size // len(block) + 1))[:size]


@pytest.mark.parametrize("size", [0, 1, 3 * CHUNK + 7])
def test_the_gzip_is_standard_reproducible_and_hashed_on_the_way(tmp_path, size):
    source = tmp_path / "data"
    source.write_bytes(data(size))
    first = gzip_file(source, tmp_path / "a.gz")
    second = gzip_file(source, tmp_path / "b.gz")
    packed = (tmp_path / "a.gz").read_bytes()
    assert packed == (tmp_path / "b.gz").read_bytes() and first == second
    assert gzip.decompress(packed) == source.read_bytes()
    assert (first.source_sha256, first.sha256) == (
        sha256_file(source),
        sha256_file(tmp_path / "a.gz"),
    )
    assert first.members == max(1, -(-size // CHUNK)) and first.reused == 0
    assert subprocess.run(["gzip", "-t", str(tmp_path / "a.gz")], check=False).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gz", "b.gz", "data"]


def previous_release(tmp_path, content: bytes) -> Previous:
    (tmp_path / "old").write_bytes(content)
    packed = gzip_file(tmp_path / "old", tmp_path / "old.gz")
    return Previous(tmp_path / "old", tmp_path / "old.gz", packed.sha256)


def test_members_of_unchanged_chunks_are_copied_from_the_previous_gzip(tmp_path):
    old = data(5 * CHUNK + 100)
    previous = previous_release(tmp_path, old)
    new = bytearray(old) + data(CHUNK // 2, seed=1)  # the last chunk grows, one more follows
    new[2 * CHUNK + 10] ^= 0xFF  # and the third chunk changes
    (tmp_path / "new").write_bytes(bytes(new))
    packed = gzip_file(tmp_path / "new", tmp_path / "new.gz", previous)
    assert (packed.members, packed.reused) == (6, 4)  # chunks 1, 2, 4, 5 are the old ones
    assert gzip.decompress((tmp_path / "new.gz").read_bytes()) == bytes(new)
    gzip_file(tmp_path / "new", tmp_path / "whole.gz")  # the same bytes as without reuse
    assert (tmp_path / "new.gz").read_bytes() == (tmp_path / "whole.gz").read_bytes()


@pytest.mark.parametrize("spoil", ["digest", "database", "gzip"])
def test_a_previous_release_that_does_not_verify_is_not_reused(tmp_path, spoil):
    old = data(3 * CHUNK)
    previous = previous_release(tmp_path, old)
    if spoil == "digest":
        previous = Previous(previous.database, previous.gzip, "0" * 64)
    elif spoil == "database":  # the chunk no longer matches its member: compressed anew
        damaged = bytearray(old)
        damaged[10] ^= 0xFF
        previous.database.write_bytes(bytes(damaged))
    else:
        previous.gzip.write_bytes(os.urandom(100))
    (tmp_path / "new").write_bytes(old)
    packed = gzip_file(tmp_path / "new", tmp_path / "new.gz", previous)
    assert packed.reused == (2 if spoil == "database" else 0)
    assert gzip.decompress((tmp_path / "new.gz").read_bytes()) == old


@pytest.mark.parametrize("flipped", [20, 1056])  # a broken deflate block, a broken CRC
def test_a_damaged_gz_is_unreadable_for_the_integrity_check(tmp_path, flipped):
    source = tmp_path / "data"
    source.write_bytes(bytes(range(256)) * 4000 + bytes(reversed(range(256))) * 800)
    gzip_file(source, tmp_path / "a.gz")
    assert gunzip_digest(tmp_path / "a.gz") == sha256_file(source)
    damaged = bytearray((tmp_path / "a.gz").read_bytes())
    damaged[flipped] ^= 0xFF
    (tmp_path / "a.gz").write_bytes(bytes(damaged))
    assert gunzip_digest(tmp_path / "a.gz") == "unreadable"

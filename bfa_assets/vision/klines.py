"""Kline files: zips with one CSV member, CHECKSUM files, and CSV rows parsed by Polars.

Everything here is strict: a file that is not exactly what Vision promises raises
IntegrityError with the reason, so it is reported and never stored. CSVs are parsed in one
Polars batch (one `read_csv` for thousands of files), not per file or per row, because a
per-file parse costs about a millisecond and a full history has tens of thousands of files.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Sequence

import polars as pl

COLUMNS = (
    "open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume",
    "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore",
)  # fmt: skip
_INTEGERS = ("open_time", "close_time", "count")
_DECIMALS = ("open", "high", "low", "close", "volume", "quote_volume", "taker_buy_volume",
             "taker_buy_quote_volume")  # fmt: skip
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_MICROSECONDS = 10**14  # epoch values above this are µs (spot since 2025), not ms


class IntegrityError(Exception):
    """The bytes are not a valid kline file (or fail their checksum); the message says why."""


def unzip_member(data: bytes) -> bytes:
    """The payload of a zip that must hold exactly one CSV member."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if len(names) != 1:
                raise IntegrityError(f"zip holds {len(names)} members, expected exactly one CSV")
            if not names[0].endswith(".csv"):
                raise IntegrityError(f"zip member {names[0]!r} is not a .csv")
            return archive.read(names[0])
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise IntegrityError(f"zip does not open: {error}") from error


def checksum_digest(text: bytes, basename: str) -> str:
    """The SHA-256 in a CHECKSUM file (`<64 hex>  <basename>`, newline or not)."""
    try:
        digest, name = text.decode("utf-8").split()
    except (UnicodeDecodeError, ValueError):
        raise IntegrityError(f"CHECKSUM is not '<sha256>  <name>': {text[:80]!r}") from None
    if not _HEX64.fullmatch(digest):
        raise IntegrityError(f"CHECKSUM digest is not 64 hex digits: {digest[:80]!r}")
    if name != basename:
        raise IntegrityError(f"CHECKSUM names {name!r}, not {basename!r}")
    return digest.lower()


def verify_sha256(data: bytes, expected: str) -> str:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise IntegrityError(f"SHA-256 {actual} does not match the CHECKSUM {expected}")
    return actual


def verify_md5(data: bytes, etag: str) -> str:
    """Without a CHECKSUM, the ETag of a single-part upload (an MD5) is the best check left."""
    if not re.fullmatch(r"[0-9a-f]{32}", etag):
        raise IntegrityError(f"no CHECKSUM, and the ETag {etag!r} is not an MD5 to check against")
    if hashlib.md5(data).hexdigest() != etag:
        raise IntegrityError("no CHECKSUM, and the bytes do not match the ETag's MD5")
    return hashlib.sha256(data).hexdigest()


def csv_rows(payload: bytes) -> tuple[bytes, int]:
    """The CSV body without its header row (detected per file) and its row count.

    Checks the shape cheaply: every row has 12 fields. Numbers are checked by `parse_batch`.
    """
    text = payload.replace(b"\r\n", b"\n").strip()
    if text.startswith(b"open_time"):
        text = text.partition(b"\n")[2]
    if not text:
        return b"", 0
    rows = text.count(b"\n") + 1
    fields = text.count(b",") + rows
    if fields != 12 * rows:
        widths = sorted({line.count(b",") + 1 for line in text.split(b"\n")})
        raise IntegrityError(f"CSV rows must have 12 columns, found {widths}")
    return text, rows


def parse_batch(bodies: Sequence[tuple[int, bytes, int]]) -> tuple[pl.DataFrame, dict[int, str]]:
    """Parse (source id, CSV body, row count) triples in one go.

    Returns the rows with a `source` column and `date` (UTC day of open_time), and the sources
    whose numbers did not parse, with the reason.
    """
    bodies = [b for b in bodies if b[2]]
    if not bodies:
        return _empty(), {}
    raw = pl.read_csv(
        io.BytesIO(b"\n".join(body for _, body, _ in bodies)),
        has_header=False,
        new_columns=list(COLUMNS),
        schema_overrides=dict.fromkeys(COLUMNS, pl.String),
        quote_char=None,
    ).with_columns(source=_repeat([s for s, _, _ in bodies], [n for _, _, n in bodies]))
    typed = raw.with_columns(
        *(pl.col(c).str.strip_chars().cast(pl.Int64, strict=False) for c in _INTEGERS),
        *(pl.col(c).str.strip_chars().cast(pl.Float64, strict=False) for c in _DECIMALS),
    )
    broken = typed.filter(pl.any_horizontal(pl.col(*_INTEGERS, *_DECIMALS).is_null()))
    bad = {
        source: f"CSV has {count} row(s) with a value that is not a number"
        for source, count in broken.group_by("source").len().iter_rows()
    }
    rows = typed.filter(~pl.col("source").is_in(list(bad))).with_columns(
        date=pl.from_epoch(
            pl.when(pl.col("open_time") > _MICROSECONDS)
            .then(pl.col("open_time") // 1000)
            .otherwise(pl.col("open_time")),
            time_unit="ms",
        ).dt.date()
    )
    return rows.drop("ignore"), bad


def _repeat(values: list[int], counts: list[int]) -> pl.Series:
    return (
        pl.DataFrame({"v": values, "n": counts}, schema={"v": pl.Int64, "n": pl.Int64})
        .select(pl.col("v").repeat_by("n").explode())
        .to_series()
    )


def _empty() -> pl.DataFrame:
    schema = dict.fromkeys(_INTEGERS, pl.Int64) | dict.fromkeys(_DECIMALS, pl.Float64)
    return pl.DataFrame(schema=schema | {"source": pl.Int64, "date": pl.Date})

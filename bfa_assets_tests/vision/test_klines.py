"""Kline zips, CHECKSUM files and CSV rows: strict reading, clear reasons."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from bfa_assets.vision import klines
from bfa_assets_tests.vision_sim.content import KLINE_HEADER

ROW = (b"1704067200000,42283.50,44184.10,42180.70,44179.60,230934.123,1704153599999,"
       b"10000000000.1234,2004223,120000.123,5000000000.1234,0")  # fmt: skip


def zipped(*members: tuple[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buf.getvalue()


def test_a_zip_must_hold_exactly_one_csv():
    assert klines.unzip_member(zipped(("a.csv", ROW))) == ROW
    for members, reason in [
        ((), "0 members"),
        ((("a.csv", ROW), ("b.csv", ROW)), "2 members"),
        ((("a.txt", ROW),), "not a .csv"),
    ]:
        with pytest.raises(klines.IntegrityError, match=reason):
            klines.unzip_member(zipped(*members))
    with pytest.raises(klines.IntegrityError, match="zip does not open"):
        klines.unzip_member(b"PK\x03\x04 not really a zip")


def test_checksum_files_are_read_with_or_without_newline_and_with_utf8_names():
    digest = "ab" * 32
    assert klines.checksum_digest(f"{digest}  X.zip\n".encode(), "X.zip") == digest
    assert klines.checksum_digest(f"{digest.upper()}  X.zip".encode(), "X.zip") == digest
    assert (
        klines.checksum_digest(
            f"{digest}  龙虾USDT-1d-2022-09-01.zip".encode(), "龙虾USDT-1d-2022-09-01.zip"
        )
        == digest
    )


@pytest.mark.parametrize(("text", "reason"), [
    (b"garbage", "is not '<sha256>  <name>'"), (b"12345  X.zip", "not 64 hex"),
    (("ab" * 32 + "  Y.zip").encode(), "names 'Y.zip', not 'X.zip'"),
    (b"\xff\xfe  X.zip", "is not '<sha256>  <name>'"),
])  # fmt: skip
def test_a_garbled_checksum_file_is_an_integrity_error(text, reason):
    with pytest.raises(klines.IntegrityError, match=reason):
        klines.checksum_digest(text, "X.zip")


def test_digests_are_verified():
    data = b"bytes"
    assert (
        klines.verify_sha256(data, hashlib.sha256(data).hexdigest())
        == hashlib.sha256(data).hexdigest()
    )
    with pytest.raises(klines.IntegrityError, match="does not match the CHECKSUM"):
        klines.verify_sha256(data, "0" * 64)
    assert (
        klines.verify_md5(data, hashlib.md5(data).hexdigest()) == hashlib.sha256(data).hexdigest()
    )
    with pytest.raises(klines.IntegrityError, match="not an MD5"):
        klines.verify_md5(data, "abc-2")  # a multipart ETag
    with pytest.raises(klines.IntegrityError, match="do not match the ETag"):
        klines.verify_md5(data, "0" * 32)


def test_the_header_row_is_detected_per_file_not_by_date():
    with_header = f"{KLINE_HEADER}\n".encode() + ROW + b"\n"
    assert klines.csv_rows(with_header) == (ROW, 1)
    assert klines.csv_rows(ROW) == (ROW, 1)
    assert klines.csv_rows(ROW + b"\r\n" + ROW + b"\r\n") == (ROW + b"\n" + ROW, 2)
    assert klines.csv_rows(f"{KLINE_HEADER}\n".encode()) == (b"", 0)


def test_rows_must_have_twelve_columns():
    with pytest.raises(klines.IntegrityError, match=r"12 columns, found \[11, 12\]"):
        klines.csv_rows(ROW + b"\n" + ROW.rsplit(b",", 1)[0])


def test_a_batch_parses_exact_numbers_and_reports_files_with_text_in_numbers():
    good, bad_row = (
        klines.csv_rows(ROW + b"\n" + ROW),
        klines.csv_rows(ROW.replace(b"42283.50", b"n/a")),
    )
    micro = klines.csv_rows(ROW.replace(b"1704067200000", b"1704067200000000", 1))
    rows, bad = klines.parse_batch([(7, *good), (8, *bad_row), (9, *micro)])
    assert bad == {8: "CSV has 1 row(s) with a value that is not a number"}
    assert rows["source"].to_list() == [7, 7, 9]
    first = rows.row(0, named=True)
    assert first["open"] == 42283.50 and first["quote_volume"] == float("10000000000.1234")
    assert first["count"] == 2004223 and str(first["date"]) == "2024-01-01"
    assert str(rows.row(2, named=True)["date"]) == "2024-01-01"  # µs read as µs

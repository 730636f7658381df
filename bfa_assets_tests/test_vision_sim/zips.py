"""Reading kline zips in tests."""

from __future__ import annotations

import csv
import io
import zipfile


def read_member(data: bytes) -> tuple[str, bytes]:
    """The name and bytes of the single member (raises on a broken zip)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = archive.namelist()
        return name, archive.read(name)


def member_rows(data: bytes) -> tuple[str, list[list[str]]]:
    name, payload = read_member(data)
    return name, list(csv.reader(io.StringIO(payload.decode())))

"""What the simulated bucket is made of: objects, and folders whose names are fixed."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple


class SimObject(NamedTuple):  # a tuple: a history lists ~2.6 M objects, each built for it
    key: str
    size: int
    etag: str  # quoted, as S3 writes it
    last_modified: datetime
    build: Callable[[], bytes]  # the bytes, built lazily because most objects are only listed

    def body(self) -> bytes:
        return self.build()


@dataclass(frozen=True)
class StaticFolder:
    names: list[str]  # sorted

    def names_after(self, after: str | None) -> Iterator[str]:
        start = 0
        if after is not None:
            cut = after.find("/")
            start = bisect_left(self.names, after if cut < 0 else after[: cut + 1])
        return iter(self.names[start:])

    def entries_after(self, after: str | None) -> Iterator[tuple[str, None]]:
        """(name, None): objects here are looked up by key."""
        return ((name, None) for name in self.names_after(after))


def escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def contents_entry(key: str, obj: SimObject) -> bytes:
    """The `<Contents>` entry that lists `obj` under `key`."""
    return (
        f"<Contents><Key>{escape(key)}</Key><LastModified>{iso_ms(obj.last_modified)}"
        f"</LastModified><ETag>{escape(obj.etag)}</ETag><Size>{obj.size}</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>"
    ).encode()


@lru_cache(maxsize=64)  # a page lists a zip and its CHECKSUM, modified at the same moment
def iso_ms(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

"""What the simulated bucket is made of: objects, and folders whose names are fixed."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
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

"""S3 ListObjects (v1) over Vision: page parsing and pagination.

Pages are parsed by structure (Contents/Key, CommonPrefixes/Prefix), never by collecting every
`Prefix` element, which would pick up the root's echo of the request. The parser is libxml2's
(lxml) with entity expansion, DTD loading and network access off, and a page that carries a DTD
is refused, so an entity bomb is an error, not a memory blow-up. (defusedxml did the same on
Python's pure-Python parser at several times the cost: docs/benchmarks.md.) Each field is
read for the whole page by one XPath (`Contents/Key`, `Contents/Size`, …) rather than element by
element, which made Python proxies of every element; a page whose fields do not pair up is
malformed. Keys arrive in UTF-8 byte order, which is Python's `str` order, so "the listing has
passed key X" is a string comparison.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from operator import attrgetter
from typing import NamedTuple

from lxml import etree

from bfa_assets.http.client import BadResponse, HttpClient, HTTPFailure, Response

MAX_KEYS = 1000


class S3Object(NamedTuple):  # a tuple: a history lists millions, built faster than a dataclass
    key: str
    size: int
    etag: str  # without the quotes
    last_modified: datetime  # time-zone-aware (UTC)


@dataclass(frozen=True)
class ListPage:
    objects: list[S3Object]
    prefixes: list[str]
    is_truncated: bool
    next_marker: str | None


@dataclass
class Listing:
    objects: list[S3Object] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    pages: int = 0


class ListingError(HTTPFailure):
    """The bucket answered, but the listing cannot be trusted (loops, keys outside the prefix)."""


def parse_page(response: Response) -> ListPage:
    return parse_page_body(response.content)


_TZINFO = attrgetter("tzinfo")
_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


def parse_page_body(body: bytes) -> ListPage:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise _not_s3_xml(body, error) from error
    if root.getroottree().docinfo.internalDTD is not None:
        raise _not_s3_xml(body, "DTDForbidden: a listing never declares a DTD")
    ns = root.tag[1 : root.tag.index("}")] if root.tag.startswith("{") else ""
    if root.tag != (f"{{{ns}}}ListBucketResult" if ns else "ListBucketResult"):
        raise BadResponse(f"listing root is <{root.tag}>, not ListBucketResult")
    fields = _page_fields(ns)
    try:
        entries, keys, sizes, etags, modified = (
            fields[name](root) for name in ("Contents", "Key", "Size", "ETag", "LastModified")
        )
        if not entries == len(keys) == len(sizes) == len(etags) == len(modified):
            raise ValueError("every Contents needs one Key, Size, ETag and LastModified")
        times = list(map(datetime.fromisoformat, modified))
        if None in map(_TZINFO, times):  # S3 writes UTC with a `Z`; a naive time means nothing
            raise ValueError("a LastModified without a time zone")
        objects = list(
            map(S3Object, keys, map(int, sizes), [etag.strip('"') for etag in etags], times)
        )
        prefixes = fields["Prefix"](root)
        if len(prefixes) != fields["CommonPrefixes"](root):
            raise ValueError("every CommonPrefixes needs one Prefix")
    except (KeyError, ValueError, TypeError) as error:
        raise BadResponse(f"listing entry is malformed: {error!r}") from error
    truncated = "".join(fields["IsTruncated"](root)).strip().lower() == "true"
    return ListPage(objects, prefixes, truncated, "".join(fields["NextMarker"](root)) or None)


@cache
def _page_fields(ns: str) -> dict[str, etree.XPath]:
    """Compiled XPaths of a page's fields, for pages in namespace `ns` (or none)."""
    p = "s3:" if ns else ""
    paths = {
        "Contents": f"count({p}Contents)",  # a number: no Python proxy per element
        "CommonPrefixes": f"count({p}CommonPrefixes)",
        "Prefix": f"{p}CommonPrefixes/{p}Prefix/text()",
        "IsTruncated": f"{p}IsTruncated/text()",
        "NextMarker": f"{p}NextMarker/text()",
        **{
            name: f"{p}Contents/{p}{name}/text()"
            for name in ("Key", "Size", "ETag", "LastModified")
        },
    }
    namespaces = {"s3": ns} if ns else None
    return {
        name: etree.XPath(path, namespaces=namespaces, smart_strings=False)
        for name, path in paths.items()
    }


def _not_s3_xml(body: bytes, error: object) -> BadResponse:
    kind = type(error).__name__ if isinstance(error, Exception) else ""
    return BadResponse(
        f"listing is not S3 XML ({kind}{': ' if kind else ''}{error}); body starts {body[:80]!r}"
    )


async def list_objects(
    http: HttpClient,
    prefix: str,
    *,
    marker: str = "",
    stop_after: str | None = None,
    delimiter: str | None = None,
    max_keys: int = MAX_KEYS,
    limit: int | None = None,
) -> Listing:
    """Every object (and common prefix) under `prefix` after `marker`, up to `stop_after`.

    `limit` stops after that many objects (with `max_keys=limit`, a single request).

    Follows `NextMarker`, else the last entry of a truncated page. A page that does not move
    the marker forward, or a key outside the prefix, is a ListingError: better to stop than to
    loop forever or to record somebody else's keys.
    """
    listing = Listing()
    while True:
        params: dict[str, str | int] = {"prefix": prefix, "max-keys": max_keys}
        if marker:
            params["marker"] = marker
        if delimiter:
            params["delimiter"] = delimiter
        page = await http.get("", parse_page, params)
        if page is None:
            raise ListingError(
                f"listing {http.url('')}?prefix={prefix} answered 404: no such bucket"
            )
        listing.pages += 1
        _check_page(page, prefix, marker)
        listing.objects.extend(o for o in page.objects if stop_after is None or o.key <= stop_after)
        listing.prefixes.extend(p for p in page.prefixes if stop_after is None or p <= stop_after)
        if not page.is_truncated or (limit is not None and len(listing.objects) >= limit):
            return listing
        following = page.next_marker or max(_entries(page), default="")
        if following <= marker:
            raise ListingError(
                f"listing of {prefix!r} does not advance past marker {marker!r} "
                "(the server repeats a page)"
            )
        if stop_after is not None and following >= stop_after:
            return listing
        marker = following


def _entries(page: ListPage) -> Iterator[str]:
    yield from (o.key for o in page.objects)
    yield from page.prefixes


def _check_page(page: ListPage, prefix: str, marker: str) -> None:
    for entry in _entries(page):
        if not entry.startswith(prefix):
            raise ListingError(f"listing of {prefix!r} returned {entry!r}, outside the prefix")
        if marker and entry <= marker:
            raise ListingError(f"listing of {prefix!r} after {marker!r} returned {entry!r} again")

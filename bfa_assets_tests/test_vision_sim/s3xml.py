"""A test-side reading of S3 listing XML, independent of the project's parser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import httpx

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


@dataclass
class Page:
    status: int
    keys: list[str]
    prefixes: list[str]
    truncated: bool
    next_marker: str | None
    next_token: str | None
    key_count: int | None
    root_prefix: str | None
    max_keys: int | None
    objects: dict[str, dict]
    raw: str

    @property
    def entries(self) -> list[str]:
        return sorted(self.keys + self.prefixes)


def parse(response: httpx.Response) -> Page:
    root = ET.fromstring(response.content)
    if root.tag == "Error":
        return Page(
            response.status_code, [], [], False, None, None, None, None, None, {}, response.text
        )

    def text(tag: str) -> str | None:
        node = root.find(NS + tag)
        return None if node is None else (node.text or "")

    objects = {
        c.findtext(NS + "Key"): {
            "size": int(c.findtext(NS + "Size")),
            "etag": c.findtext(NS + "ETag"),
            "last_modified": c.findtext(NS + "LastModified"),
        }
        for c in root.findall(NS + "Contents")
    }
    key_count = text("KeyCount")
    max_keys = text("MaxKeys")
    return Page(
        status=response.status_code,
        keys=list(objects),
        prefixes=[p.findtext(NS + "Prefix") for p in root.findall(NS + "CommonPrefixes")],
        truncated=text("IsTruncated") == "true",
        next_marker=text("NextMarker"),
        next_token=text("NextContinuationToken"),
        key_count=None if key_count is None else int(key_count),
        root_prefix=text("Prefix"),
        max_keys=None if max_keys is None else int(max_keys),
        objects=objects,
        raw=response.text,
    )


def get_page(client: httpx.Client, bucket_url: str, **params: str | int) -> Page:
    return parse(client.get(bucket_url, params={k.replace("_", "-"): v for k, v in params.items()}))


def walk_v1(client: httpx.Client, bucket_url: str, **params: str | int) -> list[Page]:
    """Every page of a v1 listing, following NextMarker, else the last entry."""
    pages = [get_page(client, bucket_url, **params)]
    while pages[-1].truncated:
        last = pages[-1]
        marker = last.next_marker or max(last.keys + last.prefixes)
        assert marker != params.get("marker") and len(pages) < 2000, f"listing stuck at {marker!r}"
        params = {**params, "marker": marker}
        pages.append(get_page(client, bucket_url, **params))
    return pages


def walk_v2(client: httpx.Client, bucket_url: str, **params: str | int) -> list[Page]:
    pages = [get_page(client, bucket_url, list_type=2, **params)]
    while pages[-1].truncated:
        assert len(pages) < 2000, "listing does not end"
        pages.append(
            get_page(
                client,
                bucket_url,
                list_type=2,
                **{**params, "continuation_token": pages[-1].next_token},
            )
        )
    return pages

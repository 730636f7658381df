"""S3 semantics over a universe: ListObjects v1/v2 pages and their XML.

Listing walks the universe's folder tree lazily in key order (str order equals UTF-8 byte
order), so a page costs work proportional to what it returns, not to the bucket's size.
With a delimiter, a whole folder collapses into one common prefix without being opened.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from bfa_assets_tests.vision_sim.objects import contents_entry, escape
from bfa_assets_tests.vision_sim.universe import BUCKET, SimObject, Universe

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_KEYS = 1000


class S3Error(Exception):
    """An S3 error answer: HTTP status, S3 code and message."""

    def __init__(self, status: int, code: str, message: str, **extra: str):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def xml(self) -> bytes:
        extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in self.extra.items())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{escape(self.message)}</Message>{extra}"
            "<RequestId>SIMULATED</RequestId><HostId>vision-sim</HostId></Error>"
        ).encode()


Entry = tuple[bool, str, Callable[[], SimObject | None] | None]


def iter_entries(universe: Universe, prefix: str, delimiter: str, after: str) -> Iterator[Entry]:
    """(is_common_prefix, value, the object's builder if its folder has one) for every entry
    after `after`, in listing order.

    An entry (key or common prefix) is returned only when it sorts after the marker, which is
    how S3 continues a page that ended on a common prefix without repeating it. The walk
    starts at the deepest folder the prefix names: every key with the prefix lies below it, and
    each folder level above would pass every entry up through another generator.
    """
    last_group: list[str] = [""]
    yield from _walk(
        universe, prefix[: prefix.rfind("/") + 1], prefix, delimiter, after, last_group
    )


def _walk(
    universe: Universe, path: str, prefix: str, delimiter: str, after: str, last_group: list[str]
) -> Iterator[Entry]:
    folder = universe.folder(path)
    if folder is None:
        return
    below = None
    if after.startswith(path):
        below = after[len(path) :] or None
    elif after > path:
        return  # every key under `path` sorts before the marker
    for name, build in folder.entries_after(below):
        full = path + name
        is_folder = name.endswith("/")
        if not full.startswith(prefix):
            if is_folder and prefix.startswith(full):
                yield from _walk(universe, full, prefix, delimiter, after, last_group)
            elif full > prefix:
                return
            continue
        cut = full.find(delimiter, len(prefix)) if delimiter else -1
        if cut >= 0:
            group = full[: cut + len(delimiter)]
            if group != last_group[0]:
                last_group[0] = group
                if group > after:
                    yield True, group, None
        elif is_folder:
            yield from _walk(universe, full, prefix, delimiter, after, last_group)
        elif full > after:
            yield False, full, build


@dataclass(frozen=True)
class ListRequest:
    prefix: str = ""
    delimiter: str = ""
    after: str = ""  # marker, start-after or decoded continuation token
    max_keys: int = MAX_KEYS
    v2: bool = False
    marker: str = ""
    start_after: str | None = None
    continuation_token: str | None = None

    @classmethod
    def from_query(cls, query: dict[str, str]) -> ListRequest:
        v2 = "list-type" in query
        if v2 and query["list-type"] != "2":
            raise S3Error(
                400, "InvalidArgument", "Invalid List Type specified", ArgumentName="list-type"
            )
        if not v2 and ("start-after" in query or "continuation-token" in query):
            name = "start-after" if "start-after" in query else "continuation-token"
            raise S3Error(
                400, "InvalidArgument", f"{name} is only valid with list-type=2", ArgumentName=name
            )
        max_keys = _max_keys(query.get("max-keys"))
        prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
        if not v2:
            marker = query.get("marker", "")
            return cls(prefix, delimiter, marker, max_keys, marker=marker)
        token = query.get("continuation-token")
        start_after = query.get("start-after")
        after = _decode_token(token) if token is not None else (start_after or "")
        return cls(prefix, delimiter, after, max_keys, True, "", start_after, token)


def _max_keys(raw: str | None) -> int:
    if raw is None:
        return MAX_KEYS
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise S3Error(
            400,
            "InvalidArgument",
            "Provided max-keys not an integer or within integer range",
            ArgumentName="max-keys",
            ArgumentValue=raw,
        )
    return min(value, MAX_KEYS)


def _encode_token(after: str) -> str:
    return base64.urlsafe_b64encode(after.encode()).decode()


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise S3Error(
            400,
            "InvalidArgument",
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
        ) from None


def list_objects(universe: Universe, req: ListRequest) -> bytes:
    """The XML body answering one ListObjects (v1 or v2) request."""
    entries = iter_entries(universe, req.prefix, req.delimiter, req.after)
    page = list(islice(entries, req.max_keys))
    truncated = req.max_keys > 0 and next(entries, None) is not None
    objects = [(value, build) for is_prefix, value, build in page if not is_prefix]
    prefixes = [value for is_prefix, value, _ in page if is_prefix]
    head = [f"<Name>{BUCKET}</Name>", f"<Prefix>{escape(req.prefix)}</Prefix>"]
    if req.v2:
        if req.continuation_token is not None:
            head.append(f"<ContinuationToken>{escape(req.continuation_token)}</ContinuationToken>")
        if req.start_after is not None:
            head.append(f"<StartAfter>{escape(req.start_after)}</StartAfter>")
        head.append(f"<KeyCount>{len(page)}</KeyCount>")
    else:
        head.append(f"<Marker>{escape(req.marker)}</Marker>")
    if truncated and not req.v2 and req.delimiter:
        head.append(f"<NextMarker>{escape(page[-1][1])}</NextMarker>")
    head.append(f"<MaxKeys>{req.max_keys}</MaxKeys>")
    if req.delimiter:
        head.append(f"<Delimiter>{escape(req.delimiter)}</Delimiter>")
    head.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
    if truncated and req.v2:
        head.append(f"<NextContinuationToken>{_encode_token(page[-1][1])}</NextContinuationToken>")
    start = f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{S3_NS}">' + "".join(
        head
    )
    end = (
        "".join(f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in prefixes)
        + "</ListBucketResult>"
    )
    contents = [_contents(universe, key, build) for key, build in objects]
    return b"".join([start.encode(), *contents, end.encode()])


def render_listings(universe: Universe, prefixes: Iterable[str]) -> int:
    """Render every listing entry under each prefix now, building what each needs (a 1d
    file's bytes for its size and ETag), so that listing them later costs a lookup per key;
    how many entries.

    A scenario fixes the bucket under one clock: a benchmark that renders what its run will
    list before the run starts measures the pipeline rather than the simulator making objects.
    """
    count = 0
    for prefix in prefixes:
        for _, key, build in iter_entries(universe, prefix, "", ""):
            _contents(universe, key, build)
            count += 1
    return count


def _contents(universe: Universe, key: str, build: Callable[[], SimObject | None] | None) -> bytes:
    """The `<Contents>` entry of `key`, rendered once per clock (`universe.listed`)."""
    if isinstance(build, bytes):  # rendered by its folder, never kept (datasets.py)
        return build
    try:
        return universe.listed[key]
    except KeyError:
        pass
    obj = build() if build is not None else universe.object_at(key)
    assert obj is not None, key  # the tree only lists objects that exist
    entry = universe.listed[key] = contents_entry(key, obj)
    return entry

"""An in-memory fake of GitHub's releases: the REST endpoints bfa uses, the public download
links, and the storage host they redirect to.

A plain ASGI app served by uvicorn on 127.0.0.1 (twice: as the API and web host, and as the
storage host), so tests go through the real network path. It checks the bearer token on the
API's writes (reads are public, drafts aside), knows only the repositories it is given, records
every request and keeps uploaded bytes;
`fail_next` makes the next requests fail with a chosen status. What it does, and where GitHub
documents it (docs.github.com/en/rest/releases/releases and …/releases/assets):

- **Drafts** (`"draft": true` when creating): listed only to users with push access (List
  releases), invisible to "Get a release by tag name" ("Get a published release with the
  specified tag") and to "Get the latest release"; a draft has no git tag until it is
  published (Create a release: "the tag is created when the release is published").
- **Publishing** is an update with `"draft": false` (Update a release), which may set
  `tag_name`; a tag already taken by another release is a 422 `already_exists`.
- **"Latest"** (Get the latest release): "the most recent non-prerelease, non-draft release";
  `make_latest` (`"true"`, `"false"`; default true for a newly published release) sets it,
  and when the latest release is deleted the newest remaining one is.
- **Deleting** a release leaves its tag (Delete a release); the tag goes with "Delete a
  reference" (`DELETE /repos/{repo}/git/refs/tags/{tag}`).
- **Assets** carry `size`, `state` and `digest` (`sha256:…`, GitHub's changelog of 2025-06-03,
  "Releases now expose digests for release assets"). "Get a release asset" with
  `Accept: application/octet-stream` redirects (302) to the storage host, as do the public
  links `/{repo}/releases/download/{tag}/{name}` (`browser_download_url`) and
  `/{repo}/releases/latest/download/{name}` (docs.github.com, "Linking to releases").
- **Range requests** on the storage host (206 `Partial Content`, 416 past the end): GitHub's
  storage answers them (observed, not documented by the REST API; HTTP semantics, RFC 9110).

`violations` records every change to a published release's assets: bfa never makes one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from bfa_assets_tests.asgi_server import BackgroundServer

Reply = tuple[int, Any]  # status, JSON payload (None = no body)
Answer = tuple[int, Any, dict[str, str]]  # status, payload (JSON, or bytes as is), headers
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_REPO = r"(?P<repo>[^/]+/[^/]+)"
_RELEASE = r"(?P<release_id>\d+)"
_ASSET = r"(?P<asset_id>\d+)"
_VALIDATION_FAILED = "Validation Failed"
_NOT_FOUND: Reply = (404, {"message": "Not Found"})


@dataclass(frozen=True)
class _Fault:
    status: int
    headers: dict[str, str]
    method: str | None
    after_handling: bool

    def answer(self) -> Answer:
        return self.status, {"message": HTTPStatus(self.status).phrase}, self.headers


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class FakeAsset:
    id: int
    name: str
    content_type: str
    data: bytes

    def as_json(self, api_url: str, release: FakeRelease) -> dict[str, Any]:
        web = f"{api_url}/{release.repo}/releases/download/{quote(release.tag)}/{quote(self.name)}"
        return {
            "id": self.id,
            "name": self.name,
            "size": len(self.data),
            "content_type": self.content_type,
            "state": "uploaded",
            "digest": "sha256:" + hashlib.sha256(self.data).hexdigest(),
            "url": f"{api_url}/repos/{release.repo}/releases/assets/{self.id}",
            "browser_download_url": web,
        }


@dataclass
class FakeRelease:
    id: int
    repo: str
    tag: str
    name: str
    body: str
    draft: bool = False
    assets: list[FakeAsset] = field(default_factory=list)


class FakeGitHub:
    """The ASGI app and its state; `api_url` is where it is served (API and web host alike),
    `storage_url` the host that downloads redirect to."""

    def __init__(self, token: str, repos: set[str], api_url: str):
        self.token = token
        self.repos = set(repos)
        self.api_url = api_url
        self.storage_url = ""
        self.releases: dict[int, FakeRelease] = {}
        self.tags: set[tuple[str, str]] = set()  # (repo, tag): the git tags releases made
        self.latest: dict[str, int] = {}  # repo -> the release marked latest
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []  # changes to a published release's assets
        self.delay = 0.0  # seconds each API request takes (a reader can poll meanwhile)
        # what happens to the next downloads from storage: "truncate" (the connection drops
        # half-way through the body), "corrupt" (one byte differs)
        self.download_faults: list[str] = []
        self._ids = itertools.count(1)
        self._faults: list[_Fault] = []
        self._lock = threading.RLock()
        api: list[tuple[str, str, Callable[..., Reply]]] = [
            ("GET", rf"/repos/{_REPO}/releases", self._list),
            ("GET", rf"/repos/{_REPO}/releases/latest", self._get_latest),
            ("GET", rf"/repos/{_REPO}/releases/tags/(?P<tag>.+)", self._get_by_tag),
            ("GET", rf"/repos/{_REPO}/releases/{_RELEASE}", self._get),
            ("POST", rf"/repos/{_REPO}/releases", self._create),
            ("PATCH", rf"/repos/{_REPO}/releases/{_RELEASE}", self._update),
            ("DELETE", rf"/repos/{_REPO}/releases/{_RELEASE}", self._delete_release),
            ("DELETE", rf"/repos/{_REPO}/git/refs/tags/(?P<tag>.+)", self._delete_tag),
            ("GET", rf"/repos/{_REPO}/releases/assets/{_ASSET}", self._get_asset),
            ("DELETE", rf"/repos/{_REPO}/releases/assets/{_ASSET}", self._delete_asset),
            ("POST", rf"/uploads/repos/{_REPO}/releases/{_RELEASE}/assets", self._upload),
        ]
        self._routes = [(method, re.compile(path), handler) for method, path, handler in api]

    def fail_next(
        self,
        count: int,
        status: int = 503,
        headers: dict[str, str] | None = None,
        *,
        method: str | None = None,
        after_handling: bool = False,
        after: int = 0,
    ) -> None:
        """Answer the next `count` API requests (of `method`, if given) with `status` and
        `headers`, once `after` of them have been answered as usual.

        With `after_handling` the request takes effect and only its answer is replaced, like a
        gateway that times out after GitHub stored an upload.
        """
        fault = _Fault(status, headers or {}, method, after_handling)
        let_through = _Fault(0, {}, method, after_handling=True)
        with self._lock:
            self._faults.extend([let_through] * after + [fault] * count)

    def release(self, repo: str, tag: str) -> FakeRelease | None:
        """The published release at `tag`."""
        return next(
            (r for r in self.releases.values() if (r.repo, r.tag) == (repo, tag) and not r.draft),
            None,
        )

    def drafts(self, repo: str) -> list[FakeRelease]:
        return [r for r in self.releases.values() if r.repo == repo and r.draft]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http", "served with lifespan='off'"
        request = RecordedRequest(
            method=scope["method"],
            path=scope["path"],
            query=parse_qs(scope["query_string"].decode("latin-1")),
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            body=await _read_body(receive),
        )
        self.requests.append(request)
        status, payload, headers = self._answer(request)
        await _respond(send, status, payload, headers)

    def _answer(self, request: RecordedRequest) -> Answer:
        if (download := self._download(request)) is not None:
            return download
        fault = self._take_fault(request.method)
        if fault is not None and fault.status == 0:  # one of `after`: answered as usual
            fault = None
        if fault is not None and not fault.after_handling:
            return fault.answer()
        if self.delay:
            time.sleep(self.delay)  # uvicorn's one thread: requests are served one at a time
        with self._lock:
            answer = self._handle(request)
        return answer if fault is None else fault.answer()

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.method in (None, method):
                    return self._faults.pop(index)
        return None

    def _handle(self, request: RecordedRequest) -> Answer:
        token = request.headers.get("authorization")
        if token is not None and token != f"Bearer {self.token}":
            return 401, {"message": "Bad credentials"}, {}
        if token is None and request.method != "GET":  # anyone may read a public repository
            return 401, {"message": "Requires authentication"}, {}
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match and request.method == method:
                if match["repo"] not in self.repos:
                    break
                return _with_headers(handler(request, **match.groupdict()))
        return (*_NOT_FOUND, {})

    # --- public downloads: the web host's links and the storage host -----------------------

    def _download(self, request: RecordedRequest) -> Answer | None:
        """The unauthenticated GETs: a release's download link (302 to the storage host) and
        the storage host's bytes; None for an API request."""
        if request.method != "GET":
            return None
        if match := re.fullmatch(r"/storage/(?P<asset_id>\d+)", request.path):
            with self._lock:
                asset = self._asset(int(match["asset_id"]))
                fault = self.download_faults.pop(0) if self.download_faults else None
            if asset is None:
                return 404, b"", {}
            data = asset.data
            if fault == "corrupt":
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            status, body, headers = _ranged(data, request.headers.get("range"))
            return status, _Cut(body) if fault == "truncate" else body, headers
        link = re.fullmatch(
            rf"/{_REPO}/releases/(?:download/(?P<tag>[^/]+)|latest/download)/(?P<name>[^/]+)",
            request.path,
        )
        if link is None or link["repo"] not in self.repos:
            return None
        with self._lock:
            if link["tag"] is None:
                latest = self.releases.get(self.latest.get(link["repo"], 0))
            else:
                latest = self.release(link["repo"], unquote(link["tag"]))
            name = unquote(link["name"])
            asset = next((a for a in latest.assets if a.name == name), None) if latest else None
        if asset is None:
            return 404, b"Not Found", {}
        return 302, b"", {"location": f"{self.storage_url}/storage/{asset.id}"}

    def _asset(self, asset_id: int) -> FakeAsset | None:
        return next((a for r in self.releases.values() for a in r.assets if a.id == asset_id), None)

    # --- the REST API ---------------------------------------------------------------------

    def _release_json(self, release: FakeRelease) -> dict[str, Any]:
        uploads = f"{self.api_url}/uploads/repos/{release.repo}/releases/{release.id}/assets"
        return {
            "id": release.id,
            "tag_name": release.tag,
            "name": release.name,
            "body": release.body,
            "draft": release.draft,
            "prerelease": False,
            "html_url": f"https://github.example/{release.repo}/releases/tag/{release.tag}",
            "upload_url": uploads + "{?name,label}",
            "assets": [asset.as_json(self.api_url, release) for asset in release.assets],
        }

    def _list(self, request: RecordedRequest, repo: str) -> Reply:
        per_page = min(100, int(request.query.get("per_page", ["30"])[0]))
        page = int(request.query.get("page", ["1"])[0])
        newest_first = sorted(
            (r for r in self.releases.values() if r.repo == repo and self._visible(r, request)),
            key=lambda r: -r.id,
        )
        chosen = newest_first[(page - 1) * per_page : page * per_page]
        return 200, [self._release_json(r) for r in chosen]

    def _get_latest(self, request: RecordedRequest, repo: str) -> Reply:
        release = self.releases.get(self.latest.get(repo, 0))
        return (200, self._release_json(release)) if release else _NOT_FOUND

    def _get_by_tag(self, request: RecordedRequest, repo: str, tag: str) -> Reply:
        release = self.release(repo, unquote(tag))
        return (200, self._release_json(release)) if release else _NOT_FOUND

    def _get(self, request: RecordedRequest, repo: str, release_id: str) -> Reply:
        release = self._own(repo, release_id)
        if release is None or not self._visible(release, request):
            return _NOT_FOUND
        return 200, self._release_json(release)

    @staticmethod
    def _visible(release: FakeRelease, request: RecordedRequest) -> bool:
        """Drafts are shown only to users with push access (here: the token's)."""
        return not release.draft or "authorization" in request.headers

    def _own(self, repo: str, release_id: str) -> FakeRelease | None:
        release = self.releases.get(int(release_id))
        return release if release is not None and release.repo == repo else None

    def _create(self, request: RecordedRequest, repo: str) -> Reply:
        payload = json.loads(request.body)
        draft = bool(payload.get("draft", False))
        if not draft and self.release(repo, payload["tag_name"]) is not None:
            return 422, _already_exists("Release", "tag_name")
        release = FakeRelease(
            next(self._ids), repo, payload["tag_name"], payload["name"], payload["body"], draft
        )
        self.releases[release.id] = release
        if not draft:
            self._published(release, payload.get("make_latest", "true"))
        return 201, self._release_json(release)

    def _update(self, request: RecordedRequest, repo: str, release_id: str) -> Reply:
        release = self._own(repo, release_id)
        if release is None:
            return _NOT_FOUND
        payload = json.loads(request.body)
        tag = payload.get("tag_name", release.tag)
        publishing = release.draft and payload.get("draft") is False
        if publishing or not release.draft:  # a published release's tag is its own
            other = self.release(repo, tag)
            if other is not None and other.id != release.id:
                return 422, _already_exists("Release", "tag_name")
        release.tag = tag
        release.name = payload.get("name", release.name)
        release.body = payload.get("body", release.body)
        if publishing:
            release.draft = False
            self._published(release, payload.get("make_latest", "true"))
        elif not release.draft and payload.get("make_latest") == "true":
            self.latest[repo] = release.id
        return 200, self._release_json(release)

    def _published(self, release: FakeRelease, make_latest: str) -> None:
        self.tags.add((release.repo, release.tag))
        if make_latest != "false" or release.repo not in self.latest:
            self.latest[release.repo] = release.id

    def _delete_release(self, request: RecordedRequest, repo: str, release_id: str) -> Reply:
        release = self._own(repo, release_id)
        if release is None:
            return _NOT_FOUND
        del self.releases[release.id]
        if self.latest.get(repo) == release.id:  # the newest published release takes over
            published = [r.id for r in self.releases.values() if r.repo == repo and not r.draft]
            if published:
                self.latest[repo] = max(published)
            else:
                del self.latest[repo]
        return 204, None

    def _delete_tag(self, request: RecordedRequest, repo: str, tag: str) -> Reply:
        if (repo, unquote(tag)) not in self.tags:
            return 422, {"message": "Reference does not exist"}
        self.tags.discard((repo, unquote(tag)))
        return 204, None

    def _get_asset(self, request: RecordedRequest, repo: str, asset_id: str) -> Reply | Answer:
        for release in self.releases.values():
            for asset in release.assets:
                if asset.id == int(asset_id) and release.repo == repo:
                    if request.headers.get("accept") == "application/octet-stream":
                        return 302, b"", {"location": f"{self.storage_url}/storage/{asset.id}"}
                    return 200, asset.as_json(self.api_url, release)
        return _NOT_FOUND

    def _delete_asset(self, request: RecordedRequest, repo: str, asset_id: str) -> Reply:
        for release in self.releases.values():
            kept = [a for a in release.assets if a.id != int(asset_id)]
            if release.repo == repo and len(kept) < len(release.assets):
                if not release.draft:
                    self.violations.append(f"an asset deleted from published {release.tag}")
                release.assets = kept
                return 204, None
        return _NOT_FOUND

    def _upload(self, request: RecordedRequest, repo: str, release_id: str) -> Reply:
        release = self._own(repo, release_id)
        if release is None:
            return _NOT_FOUND
        name = request.query.get("name", [""])[0]
        if not name:
            return 422, {"message": _VALIDATION_FAILED}
        if any(asset.name == name for asset in release.assets):
            return 422, _already_exists("ReleaseAsset", "name")
        if not release.draft:
            self.violations.append(f"{name} uploaded to published {release.tag}")
        content_type = request.headers.get("content-type", "")
        asset = FakeAsset(next(self._ids), name, content_type, request.body)
        release.assets.append(asset)
        return 201, asset.as_json(self.api_url, release)


@dataclass(frozen=True)
class _Cut:
    """A body announced whole whose connection drops half-way through."""

    data: bytes


def _with_headers(reply: tuple[Any, ...]) -> Answer:
    """A handler's (status, payload) with no headers, or its whole answer."""
    status, payload, *headers = reply
    return status, payload, headers[0] if headers else {}


def _ranged(data: bytes, header: str | None) -> Answer:
    """The storage host's answer: the whole object, or the byte range asked for."""
    size = len(data)
    whole = {"accept-ranges": "bytes", "content-type": "application/octet-stream"}
    match = re.fullmatch(r"bytes=(\d+)-(\d*)", header or "")
    if match is None:
        return 200, data, whole
    first = int(match[1])
    last = min(int(match[2]), size - 1) if match[2] else size - 1
    if first >= size or first > last:
        return 416, b"", {"content-range": f"bytes */{size}"}
    return 206, data[first : last + 1], {**whole, "content-range": f"bytes {first}-{last}/{size}"}


def _already_exists(resource: str, field_name: str) -> dict[str, Any]:
    return {
        "message": _VALIDATION_FAILED,
        "errors": [{"resource": resource, "code": "already_exists", "field": field_name}],
    }


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, payload: Any, headers: dict[str, str]) -> None:
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    if isinstance(payload, _Cut):
        raw_headers.append((b"content-length", str(len(payload.data)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        half = payload.data[: len(payload.data) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})
        raise ConnectionAbortedError("the fake drops the connection")  # uvicorn closes it
    if isinstance(payload, bytes):
        body = payload
    elif payload is None:
        body = b""
    else:
        body = json.dumps(payload).encode()
        raw_headers.append((b"content-type", b"application/json; charset=utf-8"))
    raw_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


@contextmanager
def serve_fake_github(token: str, repos: set[str]) -> Iterator[FakeGitHub]:
    """Serve a FakeGitHub on two free ports of 127.0.0.1 (the API and web host, and the
    storage host) in background threads, for the block."""
    fake = FakeGitHub(token, repos, "")
    with (
        BackgroundServer(fake, name="fake-github", lifespan="off") as server,
        BackgroundServer(fake, name="fake-github-storage", lifespan="off") as storage,
    ):
        fake.api_url, fake.storage_url = server.url, storage.url
        yield fake

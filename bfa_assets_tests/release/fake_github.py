"""An in-memory fake of the GitHub release endpoints that `publish_release` uses.

A plain ASGI app served by uvicorn on 127.0.0.1, so tests go through the real network path. It
checks the bearer token, knows only the repositories it is given, records every request and
keeps uploaded bytes; `fail_next` makes the next requests fail with a chosen status.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from bfa_assets_tests.asgi_server import BackgroundServer

Reply = tuple[int, Any]  # status, JSON payload (None = no body)
Answer = tuple[int, Any, dict[str, str]]  # status, JSON payload, headers
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_REPO = r"(?P<repo>[^/]+/[^/]+)"
_RELEASE = r"(?P<release_id>\d+)"
_ASSET = r"(?P<asset_id>\d+)"
_VALIDATION_FAILED = "Validation Failed"


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

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "size": len(self.data),
            "content_type": self.content_type,
            "state": "uploaded",
        }


@dataclass
class FakeRelease:
    id: int
    repo: str
    tag: str
    name: str
    body: str
    assets: list[FakeAsset] = field(default_factory=list)


class FakeGitHub:
    """The ASGI app and its state; `api_url` is where it is served."""

    def __init__(self, token: str, repos: set[str], api_url: str):
        self.token = token
        self.repos = set(repos)
        self.api_url = api_url
        self.releases: dict[int, FakeRelease] = {}
        self.requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        routes: list[tuple[str, str, Callable[..., Reply]]] = [
            ("GET", rf"/repos/{_REPO}/releases/tags/(?P<tag>.+)", self._get_by_tag),
            ("POST", rf"/repos/{_REPO}/releases", self._create),
            ("PATCH", rf"/repos/{_REPO}/releases/{_RELEASE}", self._update),
            ("DELETE", rf"/repos/{_REPO}/releases/assets/{_ASSET}", self._delete),
            ("POST", rf"/uploads/repos/{_REPO}/releases/{_RELEASE}/assets", self._upload),
        ]
        self._routes = [(method, re.compile(path), handler) for method, path, handler in routes]

    def fail_next(
        self,
        count: int,
        status: int = 503,
        headers: dict[str, str] | None = None,
        *,
        method: str | None = None,
        after_handling: bool = False,
    ) -> None:
        """Answer the next `count` requests (of `method`, if given) with `status` and `headers`.

        With `after_handling` the request takes effect and only its answer is replaced, like a
        gateway that times out after GitHub stored an upload.
        """
        fault = _Fault(status, headers or {}, method, after_handling)
        with self._lock:
            self._faults.extend([fault] * count)

    def release(self, repo: str, tag: str) -> FakeRelease | None:
        return next((r for r in self.releases.values() if (r.repo, r.tag) == (repo, tag)), None)

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
        fault = self._take_fault(request.method)
        if fault is not None and not fault.after_handling:
            return fault.answer()
        answer = self._handle(request)
        return answer if fault is None else fault.answer()

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.method in (None, method):
                    return self._faults.pop(index)
        return None

    def _handle(self, request: RecordedRequest) -> Answer:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"message": "Bad credentials"}, {}
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match and request.method == method:
                if match["repo"] not in self.repos:
                    break
                return (*handler(request, **match.groupdict()), {})
        return 404, {"message": "Not Found"}, {}

    def _release_json(self, release: FakeRelease) -> dict[str, Any]:
        uploads = f"{self.api_url}/uploads/repos/{release.repo}/releases/{release.id}/assets"
        return {
            "id": release.id,
            "tag_name": release.tag,
            "name": release.name,
            "body": release.body,
            "html_url": f"https://github.example/{release.repo}/releases/tag/{release.tag}",
            "upload_url": uploads + "{?name,label}",
            "assets": [asset.as_json() for asset in release.assets],
        }

    def _get_by_tag(self, request: RecordedRequest, repo: str, tag: str) -> Reply:
        release = self.release(repo, tag)
        if release is None:
            return 404, {"message": "Not Found"}
        return 200, self._release_json(release)

    def _create(self, request: RecordedRequest, repo: str) -> Reply:
        payload = json.loads(request.body)
        if self.release(repo, payload["tag_name"]) is not None:
            return 422, _already_exists("Release", "tag_name")
        release = FakeRelease(
            next(self._ids), repo, payload["tag_name"], payload["name"], payload["body"]
        )
        self.releases[release.id] = release
        return 201, self._release_json(release)

    def _update(self, request: RecordedRequest, repo: str, release_id: str) -> Reply:
        release = self.releases.get(int(release_id))
        if release is None or release.repo != repo:
            return 404, {"message": "Not Found"}
        payload = json.loads(request.body)
        release.name = payload.get("name", release.name)
        release.body = payload.get("body", release.body)
        return 200, self._release_json(release)

    def _delete(self, request: RecordedRequest, repo: str, asset_id: str) -> Reply:
        for release in self.releases.values():
            kept = [a for a in release.assets if a.id != int(asset_id)]
            if release.repo == repo and len(kept) < len(release.assets):
                release.assets = kept
                return 204, None
        return 404, {"message": "Not Found"}

    def _upload(self, request: RecordedRequest, repo: str, release_id: str) -> Reply:
        release = self.releases.get(int(release_id))
        if release is None or release.repo != repo:
            return 404, {"message": "Not Found"}
        name = request.query.get("name", [""])[0]
        if not name:
            return 422, {"message": _VALIDATION_FAILED}
        if any(asset.name == name for asset in release.assets):
            return 422, _already_exists("ReleaseAsset", "name")
        content_type = request.headers.get("content-type", "")
        asset = FakeAsset(next(self._ids), name, content_type, request.body)
        release.assets.append(asset)
        return 201, asset.as_json()


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
    body = b"" if payload is None else json.dumps(payload).encode()
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    if payload is not None:
        raw_headers += [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


@contextmanager
def serve_fake_github(token: str, repos: set[str]) -> Iterator[FakeGitHub]:
    """Serve a FakeGitHub on a free port of 127.0.0.1 in a background thread, for the block."""
    fake = FakeGitHub(token, repos, "")
    with BackgroundServer(fake, name="fake-github", lifespan="off") as server:
        fake.api_url = server.url
        yield fake

"""Publishing release files to a GitHub release through the REST API.

Each step (create or update the release; replace one asset) reads the release before it writes,
so when a step is retried after an ambiguous failure (the upload arrived, the answer did not) it
finds its own first attempt instead of tripping over it. Transient failures (connection errors,
429, 5xx, rate limits) are retried by the policy every client shares (http/retry.py), with
GitHub's own limits: a pause that GitHub asks for is honoured when it is short and ends the
publish when it is long. The token travels only
in the Authorization header: it is refused at construction if it could not be sent as one, and
it never reaches a repr, a log line or an error message.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import tenacity

from bfa_assets.http.retry import (
    RETRYABLE_STATUS,
    GaveUp,
    RetryPolicy,
    Transient,
    call,
    retry_after,
)

DEFAULT_API_URL = "https://api.github.com"

log = logging.getLogger("bfa.release")
T = TypeVar("T")

# Five attempts, a tenth of a second doubling up to 5 s, and no longer pause than that: a
# daily release can wait for the next day rather than hold the run for GitHub's hour.
GITHUB_RETRY = RetryPolicy(
    max_attempts=5, max_total_seconds=120.0, initial_wait=0.1, max_wait=5.0,
    longest_requested_wait=5.0,
)  # fmt: skip

_REPO_PART = re.compile(r"(?!\.+$)[A-Za-z0-9_.-]+")  # not "." or "..", which would walk the path
_TOKEN = re.compile(r"[\x21-\x7e]+")  # visible ASCII: a token with a newline would break headers
_CONTENT_TYPES = {
    ".gz": "application/gzip",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class GitHubTarget:
    """Where to publish: a repository "owner/name", a token allowed to write releases, the API."""

    repo: str
    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL

    def __post_init__(self) -> None:
        owner, slash, name = self.repo.partition("/")
        if not (slash and _REPO_PART.fullmatch(owner) and _REPO_PART.fullmatch(name)):
            raise ValueError(f"repo must look like 'owner/name', got {self.repo!r}")
        if not _TOKEN.fullmatch(self.token):
            raise ValueError("the GitHub token must be non-empty visible ASCII (no spaces)")


@dataclass(frozen=True)
class PublishResult:
    release_url: str  # html_url of the release
    uploaded: list[str]  # file names uploaded, in order
    bytes_uploaded: int


class PublishError(Exception):
    """Publishing failed for good; the message names the request and GitHub's answer."""


def publish_release(
    target: GitHubTarget,
    files: list[Path],
    *,
    tag: str = "latest",
    name: str,
    body: str,
    transport: httpx.BaseTransport | None = None,
) -> PublishResult:
    """Create or update the release at `tag` and upload `files`, replacing same-named assets.

    `transport` lets a caller inject an httpx transport; by default the real network is used.
    """
    _check_files(files)
    with _GitHub(target, transport) as github:
        release = _with_retries(
            functools.partial(github.upsert_release, tag, name, body), f"release {tag!r}"
        )
        sizes = [
            _with_retries(functools.partial(github.replace_asset, tag, path), f"upload {path.name}")
            for path in files
        ]
    return PublishResult(
        release_url=release["html_url"],
        uploaded=[path.name for path in files],
        bytes_uploaded=sum(sizes),
    )


def _check_files(files: list[Path]) -> None:
    """Refuse up front what would fail half-way: missing files, two files with one asset name."""
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"release files not found: {', '.join(missing)}")
    names = [path.name for path in files]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two release files would share an asset name: {', '.join(duplicates)}")


class _GitHub:
    """The release endpoints, over one client that carries the credentials."""

    def __init__(self, target: GitHubTarget, transport: httpx.BaseTransport | None):
        self.repo = target.repo
        self._client = httpx.Client(
            base_url=target.api_url,
            transport=transport,
            timeout=httpx.Timeout(60.0, connect=10.0),
            headers={
                "Authorization": f"Bearer {target.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "bfa-assets-release",
            },
        )

    def __enter__(self) -> _GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def release(self, tag: str) -> dict[str, Any] | None:
        """The release at `tag` (with its assets), or None if there is none."""
        path = f"/repos/{self.repo}/releases/tags/{quote(tag, safe='')}"
        response = self._send("GET", path, allow=(404,))
        return None if response.status_code == 404 else response.json()

    def upsert_release(self, tag: str, name: str, body: str) -> dict[str, Any]:
        release = self.release(tag)
        if release is None:
            payload = {"tag_name": tag, "name": name, "body": body, "make_latest": "true"}
            release = self._send("POST", f"/repos/{self.repo}/releases", json=payload).json()
            log.info("created release %s of %s", tag, self.repo)
            return release
        path = f"/repos/{self.repo}/releases/{release['id']}"
        release = self._send("PATCH", path, json={"name": name, "body": body}).json()
        log.info("updated release %s of %s", tag, self.repo)
        return release

    def replace_asset(self, tag: str, path: Path) -> int:
        """Delete the asset named like `path`, if any, and upload `path`; returns its size."""
        release = self.release(tag)
        if release is None:
            raise PublishError(f"release {tag!r} of {self.repo} vanished during the upload")
        for asset in release.get("assets", []):
            if asset["name"] == path.name:
                self._send("DELETE", f"/repos/{self.repo}/releases/assets/{asset['id']}")
                log.info("deleted the previous %s", path.name)
        return self._upload(release["upload_url"], path)

    def _upload(self, upload_url: str, path: Path) -> int:
        url = upload_url.split("{", 1)[0]  # drop the URI template's "{?name,label}"
        with path.open("rb") as data:  # streamed, so a large database is not held in memory
            size = os.fstat(data.fileno()).st_size
            headers = {"Content-Type": _CONTENT_TYPES.get(path.suffix, "application/octet-stream")}
            self._send("POST", url, params={"name": path.name}, content=data, headers=headers)
        log.info("uploaded %s (%d bytes)", path.name, size)
        return size

    def _send(
        self, method: str, url: str, *, allow: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TransportError as error:  # connect/read errors, timeouts, resets
            raise Transient(f"{method} {url}: {type(error).__name__}: {error}") from error
        if response.is_success or response.status_code in allow:
            return response
        raise _failure(response)


def _failure(response: httpx.Response) -> Exception:
    """The exception a failed answer deserves: Transient if waiting may help, else final."""
    request = response.request
    what = (
        f"{request.method} {request.url.raw_path.decode('ascii')} answered "
        f"HTTP {response.status_code}: {_message(response)}"
    )
    if response.status_code not in RETRYABLE_STATUS and not _rate_limited(response):
        return PublishError(what)
    return Transient(what, retry_after=_requested_wait(response))


def _rate_limited(response: httpx.Response) -> bool:
    """GitHub answers 403 (not only 429) when a primary or secondary rate limit is hit."""
    headers = response.headers
    return response.status_code == 403 and (
        headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers
    )


def _requested_wait(response: httpx.Response) -> float | None:
    """Seconds GitHub asks us to wait: Retry-After, or until an exhausted rate limit resets."""
    headers = response.headers
    if (asked := retry_after(headers)) is not None:
        return asked
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        with suppress(ValueError):
            return max(0.0, float(headers["x-ratelimit-reset"]) - time.time())
    return None


def _message(response: httpx.Response, limit: int = 300) -> str:
    """GitHub's "message" (with "errors", which say what a 422 objected to), or the raw text."""
    try:
        payload = response.json()
        text = str(payload["message"])
        if payload.get("errors"):
            text += f" {json.dumps(payload['errors'], separators=(',', ':'))}"
    except (ValueError, KeyError, TypeError):
        text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")


def _with_retries(step: Callable[[], T], what: str) -> T:
    """Run `step`, again after transient failures; PublishError once the policy gives up."""

    def log_retry(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        pause = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s: retrying in %.2f s after %s", what, pause, error)

    try:
        return call(GITHUB_RETRY, step, log_retry)
    except GaveUp as gave_up:
        raise PublishError(f"{what}: {gave_up}") from gave_up

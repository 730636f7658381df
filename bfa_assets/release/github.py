"""Publishing release files to GitHub Releases through the REST API: dated, immutable releases.

Each publish makes the release of its data date (tag `data-YYYY-MM-DD`) and then the release at
`latest` (the tag the original tool's users download from). Each is filled as a **draft**, which
readers cannot see, checked against the files' sizes and SHA-256s, and only then published, in
one request that also gives it its tag; a release already at that tag is deleted just before.
So a published release is never modified, only replaced whole: GitHub's "latest release" (and
`…/releases/latest/download/FILE`) moves from one complete release to the next, and `latest`
is missing, never mixed, for the two requests of the swap. Dated releases beyond the newest
`keep` are deleted with their tags (docs/release.md).

Each step reads before it writes, so when a step is retried after an ambiguous failure (the
upload arrived, the answer did not) it finds its own first attempt instead of tripping over it;
a publish that died leaves a draft that the next one finds and completes. Transient failures
(connection errors, 429, 5xx, rate limits) are retried by the policy every client shares
(http/retry.py), with GitHub's own limits: a pause that GitHub asks for is honoured when it is
short and ends the publish when it is long. The token travels only in the Authorization header:
it is refused at construction if it could not be sent as one, and it never reaches a repr, a
log line or an error message.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
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
from bfa_assets.release.files import DATED_PREFIX, dated_tag

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100  # releases per page of a listing (GitHub's most)

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


DATED = re.compile(rf"{DATED_PREFIX}\d{{4}}-\d{{2}}-\d{{2}}")  # a data date's tag (dated_tag)
LEGACY_TAG = "latest"  # the tag the original tool's users download from
DRAFT = ".draft"  # a draft's tag_name: a label only (a draft has no git tag until published)


@dataclass(frozen=True)
class PublishResult:
    release_url: str  # html_url of the dated release
    tags: list[str]  # the releases published: the dated one, then `latest`
    uploaded: list[str]  # "tag/name" of every file sent, in order (not one a draft held)
    bytes_uploaded: int
    pruned: list[str] = field(default_factory=list)  # dated releases deleted (retention)


class PublishError(Exception):
    """Publishing failed for good; the message names the request and GitHub's answer."""


def publish_release(
    target: GitHubTarget,
    files: Mapping[Path, str],
    *,
    day: date,
    name: str,
    body: str,
    keep: int = 0,
    transport: httpx.BaseTransport | None = None,
) -> PublishResult:
    """Publish `files` (path -> SHA-256) as the release of data date `day` and as `latest`,
    then delete the dated releases beyond the newest `keep` (0 keeps them all).

    The dated release becomes GitHub's latest unless a newer date is published already.
    `transport` lets a caller inject an httpx transport; by default the real network is used.
    """
    _check_files(list(files))
    tag = dated_tag(day)
    with _GitHub(target, transport) as github:
        newest = max(_with_retries(github.dated_tags, "list the releases"), default=tag)
        dated = _publish_one(github, tag, files, name, body, make_latest=tag >= newest)
        legacy = _publish_one(github, LEGACY_TAG, files, name, body, make_latest=False)
        pruned = _with_retries(functools.partial(github.prune, keep), "retention") if keep else []
    return PublishResult(
        release_url=dated.release["html_url"],
        tags=[tag, LEGACY_TAG],
        uploaded=dated.uploaded + legacy.uploaded,
        bytes_uploaded=dated.bytes + legacy.bytes,
        pruned=pruned,
    )


@dataclass(frozen=True)
class _Published:
    release: dict[str, Any]
    uploaded: list[str]  # "tag/name" of the files sent
    bytes: int


def _publish_one(
    github: _GitHub,
    tag: str,
    files: Mapping[Path, str],
    name: str,
    body: str,
    make_latest: bool,
) -> _Published:
    """Fill the draft of `tag`, check it, and publish it."""
    draft = _with_retries(functools.partial(github.draft, tag, name, body), f"draft {tag!r}")
    uploaded, sent = [], 0
    for path, digest in files.items():
        upload = functools.partial(github.put_asset, draft["id"], path, digest)
        size = _with_retries(upload, f"upload {path.name} to {tag!r}")
        if size is not None:
            uploaded.append(f"{tag}/{path.name}")
            sent += size
    _with_retries(functools.partial(github.check, draft["id"], files), f"check {tag!r}")
    swap = functools.partial(github.swap, draft["id"], tag, make_latest)
    return _Published(_with_retries(swap, f"publish {tag!r}"), uploaded, sent)


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
        """The published release at `tag` (with its assets), or None if there is none."""
        path = f"/repos/{self.repo}/releases/tags/{quote(tag, safe='')}"
        response = self._send("GET", path, allow=(404,))
        return None if response.status_code == 404 else response.json()

    def releases(self) -> list[dict[str, Any]]:
        """Every release, drafts included (the token has push access), page by page."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"per_page": PER_PAGE, "page": page}
            batch = self._send("GET", f"/repos/{self.repo}/releases", params=params).json()
            found += batch
            if len(batch) < PER_PAGE:
                return found
            page += 1

    def dated_tags(self) -> list[str]:
        return [r["tag_name"] for r in self.releases() if _is_dated(r)]

    def draft(self, tag: str, name: str, body: str) -> dict[str, Any]:
        """The draft of `tag`: one a previous publish left (its files are checked, not thrown
        away), or a new one."""
        label = tag + DRAFT
        for release in self.releases():
            if release["draft"] and release["tag_name"] == label:
                path = f"/repos/{self.repo}/releases/{release['id']}"
                log.info("completing the draft of %s left by an earlier publish", tag)
                return self._send("PATCH", path, json={"name": name, "body": body}).json()
        payload = {"tag_name": label, "name": name, "body": body, "draft": True}
        release = self._send("POST", f"/repos/{self.repo}/releases", json=payload).json()
        log.info("created the draft of %s in %s", tag, self.repo)
        return release

    def get(self, release_id: int) -> dict[str, Any]:
        return self._send("GET", f"/repos/{self.repo}/releases/{release_id}").json()

    def put_asset(self, release_id: int, path: Path, digest: str) -> int | None:
        """Upload `path` into the draft, replacing an asset of its name that differs; its size,
        or None when the draft holds it already."""
        release = self.get(release_id)
        for asset in release.get("assets", []):
            if asset["name"] == path.name:
                if _same(asset, path.stat().st_size, digest):
                    return None
                self._send("DELETE", f"/repos/{self.repo}/releases/assets/{asset['id']}")
                log.info("deleted a different %s from the draft", path.name)
        return self._upload(release["upload_url"], path)

    def check(self, release_id: int, files: Mapping[Path, str]) -> None:
        """The draft holds exactly `files`, each of its size and SHA-256 (assets left by an
        earlier publish of other files are deleted); PublishError naming what differs."""
        assets = {a["name"]: a for a in self.get(release_id).get("assets", [])}
        wanted = {path.name: (path.stat().st_size, digest) for path, digest in files.items()}
        for extra in sorted(set(assets) - set(wanted)):
            self._send("DELETE", f"/repos/{self.repo}/releases/assets/{assets[extra]['id']}")
        wrong = [
            name
            for name, (size, digest) in wanted.items()
            if name not in assets or not _same(assets[name], size, digest)
        ]
        if wrong:
            raise PublishError(f"the draft's files differ from the release's: {', '.join(wrong)}")

    def swap(self, draft_id: int, tag: str, make_latest: bool) -> dict[str, Any]:
        """Delete the release published at `tag`, if any, and publish the draft at `tag`."""
        old = self.release(tag)
        if old is not None and old["id"] != draft_id:  # not the draft itself, published already
            self._send("DELETE", f"/repos/{self.repo}/releases/{old['id']}", allow=(404,))
        payload = {"tag_name": tag, "draft": False, "make_latest": str(make_latest).lower()}
        release = self._send("PATCH", f"/repos/{self.repo}/releases/{draft_id}", json=payload)
        log.info("published %s of %s", tag, self.repo)
        return release.json()

    def prune(self, keep: int) -> list[str]:
        """Delete the dated releases beyond the newest `keep`, and their tags."""
        dated = sorted((r for r in self.releases() if _is_dated(r)), key=lambda r: r["tag_name"])
        old = dated[:-keep] if len(dated) > keep else []
        for release in old:
            tag = release["tag_name"]
            self._send("DELETE", f"/repos/{self.repo}/releases/{release['id']}", allow=(404,))
            ref = f"/repos/{self.repo}/git/refs/tags/{quote(tag, safe='')}"
            self._send("DELETE", ref, allow=(404, 422))  # 422: the tag is gone already
            log.info("deleted %s of %s (keeping the newest %d)", tag, self.repo, keep)
        return [r["tag_name"] for r in old]

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


def _is_dated(release: dict[str, Any]) -> bool:
    return not release["draft"] and DATED.fullmatch(release["tag_name"]) is not None


def _same(asset: dict[str, Any], size: int, digest: str) -> bool:
    """An uploaded asset of this size and SHA-256 (GitHub gives each asset's `digest`)."""
    return (
        asset.get("state") == "uploaded"
        and asset.get("size") == size
        and asset.get("digest") == f"sha256:{digest}"
    )


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

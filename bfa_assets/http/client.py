"""One async HTTP client for Vision and the exchange's REST APIs: adaptive concurrency, retries,
accounting.

Only a 404 means "not there". Timeouts, resets, truncated bodies, 408, 429, 5xx (S3's 503
`SlowDown` included) and answers that fail to parse are transient: they are retried as the
client's RetryPolicy says (http/retry.py: backoff with jitter, honouring `Retry-After`). Any
other status is a permanent error that names the URL and status. `SlowDown`, 429 and bursts of
5xx also lower the number of requests in flight (`AdaptiveLimit`), which grows back to the
configured ceiling while requests succeed.

The transport is aiohttp: a full history is a hundred thousand small requests or more, and
httpx's connection pool cost several times aiohttp's CPU per request (docs/benchmarks.md).
Parsers receive a small `Response` value and never see the library.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import aiohttp
import tenacity
import yarl
from aiohttp.helpers import get_env_proxy_for_url

from bfa_assets.http.adaptive import AdaptiveLimit
from bfa_assets.http.retry import (
    RETRYABLE_STATUS,
    GaveUp,
    RetryPolicy,
    Transient,
    call_async,
    retry_after,
)

log = logging.getLogger("bfa.http")
T = TypeVar("T")
THROTTLING_STATUS = frozenset({429, 503})  # S3's SlowDown is a 503
USER_AGENT = "bfa-assets (Binance futures availability; Dagster code location)"


class BadResponse(Transient):
    """A 200 answer whose body is not what the endpoint promises (HTML, broken XML, …)."""


class HTTPFailure(Exception):
    """A request that failed for good: a non-retryable status, or retries exhausted."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Response:
    """A whole answer: status, headers (case-insensitive) and body."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


@dataclass
class TransferStats:
    requests: int = 0
    retries: int = 0
    bytes_received: int = 0
    waited_seconds: float = 0.0  # total backoff slept between attempts
    statuses: Counter = field(default_factory=Counter)  # answers by HTTP status
    failures: Counter = field(default_factory=Counter)  # transient failures by kind
    concurrency: AdaptiveLimit | None = None  # the client's limit, reported with the counts

    def as_metadata(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "bytes_received": self.bytes_received,
            "backoff_s": round(self.waited_seconds, 2),
            # 404s are "not there" (a file not published); other statuses are in transient_*
            "answers_404": self.statuses[404],
            **{f"transient_{kind}": n for kind, n in sorted(self.failures.items())},
            **(self.concurrency.as_metadata() if self.concurrency else {}),
        }


class HttpClient:
    """GETs relative to a base URL; use as `async with HttpClient(url) as http:`."""

    def __init__(
        self,
        base_url: str,
        *,
        concurrency: int = 64,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        name: str = "vision",
    ):
        self.base_url = base_url.rstrip("/")
        self.name = name
        self._limit = AdaptiveLimit(concurrency)
        self.stats = TransferStats(concurrency=self._limit)
        self.retry = retry or RetryPolicy()
        self.concurrency = concurrency  # the ceiling; workers beyond the current limit wait
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=10.0)
        self._session: aiohttp.ClientSession | None = None
        self._proxy: yarl.URL | None = None
        self._proxy_auth: aiohttp.BasicAuth | None = None

    async def __aenter__(self) -> HttpClient:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.concurrency, ttl_dns_cache=300),
            timeout=self._timeout,
            headers={"user-agent": USER_AGENT},
        )
        # HTTP(S)_PROXY / NO_PROXY, read once: aiohttp's trust_env would read them (and ~/.netrc)
        # in a thread on every request.
        with suppress(LookupError):
            self._proxy, self._proxy_auth = get_env_proxy_for_url(yarl.URL(self.base_url))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def url(self, path: str) -> str:
        """Base URL plus a path whose segments are percent-encoded as UTF-8."""
        return f"{self.base_url}/{quote(path, safe='/')}" if path else self.base_url

    async def get(
        self,
        path: str,
        parse: Callable[[Response], T],
        params: Mapping[str, str | int] | None = None,
    ) -> T | None:
        """GET `path`; `parse` turns a 200 into a value (raising BadResponse if it can't).

        Returns None for a 404. Parsing runs inside the retry loop, so a truncated or garbled
        body is fetched again rather than stored.
        """
        url = self.url(path)
        if params:
            url = f"{url}?{urlencode(params, quote_via=quote)}"
        try:  # most requests succeed at once: the retry machinery only after a failure
            return await self._attempt(url, parse)
        except Transient as error:
            return await self._retry(url, parse, error)

    async def _retry(self, url: str, parse: Callable[[Response], T], first: Transient) -> T | None:
        """The remaining attempts after a first one failed with `first`.

        The retry loop replays the first failure as its own first attempt, so the wait after it
        (Retry-After included) and the attempt count are the same as if it had made it; only
        the total time is counted from the first failure instead of the first request.
        """
        replay = iter([first])

        async def attempt() -> T | None:
            if (error := next(replay, None)) is not None:
                raise error
            return await self._attempt(url, parse)

        try:
            return await call_async(self.retry, attempt, self._count_retry)
        except GaveUp as gave_up:
            raise HTTPFailure(f"GET {url}: {gave_up}") from gave_up

    async def _attempt(self, url: str, parse: Callable[[Response], T]) -> T | None:
        if self._session is None:
            raise RuntimeError("use the client as `async with HttpClient(...) as http:`")
        epoch = await self._limit.acquire()
        try:
            self.stats.requests += 1
            async with self._session.get(
                yarl.URL(url, encoded=True), proxy=self._proxy, proxy_auth=self._proxy_auth
            ) as answer:
                response = Response(answer.status, answer.headers, await answer.read())
        except (aiohttp.ClientError, TimeoutError) as error:  # resets, truncation, timeouts
            self.stats.failures[type(error).__name__] += 1
            raise Transient(f"{type(error).__name__}: {error or 'no detail'}") from error
        finally:
            self._limit.release()
        self._signal(response.status_code, epoch)
        self.stats.statuses[response.status_code] += 1
        self.stats.bytes_received += len(response.content)
        if response.status_code == 404:
            return None
        if response.status_code in RETRYABLE_STATUS:
            self.stats.failures[f"http_{response.status_code}"] += 1
            raise Transient(
                f"HTTP {response.status_code} {_excerpt(response)}",
                retry_after=retry_after(response.headers),
            )
        if response.status_code != 200:
            raise HTTPFailure(
                f"GET {url} answered HTTP {response.status_code}: {_excerpt(response)}",
                status=response.status_code,
            )
        try:
            return parse(response)
        except BadResponse:
            self.stats.failures["bad_response"] += 1
            raise

    def _signal(self, status: int, epoch: int) -> None:
        """Tell the limit how the server coped: throttled, failing, or fine."""
        if status in THROTTLING_STATUS:
            self._limit.on_throttle(epoch)
        elif status >= 500:
            self._limit.on_server_error(epoch)
        else:
            self._limit.on_success()

    def _count_retry(self, retry_state: tenacity.RetryCallState) -> None:
        self.stats.retries += 1
        self.stats.waited_seconds += (
            retry_state.next_action.sleep if retry_state.next_action else 0.0
        )
        error = retry_state.outcome.exception() if retry_state.outcome else None
        log.debug("retrying %s after %s", self.name, error)


def _excerpt(response: Response, limit: int = 200) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")

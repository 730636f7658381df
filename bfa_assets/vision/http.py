"""One async HTTP client for Vision and the fapi: bounded concurrency, retries, accounting.

Only a 404 means "not there". Timeouts, resets, truncated bodies, 429, 5xx (S3's 503
`SlowDown` included) and answers that fail to parse are transient: they are retried with
exponential backoff and full jitter, honouring `Retry-After`, within a bounded number of
attempts and total time. Any other status is a permanent error that names the URL and status.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import quote

import httpx
import tenacity

log = logging.getLogger("bfa.http")
T = TypeVar("T")
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class TransientError(Exception):
    """A failure worth retrying; `retry_after` is the server's requested pause, if any."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class BadResponse(TransientError):
    """A 200 answer whose body is not what the endpoint promises (HTML, broken XML, …)."""


class HTTPFailure(Exception):
    """A request that failed for good: a non-retryable status, or retries exhausted."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class TransferStats:
    requests: int = 0
    retries: int = 0
    bytes_received: int = 0
    waited_seconds: float = 0.0  # total backoff slept between attempts
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # transient failures by kind

    def as_metadata(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "bytes_received": self.bytes_received,
            "backoff_s": round(self.waited_seconds, 2),
            **{f"transient_{kind}": n for kind, n in sorted(self.failures.items())},
        }


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    max_total_seconds: float = 180.0
    initial_wait: float = 0.25
    max_wait: float = 20.0


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class _WaitWithRetryAfter(tenacity.wait.wait_base):
    """Full-jitter exponential backoff, but never shorter than the server's Retry-After."""

    def __init__(self, policy: RetryPolicy):
        self._backoff = tenacity.wait_random_exponential(
            multiplier=policy.initial_wait, max=policy.max_wait
        )

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        wait = self._backoff(retry_state)
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, TransientError) and error.retry_after is not None:
            wait = max(wait, error.retry_after)
        return wait


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
        self.stats = TransferStats()
        self.retry = retry or RetryPolicy()
        self._slots = asyncio.Semaphore(concurrency)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=10.0),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            headers={"user-agent": "bfa-assets (+https://github.com/)"},
            follow_redirects=False,
        )

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    def url(self, path: str) -> str:
        """Base URL plus a path whose segments are percent-encoded as UTF-8."""
        return f"{self.base_url}/{quote(path, safe='/')}" if path else self.base_url

    async def get(
        self,
        path: str,
        parse: Callable[[httpx.Response], T],
        params: Mapping[str, str | int] | None = None,
    ) -> T | None:
        """GET `path`; `parse` turns a 200 into a value (raising BadResponse if it can't).

        Returns None for a 404. Parsing runs inside the retry loop, so a truncated or garbled
        body is fetched again rather than stored.
        """
        url = self.url(path)
        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(self.retry.max_attempts)
            | tenacity.stop_after_delay(self.retry.max_total_seconds),
            wait=_WaitWithRetryAfter(self.retry),
            retry=tenacity.retry_if_exception_type(TransientError),
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            return await retrying(self._attempt, url, params, parse)
        except TransientError as error:
            attempts = retrying.statistics.get("attempt_number", "?")
            raise HTTPFailure(
                f"GET {_describe(url, params)} still failing after {attempts} attempts: {error}"
            ) from error

    async def _attempt(
        self, url: str, params: Mapping[str, str | int] | None, parse: Callable[[httpx.Response], T]
    ) -> T | None:
        async with self._slots:
            self.stats.requests += 1
            try:
                response = await self._client.get(url, params=params)
            except httpx.TransportError as error:  # connect/read errors, resets, truncation
                self.stats.failures[type(error).__name__] += 1
                raise TransientError(f"{type(error).__name__}: {error or 'no detail'}") from error
        self.stats.statuses[response.status_code] += 1
        self.stats.bytes_received += len(response.content)
        if response.status_code == 404:
            return None
        if response.status_code in RETRYABLE_STATUS:
            self.stats.failures[f"http_{response.status_code}"] += 1
            raise TransientError(
                f"HTTP {response.status_code} {_excerpt(response)}",
                retry_after=_retry_after(response),
            )
        if response.status_code != 200:
            raise HTTPFailure(
                f"GET {_describe(url, params)} answered HTTP {response.status_code}: "
                f"{_excerpt(response)}",
                status=response.status_code,
            )
        try:
            return parse(response)
        except BadResponse:
            self.stats.failures["bad_response"] += 1
            raise

    def _count_retry(self, retry_state: tenacity.RetryCallState) -> None:
        self.stats.retries += 1
        self.stats.waited_seconds += (
            retry_state.next_action.sleep if retry_state.next_action else 0.0
        )
        error = retry_state.outcome.exception() if retry_state.outcome else None
        log.debug("retrying %s after %s", self.name, error)


def _describe(url: str, params: Mapping[str, str | int] | None) -> str:
    return str(httpx.URL(url, params=params)) if params else url


def _excerpt(response: httpx.Response, limit: int = 200) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")

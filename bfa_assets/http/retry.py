"""One retry policy for every HTTP client bfa has: Vision, the exchange's REST APIs, GitHub and
Pushover.

What is worth another attempt is the same everywhere: a `Transient` failure (a timeout, a reset,
a truncated body, 408, 429, 5xx, or what a client knows to be one, such as GitHub's rate-limited
403). So is the wait between attempts: full-jitter exponential backoff, never shorter than the
pause the server asked for (`Retry-After`, in seconds or as an HTTP date: RFC 9110 §10.2.3), and
a requested pause longer than the policy allows ends the retries at once rather than sleeping
through it. Each client keeps its own limits in its own `RetryPolicy`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

import tenacity

T = TypeVar("T")
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one client retries: attempts in all (the first included), the time they may
    take from the first failure, the backoff's first and longest wait, and the longest pause a
    server may ask for (None: as long as the remaining time allows)."""

    max_attempts: int = 8
    max_total_seconds: float = 180.0
    initial_wait: float = 0.25
    max_wait: float = 20.0
    longest_requested_wait: float | None = None

    def too_long(self, pause: float | None) -> bool:
        """Whether a pause the server asked for is more than this policy waits."""
        limit = self.longest_requested_wait
        return pause is not None and pause > (self.max_total_seconds if limit is None else limit)


class Transient(Exception):
    """A failure worth another attempt; `retry_after`: the pause the server asked for."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The seconds a `Retry-After` header asks for (a number or an HTTP date), or None.

    `headers` must look names up without regard to case (aiohttp's and httpx's do).
    """
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment - (time.time() if now is None else now))


def _asked(state: tenacity.RetryCallState) -> float | None:
    error = state.outcome.exception() if state.outcome else None
    return error.retry_after if isinstance(error, Transient) else None


def _arguments(
    policy: RetryPolicy, before_sleep: Callable[[tenacity.RetryCallState], None]
) -> dict:
    backoff = tenacity.wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait)
    return {
        "stop": tenacity.stop_after_attempt(policy.max_attempts)
        | tenacity.stop_after_delay(policy.max_total_seconds)
        | (lambda state: policy.too_long(_asked(state))),
        "wait": lambda state: max(backoff(state), _asked(state) or 0.0),
        "retry": tenacity.retry_if_exception_type(Transient),
        "before_sleep": before_sleep,
        "reraise": True,  # the last Transient, for the client to say what failed
    }


class GaveUp(Exception):
    """The policy ran out: `last` is the last failure, after `attempts` attempts; `waited_too_long`
    when the server asked for a pause longer than the policy allows."""

    def __init__(self, last: Transient, attempts: int, policy: RetryPolicy):
        self.last, self.attempts = last, attempts
        self.waited_too_long = policy.too_long(last.retry_after)
        why = (
            f"the server asks to wait {last.retry_after:.0f} s; not waiting that long"
            if self.waited_too_long
            else f"still failing after {attempts} attempts"
        )
        super().__init__(f"{why}: {last}")


def call(
    policy: RetryPolicy,
    attempt: Callable[[], T],
    before_sleep: Callable[[tenacity.RetryCallState], None],
) -> T:
    """`attempt()`, again after each Transient failure as `policy` allows; GaveUp when it runs
    out."""
    retrying = tenacity.Retrying(**_arguments(policy, before_sleep))
    try:
        return retrying(attempt)
    except Transient as last:
        raise GaveUp(last, retrying.statistics.get("attempt_number", 1), policy) from last


async def call_async(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    before_sleep: Callable[[tenacity.RetryCallState], None],
) -> T:
    """`call` for a coroutine function."""
    retrying = tenacity.AsyncRetrying(**_arguments(policy, before_sleep))
    try:
        return await retrying(attempt)
    except Transient as last:
        raise GaveUp(last, retrying.statistics.get("attempt_number", 1), policy) from last

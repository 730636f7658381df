"""Pushover notifications. A failure to notify is logged and swallowed: it never fails a run.

A notification is retried briefly by the policy every HTTP client shares (http/retry.py): a
sensor's tick, which sends it, has a minute in all.
"""

from __future__ import annotations

import logging

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

log = logging.getLogger("bfa.notify")
PUSHOVER_URL = "https://api.pushover.net/1/messages.json"
MESSAGE_LIMIT = 1024  # Pushover's maximum message length
PUSHOVER_RETRY = RetryPolicy(
    max_attempts=3, max_total_seconds=20.0, initial_wait=0.5, max_wait=5.0,
    longest_requested_wait=10.0,
)  # fmt: skip


def send_pushover(
    token: str,
    user: str,
    title: str,
    message: str,
    *,
    url: str = PUSHOVER_URL,
    priority: int = 0,
    timeout: float = 10.0,
) -> bool:
    """Post one message; True when Pushover accepted it."""
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 1] + "…"
    data = {
        "token": token,
        "user": user,
        "title": title[:250],
        "message": message,
        "priority": str(priority),
    }

    def attempt() -> httpx.Response:
        try:
            response = httpx.post(url, data=data, timeout=timeout)
        except httpx.TransportError as error:  # the message names no secret: they are in the body
            raise Transient(type(error).__name__) from error
        if response.status_code in RETRYABLE_STATUS:
            raise Transient(f"HTTP {response.status_code}", retry_after(response.headers))
        return response

    try:
        response = call(PUSHOVER_RETRY, attempt, _log_retry)
    except GaveUp as gave_up:
        log.warning("pushover notification not sent: %s", gave_up)
        return False
    if response.status_code != 200:
        log.warning("pushover notification refused: HTTP %s", response.status_code)
        return False
    return True


def _log_retry(state: tenacity.RetryCallState) -> None:
    pause = state.next_action.sleep if state.next_action else 0.0
    error = state.outcome.exception() if state.outcome else None
    log.warning("pushover: retrying in %.2f s after %s", pause, error)

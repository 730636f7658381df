"""Pushover notifications. A failure to notify is logged and swallowed: it never fails a run."""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger("bfa.notify")
PUSHOVER_URL = "https://api.pushover.net/1/messages.json"
MESSAGE_LIMIT = 1024  # Pushover's maximum message length


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
    try:
        response = httpx.post(url, data=data, timeout=timeout)
    except httpx.HTTPError as error:
        log.warning("pushover notification not sent: %s", type(error).__name__)
        return False
    if response.status_code != 200:
        log.warning("pushover notification refused: HTTP %s", response.status_code)
        return False
    return True

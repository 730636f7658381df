"""One retry policy for every client: `Retry-After` in seconds or as an HTTP date, honoured by
the Vision client, the GitHub publisher and the Pushover notifier alike, and a pause longer than
a client's policy allows ends its retries at once."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from datetime import date
from email.utils import formatdate
from pathlib import Path

import pytest

from bfa_assets.automation.notify import send_pushover
from bfa_assets.http.client import HttpClient
from bfa_assets.http.retry import RetryPolicy, retry_after
from bfa_assets.release.github import GitHubTarget, PublishError, publish_release
from bfa_assets_tests.asgi_server import BackgroundServer
from bfa_assets_tests.fake_pushover import serve_fake_pushover
from bfa_assets_tests.release.fake_github import serve_fake_github

TOKEN, REPO = "t0ken", "owner/repo"
DAY = date(2024, 1, 31)  # the data date of a release
NOTES_SHA256 = hashlib.sha256(b"notes").hexdigest()
FAST = RetryPolicy(max_attempts=4, initial_wait=0.01, max_wait=0.05)  # backoff alone: < 0.1 s
AHEAD = 3  # seconds: an HTTP date has whole seconds, so the pause asked is between 2 and 3 s


def http_date(seconds_ahead: float) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7), as servers send in Retry-After."""
    return formatdate(time.time() + seconds_ahead, usegmt=True)


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    now = 1_800_000_000.0
    assert retry_after({"retry-after": "7"}, now) == 7.0
    assert retry_after({"retry-after": formatdate(now + 30, usegmt=True)}, now) == 30.0
    assert retry_after({"retry-after": formatdate(now - 30, usegmt=True)}, now) == 0.0  # past
    assert retry_after({"retry-after": "soon"}, now) is None
    assert retry_after({}, now) is None


def test_a_policy_refuses_a_pause_longer_than_it_allows():
    assert RetryPolicy(max_total_seconds=60).too_long(61) and not RetryPolicy().too_long(None)
    assert RetryPolicy(longest_requested_wait=5).too_long(6)
    assert not RetryPolicy(longest_requested_wait=5).too_long(5)


class ThrottleOnce:
    """An ASGI app: a 503 with `Retry-After: <date>` to the first request, then 200 "ok"."""

    def __init__(self) -> None:
        self.answered = 0

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            return
        self.answered += 1
        first = self.answered == 1
        headers = [(b"retry-after", http_date(AHEAD).encode())] if first else []
        await send({"type": "http.response.start", "status": 503 if first else 200,
                    "headers": headers})  # fmt: skip
        await send({"type": "http.response.body", "body": b"SlowDown" if first else b"ok"})


def test_the_vision_client_waits_for_an_http_date():
    app = ThrottleOnce()

    async def get(url: str):
        async with HttpClient(url, retry=FAST) as http:
            return await http.get("key", lambda r: r.content), http.stats

    with BackgroundServer(app, name="throttle", lifespan="off") as server:
        body, stats = asyncio.run(get(server.url))
    assert body == b"ok" and stats.retries == 1 and app.answered == 2
    assert AHEAD - 1.2 <= stats.waited_seconds <= AHEAD + 0.1


def waits(caplog: pytest.LogCaptureFixture) -> list[float]:
    """The pauses a client logged before its retries ("retrying in 2.41 s")."""
    return [float(w) for w in re.findall(r"retrying in ([\d.]+) s", caplog.text)]


def test_the_github_publisher_waits_for_an_http_date(tmp_path: Path, caplog):
    notes = tmp_path / "RELEASE_NOTES.md"
    notes.write_text("notes")
    with serve_fake_github(TOKEN, {REPO}) as github, caplog.at_level(logging.WARNING, "bfa"):
        github.fail_next(1, 503, {"Retry-After": http_date(AHEAD)})
        target = GitHubTarget(REPO, TOKEN, github.api_url)
        publish_release(target, {notes: NOTES_SHA256}, day=DAY, name="n", body="b")
    (pause,) = waits(caplog)
    assert AHEAD - 1.2 <= pause <= AHEAD + 0.1


def test_the_github_publisher_does_not_wait_an_hour(tmp_path: Path):
    notes = tmp_path / "RELEASE_NOTES.md"
    notes.write_text("notes")
    with serve_fake_github(TOKEN, {REPO}) as github:
        github.fail_next(1, 429, {"Retry-After": http_date(3600)})
        with pytest.raises(PublishError, match=r"asks to wait 3\d\d\d s; not waiting that long"):
            target = GitHubTarget(REPO, TOKEN, github.api_url)
            publish_release(target, {notes: NOTES_SHA256}, day=DAY, name="n", body="b")
        assert len(github.requests) == 1


def test_the_pushover_notifier_waits_for_an_http_date(caplog):
    with serve_fake_pushover() as pushover, caplog.at_level(logging.WARNING, "bfa"):
        pushover.fail_next(1, 429, {"Retry-After": http_date(AHEAD)})
        assert send_pushover("token", "user", "title", "message", url=pushover.url)
    (pause,) = waits(caplog)
    assert AHEAD - 1.2 <= pause <= AHEAD + 0.1
    assert pushover.attempts == 2 and [m["message"] for m in pushover.messages] == ["message"]

"""A local stand-in for Pushover's messages endpoint that records what it receives."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from bfa_assets_tests.asgi_server import BackgroundServer


@dataclass
class FakePushover:
    messages: list[dict[str, str]] = field(default_factory=list)
    url: str = ""
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # answers to give
    attempts: int = 0

    def fail_next(self, count: int, status: int, headers: dict[str, str] | None = None) -> None:
        """Answer the next `count` posts with `status` and `headers` instead of accepting them."""
        self.failures += [(status, headers or {})] * count

    async def __call__(self, scope: dict, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.attempts += 1
        if self.failures:
            status, headers = self.failures.pop(0)
            raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": b'{"status":0}'})
            return
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        ok = scope["path"] == "/1/messages.json" and {"token", "user", "message"} <= set(form)
        if ok:
            self.messages.append(form)
        payload = b'{"status":1}' if ok else b'{"status":0,"errors":["bad request"]}'
        await send(
            {
                "type": "http.response.start",
                "status": 200 if ok else 400,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})


@contextmanager
def serve_fake_pushover() -> Iterator[FakePushover]:
    fake = FakePushover()
    with BackgroundServer(fake, name="fake-pushover", lifespan="off") as server:
        fake.url = f"{server.url}/1/messages.json"
        yield fake

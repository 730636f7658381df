"""Serving an ASGI app with uvicorn on 127.0.0.1: in a background thread (tests) or in front."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class BackgroundServer:
    """uvicorn on a socket bound up front, so `port` is known at once (0 = a free port)."""

    def __init__(
        self, app: Any, port: int = 0, host: str = "127.0.0.1", name: str = "asgi", **config: Any
    ):
        self.name = name
        self._socket = socket.create_server((host, port), backlog=4096)
        self.host, self.port = self._socket.getsockname()[:2]
        self._server = uvicorn.Server(
            uvicorn.Config(
                app, log_level="warning", access_log=False, server_header=False, **config
            )
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> BackgroundServer:
        self._thread = threading.Thread(
            target=self.serve_forever, daemon=True, name=f"{self.name}:{self.port}"
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self.name} failed to start")
            time.sleep(0.01)
        return self

    def serve_forever(self) -> None:
        """Run in the calling thread until stopped or interrupted."""
        self._server.run(sockets=[self._socket])

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
